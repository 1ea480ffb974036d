package openaifake

import "github.com/inklingcms/inkling/plugins/aitags/internal/fakemodel"

// Proposal is one tag the fake model proposes.
type Proposal = fakemodel.Proposal

// defaultReply is the default model: it calls the function tool_choice
// names (or the only tool, when tool_choice is "required" or "auto" or not
// sent) with Propose's tags, and answers text otherwise.
func defaultReply(r *Request) Reply {
	name := r.ToolChoice.Name
	if r.ToolChoice.Mode != "function" {
		if len(r.Tools) != 1 || r.ToolChoice.Mode == "none" {
			return Text("I have no tool to call.")
		}
		name = r.Tools[0].Function.Name
	}
	return Call(name, map[string]any{"tags": Propose(r)})
}

// Propose returns the tags the default model proposes for r: every
// vocabulary term that occurs in the passage (as whole words, ignoring
// case), in order of first occurrence, with confidences from
// fakemodel.MatchConfidence down, then one guess with
// fakemodel.GuessConfidence. anthropicfake plays the same model.
func Propose(r *Request) []Proposal { return fakemodel.Tags(Vocabulary(r), Passage(r)) }

// Vocabulary returns the vocabulary of r: the enum of tags[].tag in the
// parameters of the function the request forces (or its only tool), else
// the non-empty lines of the <vocabulary> element of the user's text.
func Vocabulary(r *Request) []string {
	name := r.ToolChoice.Name
	if name == "" && len(r.Tools) == 1 {
		name = r.Tools[0].Function.Name
	}
	if t, ok := r.Tool(name); ok {
		if vocab := fakemodel.VocabularyFromSchema(t.Function.Parameters); len(vocab) > 0 {
			return vocab
		}
	}
	return fakemodel.VocabularyFromText(r.UserText())
}

// Passage returns the passage of r: the <passage> element of the user's
// text, else all of it.
func Passage(r *Request) string { return fakemodel.Passage(r.UserText()) }
