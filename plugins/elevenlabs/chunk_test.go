package elevenlabs

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChunkText(t *testing.T) {
	cases := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{name: "fits", text: "One.\n\nTwo.", max: 100, want: []string{"One.\n\nTwo."}},
		{name: "paragraphs packed", text: "Aaaa.\n\nBbbb.\n\nCccc.", max: 12, want: []string{"Aaaa.\n\nBbbb.", "Cccc."}},
		{name: "blank paragraphs dropped", text: "\n\nAaaa.\n\n\n\n  \n\nBbbb.\n\n", max: 100, want: []string{"Aaaa.\n\nBbbb."}},
		{name: "long paragraph split between sentences", text: "First one here. Second one here! Third? Fourth.", max: 32,
			want: []string{"First one here. Second one here!", "Third? Fourth."}},
		{name: "closing quotes stay with their sentence", text: `He said "Go." Then he went. And came back.`, max: 30,
			want: []string{`He said "Go." Then he went.`, "And came back."}},
		{name: "abbreviation-like dots inside a word do not split", text: "Version 1.5 is out. Yes.", max: 20,
			want: []string{"Version 1.5 is out.", "Yes."}},
		{name: "long sentence split between words", text: "alpha beta gamma delta epsilon", max: 11,
			want: []string{"alpha beta", "gamma delta", "epsilon"}},
		{name: "long word split between characters", text: "abcdefghij", max: 4, want: []string{"abcd", "efgh", "ij"}},
		{name: "runes, not bytes", text: "ééééé ééééé", max: 5, want: []string{"ééééé", "ééééé"}},
		{name: "line breaks end sentences", text: "Line one\nLine two\nLine three", max: 18,
			want: []string{"Line one Line two", "Line three"}},
		{name: "empty", text: "  ", max: 10, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := chunkText(tc.text, tc.max)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("chunkText(%q, %d) = %q, want %q", tc.text, tc.max, got, tc.want)
			}
			for _, c := range got {
				if n := utf8.RuneCountInString(c); n > tc.max {
					t.Fatalf("chunk %q has %d runes", c, n)
				}
			}
			if strings.Join(strings.Fields(strings.Join(got, "")), "") != strings.Join(strings.Fields(tc.text), "") {
				t.Fatalf("chunks %q lose text of %q", got, tc.text)
			}
		})
	}
}

func TestContext(t *testing.T) {
	cases := []struct {
		name       string
		s          string
		n          int
		head, tail string
	}{
		{name: "short", s: "all of it", n: 20, head: "all of it", tail: "all of it"},
		{name: "cut at words", s: "one two three four", n: 9, head: "one two", tail: "four"},
		{name: "no space near the cut", s: "abcdefghijkl", n: 4, head: "abcd", tail: "ijkl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := contextHead(tc.s, tc.n); got != tc.head {
				t.Fatalf("contextHead = %q, want %q", got, tc.head)
			}
			if got := contextTail(tc.s, tc.n); got != tc.tail {
				t.Fatalf("contextTail = %q, want %q", got, tc.tail)
			}
		})
	}
}
