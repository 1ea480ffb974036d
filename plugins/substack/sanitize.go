package substack

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/microcosm-cc/bluemonday"
)

// maxExcerpt bounds the excerpt, as the article type does.
const maxExcerpt = 1000

// sanitizer cleans the HTML of feed items. Policies and the converter are
// safe for concurrent use once built.
type sanitizer struct {
	body *bluemonday.Policy
	text *bluemonday.Policy
	md   *converter.Converter
}

func newSanitizer() *sanitizer {
	return &sanitizer{body: bodyPolicy(), text: bluemonday.StrictPolicy(), md: newMarkdownConverter()}
}

// bodyPolicy is stricter than bluemonday's UGC policy: text structure,
// links and images only. No iframes, forms, media, SVG, styles, classes or
// ids; no event handler or other attribute besides href, src, alt and
// title; URLs must parse and be http, https (or mailto for links), never
// relative (a relative link would point into Inkling, not Substack).
// Script and style elements go with their content. Links get
// rel="nofollow noopener" and target="_blank".
func bodyPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "cite", "s", "del", "strike",
		"blockquote", "ul", "ol", "li", "pre", "code", "hr", "figure", "figcaption", "sup", "sub", "span", "div")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("https", "http", "mailto")
	p.AllowAttrs("href", "title").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // adds rel="noopener" too
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	return p
}

// bodyMarkdown sanitises the HTML of a post and converts it to markdown.
func (s *sanitizer) bodyMarkdown(src string) (string, error) {
	md, err := s.md.ConvertString(s.body.Sanitize(src))
	if err != nil {
		return "", fmt.Errorf("converting the HTML body to markdown: %w", err)
	}
	return md, nil
}

// plainText reduces HTML (or text) to one line of plain text: tags
// dropped (scripts and styles with their content), entities decoded,
// white space collapsed.
func (s *sanitizer) plainText(src string) string {
	return strings.Join(strings.Fields(html.UnescapeString(s.text.Sanitize(src))), " ")
}

// excerpt is the plain text of src cut to maxExcerpt characters, at a word
// boundary when there is one, with an ellipsis.
func (s *sanitizer) excerpt(src string) string {
	return truncate(s.plainText(src), maxExcerpt)
}

func truncate(t string, limit int) string {
	if utf8.RuneCountInString(t) <= limit {
		return t
	}
	r := []rune(t)[:limit-1]
	cut := string(r)
	if i := strings.LastIndex(cut, " "); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}
