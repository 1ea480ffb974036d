package substack

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The article body is a richtext field, stored as markdown and rendered to
// HTML on delivery by a renderer that drops raw HTML. So the sanitised HTML
// of a post is converted to CommonMark (with GFM strikethrough) by
// html-to-markdown: the structure survives (paragraphs, headings,
// emphasis, links, images, lists, quotes, code), anything else is reduced
// to its text, and text is escaped so that it never turns into markup.
//
// html-to-markdown does not sanitise (its README says so): it writes any
// URL it is given. The body policy already allows only http(s) and mailto
// URLs, and bodyRules enforces the same again in the converter, so the
// conversion is safe on any input.

// newMarkdownConverter returns the converter of post bodies. It is safe
// for concurrent use.
func newMarkdownConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithHorizontalRule("---"),
			// A link with no text would be invisible.
			commonmark.WithLinkEmptyContentBehavior(commonmark.LinkBehaviorSkip),
			// Not "<!--THE END-->" between two lists: the renderer
			// drops raw HTML.
			commonmark.WithListEndComment(false),
		),
		strikethrough.NewStrikethroughPlugin(),
		bodyRules{},
	))
}

// bodyRules is the converter plugin of the guarantees html-to-markdown does
// not give itself: a link whose URL is not absolute http(s) or mailto
// keeps only its text, an image whose URL is not absolute http(s) is
// dropped, text such as "&copy;" or "a | b" stays text (no entity, no
// GFM table), alt and title attributes cannot break their image or link,
// and figure captions are set in italics.
type bodyRules struct{}

func (bodyRules) Name() string { return "inkling-body-rules" }

func (bodyRules) Init(conv *converter.Converter) error {
	conv.Register.RendererFor("a", converter.TagTypeInline, renderLink, converter.PriorityEarly)
	conv.Register.RendererFor("img", converter.TagTypeInline, renderImage, converter.PriorityEarly)
	// Before base's transform, which writes "<" as "&lt;".
	conv.Register.TextTransformer(escapeEntities, converter.PriorityEarly)
	conv.Register.UnEscaper(keepPipeEscaped, converter.PriorityStandard)
	conv.Register.PreRenderer(prepare, converter.PriorityEarly)
	return nil
}

func renderLink(ctx converter.Context, w converter.Writer, n *html.Node) converter.RenderStatus {
	if safeURL(attr(n, "href"), true) {
		return converter.RenderTryNext // commonmark renders it
	}
	ctx.RenderChildNodes(ctx, w, n)
	return converter.RenderSuccess
}

func renderImage(_ converter.Context, _ converter.Writer, n *html.Node) converter.RenderStatus {
	if safeURL(attr(n, "src"), false) {
		return converter.RenderTryNext
	}
	return converter.RenderSuccess // dropped
}

// entity matches an HTML entity reference, which CommonMark decodes.
var entity = regexp.MustCompile(`&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// escapeEntities writes the "&" of text such as "&copy;" as "&amp;", so
// that it renders as written (a lone "&" needs no escaping).
func escapeEntities(_ converter.Context, s string) string {
	return entity.ReplaceAllString(s, "&amp;$1;")
}

// keepPipeEscaped keeps the escape of "|", which commonmark marks but
// never keeps: the renderer (GFM) would read text such as "a | b" over
// ":-- | --" as a table.
func keepPipeEscaped(chars []byte, index int) int {
	if chars[index] == '|' {
		return 1
	}
	return -1
}

var (
	// commonmark escapes "[" and "]" in an alt unless a backslash
	// precedes them, and escapes nothing in a title.
	altEscaper   = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
	titleEscaper = strings.NewReplacer(`\`, `\\`)
)

// prepare escapes the alt and title attributes of images and links, and
// wraps the content of each figcaption in an em.
func prepare(_ converter.Context, doc *html.Node) { prepareNode(doc) }

func prepareNode(n *html.Node) {
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.A, atom.Img:
			for i, a := range n.Attr {
				switch a.Key {
				case "alt":
					n.Attr[i].Val = altEscaper.Replace(a.Val)
				case "title":
					n.Attr[i].Val = titleEscaper.Replace(a.Val)
				}
			}
		case atom.Figcaption:
			em := &html.Node{Type: html.ElementNode, Data: "em", DataAtom: atom.Em}
			for c := n.FirstChild; c != nil; c = n.FirstChild {
				n.RemoveChild(c)
				em.AppendChild(c)
			}
			n.AppendChild(em)
			n = em
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		prepareNode(c)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

// safeURL reports whether u is an absolute http(s) URL (or mailto, for
// links). It parses u as html-to-markdown does before writing it.
func safeURL(u string, mailto bool) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.Host != ""
	case "mailto":
		return mailto && p.Opaque != ""
	}
	return false
}
