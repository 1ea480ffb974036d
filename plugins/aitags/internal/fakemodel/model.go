// Package fakemodel is the deterministic "model" that the test fakes of
// model APIs (anthropicfake for Anthropic's Messages API, openaifake for
// OpenAI's Chat Completions API) play by default. It knows nothing of any
// wire format: the fakes decode a request, hand this package the tool's
// JSON schema and the user's text, and encode the proposals it returns.
//
// The model proposes the vocabulary terms that occur in the passage with a
// high confidence, plus one low-confidence guess. The vocabulary is the
// enum of tags[].tag in the tool's schema (VocabularyFromSchema), or else
// the lines of a <vocabulary> element of the user's text
// (VocabularyFromText); the passage is the <passage> element of the user's
// text, or else all of it (Passage).
package fakemodel

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// Proposal is one tag the model proposes, as the tool's "tags" items carry
// it.
type Proposal struct {
	Tag        string  `json:"tag"`
	Confidence float64 `json:"confidence"`
}

// Confidences of the model.
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

// Tags is the model's choice of tags from vocab for passage: every term
// that occurs in the passage (as whole words, ignoring case), in order of
// first occurrence, with confidences from MatchConfidence down by
// MatchStep (not below MinMatchConfidence), then one guess with
// GuessConfidence (the first term that does not occur, if any).
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

// VocabularyFromSchema returns the enum of tags[].tag in a tool's JSON
// schema (Anthropic's input_schema, OpenAI's function parameters), or nil
// when schema is not JSON or has no such enum.
func VocabularyFromSchema(schema json.RawMessage) []string {
	var s struct {
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
	if json.Unmarshal(schema, &s) != nil {
		return nil
	}
	return s.Properties.Tags.Items.Properties.Tag.Enum
}

// VocabularyFromText returns the terms of the first <vocabulary> element
// of text: its non-empty lines, each without a leading "- " and
// surrounding space. It is nil when there is no such element.
func VocabularyFromText(text string) []string {
	var out []string
	for line := range strings.SplitSeq(element(text, "vocabulary"), "\n") {
		if term := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")); term != "" {
			out = append(out, term)
		}
	}
	return out
}

// Passage returns the passage of the user's text: the content of its
// first non-empty <passage> element, else all of text.
func Passage(text string) string {
	if p := element(text, "passage"); p != "" {
		return p
	}
	return text
}

// element returns the content of the first <name>...</name> in text,
// trimmed of surrounding space, or "" when there is none.
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
