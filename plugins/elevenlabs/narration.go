package elevenlabs

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// passageFields are the fields of a cslewis passage the narration reads.
type passageFields struct {
	Work string      `json:"work"`
	Body []sdk.Block `json:"body"`
}

// workFields are the fields of a cslewis work the plugin reads.
type workFields struct {
	Rights struct {
		AudioAllowed bool `json:"audio_allowed"`
	} `json:"rights"`
}

// Block values of the passage body's block types (see cslewis'
// passageType).
type (
	quoteBlock struct {
		Text        string `json:"text"`
		Attribution string `json:"attribution"`
	}
	scriptureBlock struct {
		Reference string `json:"reference"`
		Text      string `json:"text"`
	}
)

// narrationText is what is read aloud for a passage: its title, then its
// body blocks in order, one paragraph each, separated by blank lines.
// Paragraphs (markdown) are read as plain text; a quotation is followed by
// its attribution; a scripture block is its reference, then its text.
// Headings are read; unknown block types are skipped.
func narrationText(title string, body []sdk.Block) (string, error) {
	var paras []string
	add := func(s string) {
		if s = normalizeSpace(s); s != "" {
			paras = append(paras, s)
		}
	}
	add(sentence(title))
	for i, b := range body {
		switch b.Type {
		case "paragraph":
			var md string
			if err := json.Unmarshal(b.Value, &md); err != nil {
				return "", fmt.Errorf("body block %d (paragraph %s): %w", i, b.ID, err)
			}
			for _, p := range markdownParagraphs(md) {
				add(p)
			}
		case "heading":
			var h string
			if err := json.Unmarshal(b.Value, &h); err != nil {
				return "", fmt.Errorf("body block %d (heading %s): %w", i, b.ID, err)
			}
			add(sentence(h))
		case "quote":
			var q quoteBlock
			if err := json.Unmarshal(b.Value, &q); err != nil {
				return "", fmt.Errorf("body block %d (quote %s): %w", i, b.ID, err)
			}
			add(q.Text)
			add(sentence(q.Attribution))
		case "scripture":
			var s scriptureBlock
			if err := json.Unmarshal(b.Value, &s); err != nil {
				return "", fmt.Errorf("body block %d (scripture %s): %w", i, b.ID, err)
			}
			add(sentence(s.Reference))
			add(s.Text)
		}
	}
	return strings.Join(paras, "\n\n"), nil
}

// sentence ends a title-like line with a full stop (so the voice pauses
// after it) unless it already ends with punctuation.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	last := []rune(s)[len([]rune(s))-1]
	if unicode.IsPunct(last) {
		return s
	}
	return s + "."
}

// normalizeSpace collapses runs of white space within each line, and
// drops empty lines.
func normalizeSpace(s string) string {
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// markdownParser parses rich text as the delivery API renders it (GitHub
// Flavoured Markdown).
var markdownParser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// markdownParagraphs renders markdown to plain text, one string per
// block (paragraph, heading, list item, table cell, code block): markup is
// dropped, links and images are read as their text, escapes and entities
// are resolved, and raw HTML is skipped.
func markdownParagraphs(src string) []string {
	source := []byte(src)
	doc := markdownParser.Parse(text.NewReader(source))
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Text:
			if entering {
				cur.Write(resolve(n.Value(source)))
				switch {
				case n.HardLineBreak():
					cur.WriteByte('\n')
				case n.SoftLineBreak():
					cur.WriteByte(' ')
				}
			}
			return ast.WalkContinue, nil
		case *ast.String:
			if entering {
				cur.Write(resolve(n.Value))
			}
			return ast.WalkContinue, nil
		case *ast.AutoLink:
			if entering {
				cur.Write(n.Label(source))
			}
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if entering {
				lines := n.Lines()
				for i := range lines.Len() {
					seg := lines.At(i)
					cur.Write(seg.Value(source))
				}
				flush()
			}
			return ast.WalkSkipChildren, nil
		}
		if n.Type() == ast.TypeBlock {
			// Every block (and the text before a nested block, such as
			// a list item's own text) is a paragraph of its own.
			flush()
		}
		return ast.WalkContinue, nil
	})
	flush()
	return out
}

// resolve turns backslash escapes and entity references into the
// characters they stand for.
func resolve(b []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(b)))
}
