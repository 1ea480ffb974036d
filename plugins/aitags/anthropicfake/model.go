package anthropicfake

import "github.com/inklingcms/inkling/plugins/aitags/internal/fakemodel"

// Proposal is one tag the fake model proposes.
type Proposal = fakemodel.Proposal

// Confidences of the default model (see fakemodel).
const (
	// MatchConfidence is the confidence of the first vocabulary term found
	// in the passage; later ones get MatchStep less each, down to
	// MinMatchConfidence.
	MatchConfidence    = fakemodel.MatchConfidence
	MatchStep          = fakemodel.MatchStep
	MinMatchConfidence = fakemodel.MinMatchConfidence
	// GuessConfidence is the confidence of the one guess: the first
	// vocabulary term (in the vocabulary's order) that the passage does not
	// contain.
	GuessConfidence = fakemodel.GuessConfidence
)

// defaultReply is the default model: it calls the forced tool (or the
// only tool) with Propose's tags when the tool takes tags, and answers
// text otherwise.
func defaultReply(r *Request) Reply {
	name := r.ToolChoice.Name
	if r.ToolChoice.Type != "tool" {
		if len(r.Tools) != 1 || r.ToolChoice.Type == "none" {
			return Reply{Content: []map[string]any{Text("I have no tool to call.")}}
		}
		name = r.Tools[0].Name
	}
	return Reply{Content: []map[string]any{ToolUse(name, map[string]any{"tags": Propose(r)})}}
}

// Propose returns the tags the default model proposes for r: every
// vocabulary term that occurs in the passage (as whole words, ignoring
// case), in order of first occurrence, with confidences from
// MatchConfidence down, then one guess with GuessConfidence.
func Propose(r *Request) []Proposal { return fakemodel.Tags(Vocabulary(r), Passage(r)) }

// Vocabulary returns the vocabulary of r: the enum of tags[].tag in the
// input schema of the tool the request forces (or its only tool), else the
// non-empty lines of the <vocabulary> element of the user's text.
func Vocabulary(r *Request) []string {
	name := r.ToolChoice.Name
	if name == "" && len(r.Tools) == 1 {
		name = r.Tools[0].Name
	}
	if t, ok := r.Tool(name); ok {
		if vocab := fakemodel.VocabularyFromSchema(t.InputSchema); len(vocab) > 0 {
			return vocab
		}
	}
	return fakemodel.VocabularyFromText(r.UserText())
}

// Passage returns the passage of r: the <passage> element of the user's
// text, else all of it.
func Passage(r *Request) string { return fakemodel.Passage(r.UserText()) }
