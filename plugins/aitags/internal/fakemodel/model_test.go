package fakemodel

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestTags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vocab   []string
		passage string
		want    []Proposal
	}{
		{"in order of occurrence, then the first missing term as a guess",
			[]string{"grace", "Joy", "longing", "pride"}, "Joy is the serious business of Heaven; longing, too.",
			[]Proposal{{Tag: "Joy", Confidence: 0.95}, {Tag: "longing", Confidence: 0.9}, {Tag: "grace", Confidence: GuessConfidence}}},
		{"case is ignored and the vocabulary's spelling kept",
			[]string{"Sweet Desire"}, "a SWEET desire, an inconsolable longing",
			[]Proposal{{Tag: "Sweet Desire", Confidence: MatchConfidence}}},
		{"whole words only",
			[]string{"joy", "myth"}, "Joyful mythology.",
			[]Proposal{{Tag: "joy", Confidence: GuessConfidence}}},
		{"regexp metacharacters are literal",
			[]string{"C.S.", "a+b"}, "CxSx wrote of C.S. and a+b.",
			[]Proposal{{Tag: "C.S.", Confidence: 0.95}, {Tag: "a+b", Confidence: 0.9}}},
		{"confidences do not fall below MinMatchConfidence",
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}, "a b c d e f g h i j k l",
			[]Proposal{{Tag: "a", Confidence: 0.95}, {Tag: "b", Confidence: 0.9}, {Tag: "c", Confidence: 0.85}, {Tag: "d", Confidence: 0.8},
				{Tag: "e", Confidence: 0.75}, {Tag: "f", Confidence: 0.7}, {Tag: "g", Confidence: 0.65}, {Tag: "h", Confidence: 0.6},
				{Tag: "i", Confidence: 0.55}, {Tag: "j", Confidence: 0.5}, {Tag: "k", Confidence: MinMatchConfidence}, {Tag: "l", Confidence: MinMatchConfidence}}},
		{"an empty term is neither matched nor guessed", []string{"", "joy", "myth"}, "joy", []Proposal{{Tag: "joy", Confidence: 0.95}, {Tag: "myth", Confidence: GuessConfidence}}},
		{"no vocabulary, no tags", nil, "Joy.", []Proposal{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Tags(tc.vocab, tc.passage); !slices.Equal(got, tc.want) {
				t.Errorf("Tags(%q, %q) = %+v, want %+v", tc.vocab, tc.passage, got, tc.want)
			}
		})
	}
}

func TestVocabularyFromSchema(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema string
		want   []string
	}{
		{"enum of tags[].tag", `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"object","properties":{"tag":{"type":"string","enum":["joy","myth"]},"confidence":{"type":"number"}}}}}}`, []string{"joy", "myth"}},
		{"tag without enum", `{"type":"object","properties":{"tags":{"type":"array","items":{"properties":{"tag":{"type":"string"}}}}}}`, nil},
		{"no tags property", `{"type":"object","properties":{"title":{"type":"string","enum":["a"]}}}`, nil},
		{"not JSON", `{`, nil},
		{"empty", ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VocabularyFromSchema(json.RawMessage(tc.schema)); !slices.Equal(got, tc.want) {
				t.Errorf("VocabularyFromSchema = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVocabularyFromText(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"lines, dashes and blanks", "Tag it.\n<vocabulary>\n- joy\n  myth  \n\n-  Sweet Desire\n</vocabulary>\n<passage>x</passage>", []string{"joy", "myth", "Sweet Desire"}},
		{"first element only", "<vocabulary>a</vocabulary><vocabulary>b</vocabulary>", []string{"a"}},
		{"no element", "- joy\n- myth", nil},
		{"unclosed element", "<vocabulary>\n- joy", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VocabularyFromText(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("VocabularyFromText(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestPassage(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"the element, trimmed", "Tag it.\n<passage>\n  Myth became fact.\n</passage>\nThanks.", "Myth became fact."},
		{"no element: all of the text", "Myth became fact.", "Myth became fact."},
		{"empty element: all of the text", "<passage> </passage>", "<passage> </passage>"},
		{"unclosed element: all of the text", "<passage>Myth", "<passage>Myth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Passage(tc.text); got != tc.want {
				t.Errorf("Passage(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
