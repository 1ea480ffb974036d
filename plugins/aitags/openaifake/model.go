package openaifake

import (
	"encoding/json"
	"strings"

	"github.com/inklingcms/inkling/plugins/aitags/anthropicfake"
)

// Proposal is one tag the fake model proposes.
type Proposal = anthropicfake.Proposal

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
// anthropicfake.MatchConfidence down, then one guess with
// anthropicfake.GuessConfidence.
func Propose(r *Request) []Proposal {
	return anthropicfake.Tags(Vocabulary(r), Passage(r))
}

// Vocabulary returns the vocabulary of r: the enum of tags[].tag in the
// parameters of the function the request forces (or its only tool), else
// the non-empty lines of the <vocabulary> element of the user's text.
func Vocabulary(r *Request) []string {
	name := r.ToolChoice.Name
	if name == "" && len(r.Tools) == 1 {
		name = r.Tools[0].Function.Name
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
		if json.Unmarshal(t.Function.Parameters, &schema) == nil && len(schema.Properties.Tags.Items.Properties.Tag.Enum) > 0 {
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
