package anthropicfake

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// Proposal is one tag the fake model proposes.
type Proposal struct {
	Tag        string  `json:"tag"`
	Confidence float64 `json:"confidence"`
}

// Confidences of the default model.
const (
	// MatchConfidence is the confidence of the first vocabulary term found
	// in the passage; later ones get MatchStep less each, down to
	// MinMatchConfidence.
	MatchConfidence    = 0.95
	MatchStep          = 0.05
	MinMatchConfidence = 0.5
	// GuessConfidence is the confidence of the one guess: the first
	// vocabulary term (in the vocabulary's order) that the passage does not
	// contain.
	GuessConfidence = 0.15
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
func Propose(r *Request) []Proposal { return Tags(Vocabulary(r), Passage(r)) }

// Tags is the default model's choice of tags from vocab for passage:
// every term that occurs in the passage (as whole words, ignoring case),
// in order of first occurrence, with confidences from MatchConfidence
// down, then one guess with GuessConfidence (the first term that does not
// occur). openaifake plays the same model.
func Tags(vocab []string, passage string) []Proposal {
	text := strings.ToLower(passage)
	type hit struct {
		term string
		at   int
	}
	var hits []hit
	guess := ""
	for _, term := range vocab {
		at := wordIndex(text, strings.ToLower(term))
		if at < 0 {
			if guess == "" {
				guess = term
			}
			continue
		}
		hits = append(hits, hit{term, at})
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	out := make([]Proposal, 0, len(hits)+1)
	for i, h := range hits {
		c := max(MatchConfidence-float64(i)*MatchStep, MinMatchConfidence)
		out = append(out, Proposal{Tag: h.term, Confidence: round2(c)})
	}
	if guess != "" {
		out = append(out, Proposal{Tag: guess, Confidence: GuessConfidence})
	}
	return out
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// wordIndex returns where term occurs in text as whole words, or -1.
func wordIndex(text, term string) int {
	if term == "" {
		return -1
	}
	re := regexp.MustCompile(`(^|[^\pL\pN])` + regexp.QuoteMeta(term) + `($|[^\pL\pN])`)
	loc := re.FindStringIndex(text)
	if loc == nil {
		return -1
	}
	return loc[0]
}

// Vocabulary returns the vocabulary of r: the enum of tags[].tag in the
// input schema of the tool the request forces (or its only tool), else the
// non-empty lines of the <vocabulary> element of the user's text.
func Vocabulary(r *Request) []string {
	name := r.ToolChoice.Name
	if name == "" && len(r.Tools) == 1 {
		name = r.Tools[0].Name
	}
	if t, ok := r.Tool(name); ok {
		var schema struct {
			Properties struct {
				Tags struct {
					Items struct {
						Properties struct {
							Tag struct {
								Enum []string `json:"enum"`
							} `json:"tag"`
						} `json:"properties"`
					} `json:"items"`
				} `json:"tags"`
			} `json:"properties"`
		}
		if json.Unmarshal(t.InputSchema, &schema) == nil && len(schema.Properties.Tags.Items.Properties.Tag.Enum) > 0 {
			return schema.Properties.Tags.Items.Properties.Tag.Enum
		}
	}
	var out []string
	for line := range strings.SplitSeq(element(r.UserText(), "vocabulary"), "\n") {
		if term := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")); term != "" {
			out = append(out, term)
		}
	}
	return out
}

// Passage returns the passage of r: the <passage> element of the user's
// text, else all of it.
func Passage(r *Request) string {
	text := r.UserText()
	if p := element(text, "passage"); p != "" {
		return p
	}
	return text
}

// element returns the content of the first <name>...</name> in text.
func element(text, name string) string {
	_, rest, ok := strings.Cut(text, "<"+name+">")
	if !ok {
		return ""
	}
	body, _, ok := strings.Cut(rest, "</"+name+">")
	if !ok {
		return ""
	}
	return strings.TrimSpace(body)
}
