package elevenlabs

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/plugins/sdk"
)

func TestMarkdownParagraphs(t *testing.T) {
	cases := []struct {
		name string
		md   string
		want []string
	}{
		{name: "emphasis and links", md: "A *very* **bold** [claim](https://x.org) and `code`.", want: []string{"A very bold claim and code."}},
		{name: "soft and hard breaks", md: "one\ntwo  \nthree", want: []string{"one two\nthree"}},
		{name: "paragraphs", md: "First.\n\nSecond.", want: []string{"First.", "Second."}},
		{name: "entities and escapes", md: `Faith \*and\* reason &amp; &#233;lan &mdash; yes`, want: []string{"Faith *and* reason & élan — yes"}},
		{name: "raw html dropped", md: "Text <span>inline</span> here.\n\n<div>block</div>", want: []string{"Text inline here."}},
		{name: "list items", md: "- one\n- two", want: []string{"one", "two"}},
		{name: "heading and blockquote", md: "# Title\n\n> quoted", want: []string{"Title", "quoted"}},
		{name: "image alt text", md: "![a lion](lion.png)", want: []string{"a lion"}},
		{name: "autolink", md: "see <https://example.org>", want: []string{"see https://example.org"}},
		{name: "strikethrough (GFM)", md: "~~gone~~ here", want: []string{"gone here"}},
		{name: "empty", md: "", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := markdownParagraphs(tc.md); !slices.Equal(got, tc.want) {
				t.Fatalf("markdownParagraphs(%q) = %q, want %q", tc.md, got, tc.want)
			}
		})
	}
}

func TestNarrationText(t *testing.T) {
	block := func(typ string, v any) sdk.Block {
		raw, _ := json.Marshal(v)
		return sdk.Block{Type: typ, ID: typ, Value: raw}
	}
	cases := []struct {
		name    string
		title   string
		body    []sdk.Block
		want    string
		wantErr string
	}{
		{name: "title gets a full stop", title: "Joy", body: []sdk.Block{block("paragraph", "Text.")}, want: "Joy.\n\nText."},
		{name: "title punctuation kept", title: "Why?", want: "Why?"},
		{name: "every block type", title: "T", body: []sdk.Block{
			block("heading", "Part One"),
			block("paragraph", "Para *one*.\n\nPara two."),
			block("quote", map[string]any{"text": "Q.", "attribution": "Someone"}),
			block("quote", map[string]any{"text": "No attribution."}),
			block("scripture", map[string]any{"reference": "Ps 23:1", "text": "The Lord is my shepherd.", "translation": "KJV"}),
			block("image", map[string]any{"src": "x"}),
		}, want: "T.\n\nPart One.\n\nPara one.\n\nPara two.\n\nQ.\n\nSomeone.\n\nNo attribution.\n\nPs 23:1.\n\nThe Lord is my shepherd."},
		{name: "white space collapsed", title: "  A   title ", body: []sdk.Block{block("quote", map[string]any{"text": "a   b\n\n\nc"})},
			want: "A title.\n\na b\nc"},
		{name: "nothing to read", title: "", body: []sdk.Block{block("paragraph", "  ")}, want: ""},
		{name: "bad block value", title: "T", body: []sdk.Block{block("paragraph", 7)}, wantErr: "body block 0 (paragraph paragraph)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := narrationText(tc.title, tc.body)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("narrationText = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
