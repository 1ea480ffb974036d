package substack

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The article body is a richtext field, stored as markdown and rendered to
// HTML on delivery by a renderer that drops raw HTML. So the sanitised HTML
// of a post is converted to CommonMark (with GFM strikethrough) here: the
// structure survives (paragraphs, headings, emphasis, links, images, lists,
// quotes, code), and anything else is reduced to its text.

// toMarkdown converts an HTML fragment to markdown. It is meant for HTML
// that was sanitised first, but it is safe on any input: text is escaped,
// and only http(s) (and, for links, mailto) URLs become links or images.
func toMarkdown(src string) (string, error) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(src), body)
	if err != nil {
		return "", fmt.Errorf("parsing the HTML body: %w", err)
	}
	return strings.Join(blocks(nodes), "\n\n"), nil
}

// blockAtoms are the elements rendered as blocks of their own; any other
// node is inline content of the paragraph around it.
var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Pre: true, atom.Hr: true,
	atom.Div: true, atom.Section: true, atom.Article: true, atom.Figure: true, atom.Figcaption: true,
	atom.Header: true, atom.Footer: true, atom.Main: true, atom.Aside: true, atom.Nav: true,
	atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Address: true, atom.Details: true, atom.Summary: true,
}

func isBlock(n *html.Node) bool { return n.Type == html.ElementNode && blockAtoms[n.DataAtom] }

func children(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, c)
	}
	return out
}

// blocks renders nodes as markdown blocks: block elements each give their
// blocks, and runs of inline nodes between them give a paragraph.
func blocks(nodes []*html.Node) []string {
	var run []*html.Node
	var res []string
	flush := func() {
		if s := paragraph(run); s != "" {
			res = append(res, s)
		}
		run = nil
	}
	for _, n := range nodes {
		if isBlock(n) {
			flush()
			res = append(res, block(n)...)
			continue
		}
		run = append(run, n)
	}
	flush()
	return res
}

// block renders one block element.
func block(n *html.Node) []string {
	switch n.DataAtom {
	case atom.P:
		if s := paragraph(children(n)); s != "" {
			return []string{s}
		}
		return nil
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		level := int(n.Data[1] - '0')
		if s := singleLine(paragraph(children(n))); s != "" {
			return []string{strings.Repeat("#", level) + " " + s}
		}
		return nil
	case atom.Blockquote:
		inner := strings.Join(blocks(children(n)), "\n\n")
		if inner == "" {
			return nil
		}
		lines := strings.Split(inner, "\n")
		for i, l := range lines {
			if l == "" {
				lines[i] = ">"
			} else {
				lines[i] = "> " + l
			}
		}
		return []string{strings.Join(lines, "\n")}
	case atom.Ul, atom.Ol:
		return list(n)
	case atom.Pre:
		return []string{fencedCode(textContent(n))}
	case atom.Hr:
		return []string{"---"}
	case atom.Figcaption:
		if s := singleLine(paragraph(children(n))); s != "" {
			return []string{emphasise(s, "*")}
		}
		return nil
	}
	// Containers (div, figure, li outside a list, table cells...): their
	// content, block by block.
	return blocks(children(n))
}

// list renders a ul or ol; items are separated by single newlines, and an
// item's continuation lines are indented under its text.
func list(n *html.Node) []string {
	var items []string
	num := 0
	for _, c := range children(n) {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" || c.Type == html.CommentNode {
			continue
		}
		var content []*html.Node
		if c.Type == html.ElementNode && c.DataAtom == atom.Li {
			content = children(c)
		} else {
			content = []*html.Node{c}
		}
		body := strings.Join(blocks(content), "\n\n")
		if body == "" {
			continue
		}
		num++
		marker := "- "
		if n.DataAtom == atom.Ol {
			marker = strconv.Itoa(num) + ". "
		}
		pad := strings.Repeat(" ", len(marker))
		lines := strings.Split(body, "\n")
		for i := 1; i < len(lines); i++ {
			if lines[i] != "" {
				lines[i] = pad + lines[i]
			}
		}
		items = append(items, marker+strings.Join(lines, "\n"))
	}
	if len(items) == 0 {
		return nil
	}
	return []string{strings.Join(items, "\n")}
}

// paragraph renders inline nodes as one paragraph ("" when there is no
// text).
func paragraph(nodes []*html.Node) string {
	w := &inlineWriter{lineStart: true}
	for _, n := range nodes {
		w.node(n)
	}
	s := w.b.String()
	for {
		t := strings.TrimRight(s, " \n")
		t = strings.TrimSuffix(t, "\\") // a hard break at the very end
		if t == s {
			break
		}
		s = t
	}
	return strings.TrimLeft(s, " ")
}

func singleLine(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\\\n", " "))
}

// inlineWriter writes inline markdown, collapsing white space as HTML does
// and escaping text so that it never turns into markup.
type inlineWriter struct {
	b strings.Builder
	// lineStart is true until text follows the start of the paragraph or
	// a hard line break: there, a character that would open a block
	// (#, -, 1.) is escaped.
	lineStart bool
	// nested is true for the content of an element rendered on its own
	// (see inner): its leading white space is kept for the caller.
	nested bool
}

func (w *inlineWriter) lastIsSpace() bool {
	s := w.b.String()
	if s == "" {
		return !w.nested
	}
	return s[len(s)-1] == ' ' || s[len(s)-1] == '\n'
}

func (w *inlineWriter) raw(s string) {
	w.b.WriteString(s)
	w.lineStart = false
}

func (w *inlineWriter) space() {
	if !w.lastIsSpace() {
		w.b.WriteByte(' ')
	}
}

func (w *inlineWriter) text(s string) {
	if s == "" {
		return
	}
	t := strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isHTMLSpace(byte(r)) }), " ")
	if t == "" {
		w.space()
		return
	}
	if isHTMLSpace(s[0]) {
		w.space()
	}
	esc := escapeInline(t)
	if w.lineStart {
		esc = escapeLineStart(esc)
	}
	w.raw(esc)
	if isHTMLSpace(s[len(s)-1]) {
		w.b.WriteByte(' ')
	}
}

// markdown writes already rendered markdown s, keeping one space for its
// leading and trailing white space.
func (w *inlineWriter) markdown(s string) {
	t := strings.TrimSpace(s)
	if t == "" {
		if s != "" {
			w.space()
		}
		return
	}
	if strings.HasPrefix(s, " ") {
		w.space()
	}
	if w.lineStart {
		t = escapeLineStart(t)
	}
	w.raw(t)
	if strings.HasSuffix(s, " ") {
		w.b.WriteByte(' ')
	}
}

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// node writes one inline node.
func (w *inlineWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	default:
		return // comments, doctypes
	}
	switch n.DataAtom {
	case atom.Strong, atom.B:
		w.wrap(n, "**")
	case atom.Em, atom.I, atom.Cite:
		w.wrap(n, "*")
	case atom.S, atom.Del, atom.Strike:
		w.wrap(n, "~~")
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		w.codeSpan(textContent(n))
	case atom.A:
		w.link(n)
	case atom.Img:
		if img := image(n); img != "" {
			w.raw(img)
		}
	case atom.Br:
		if !w.lineStart {
			w.b.WriteString("\\\n")
			w.lineStart = true
		}
	case atom.Script, atom.Style, atom.Template, atom.Iframe, atom.Object, atom.Embed, atom.Svg, atom.Math,
		atom.Noscript, atom.Select, atom.Textarea, atom.Button, atom.Input:
		// No text worth keeping (and never markup).
	default:
		if isBlock(n) {
			// A block inside inline content (a div in a link): its text.
			w.markdown(" " + singleLine(strings.Join(block(n), " ")) + " ")
			return
		}
		for _, c := range children(n) {
			w.node(c)
		}
	}
}

// inner renders the children of n on their own, as one line.
func inner(n *html.Node) string {
	w := &inlineWriter{nested: true}
	for _, c := range children(n) {
		w.node(c)
	}
	return strings.ReplaceAll(w.b.String(), "\\\n", " ")
}

// wrap writes the children of n between markers, with the markers hugging
// the text (emphasis must not start or end with a space).
func (w *inlineWriter) wrap(n *html.Node, marker string) {
	s := inner(n)
	if t := strings.TrimSpace(s); t != "" {
		s = strings.Replace(s, t, emphasise(t, marker), 1)
	}
	w.markdown(s)
}

func emphasise(s, marker string) string { return marker + s + marker }

// link writes an a element: [text](url "title") when its URL is http(s)
// or mailto, and only its text otherwise.
func (w *inlineWriter) link(n *html.Node) {
	href, ok := safeURL(attr(n, "href"), true)
	s := inner(n)
	if !ok {
		w.markdown(s)
		return
	}
	text := strings.TrimSpace(s)
	if text == "" {
		text = escapeInline(href)
	}
	w.markdown(leadingSpace(s) + "[" + text + "](" + destination(href) + title(n) + ")" + trailingSpace(s))
}

// image renders an img element, or "" when its src is not http(s).
func image(n *html.Node) string {
	src, ok := safeURL(attr(n, "src"), false)
	if !ok {
		return ""
	}
	alt := strings.Join(strings.Fields(attr(n, "alt")), " ")
	alt = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(alt)
	return "![" + alt + "](" + destination(src) + title(n) + ")"
}

func title(n *html.Node) string {
	t := strings.Join(strings.Fields(attr(n, "title")), " ")
	if t == "" {
		return ""
	}
	return ` "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t) + `"`
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

// safeURL returns u when it is an absolute http(s) URL (or mailto, for
// links).
func safeURL(u string, mailto bool) (string, bool) {
	if u == "" {
		return "", false
	}
	p, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.String(), p.Host != ""
	case "mailto":
		return p.String(), mailto && p.Opaque != ""
	}
	return "", false
}

// destination escapes the characters that would end a link destination.
func destination(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\\", "%5C").Replace(u)
}

// codeSpan writes s as inline code, fenced by more backticks than it
// holds.
func (w *inlineWriter) codeSpan(s string) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if s[0] == '`' || s[len(s)-1] == '`' {
		s = " " + s + " "
	}
	w.raw(fence + s + fence)
}

func fencedCode(s string) string {
	s = strings.Trim(s, "\n")
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "\n" + s + "\n" + fence
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// textContent is the text of n and its descendants, with br as newlines.
func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.DataAtom == atom.Br:
			b.WriteByte('\n')
		case n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style):
		default:
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// inlineEscaper escapes the characters that are markup anywhere in a
// line of CommonMark / GFM text.
var inlineEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `&`, `\&`, `~`, `\~`, `|`, `\|`,
)

func escapeInline(s string) string { return inlineEscaper.Replace(s) }

// escapeLineStart escapes what would open a block at the start of a line:
// a heading (#), a list item (-, +, "1." or "1)") or a setext underline
// (=). (> and * are escaped everywhere.)
func escapeLineStart(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '#', '-', '+', '=':
		return `\` + s
	}
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}

func leadingSpace(s string) string {
	if strings.HasPrefix(s, " ") {
		return " "
	}
	return ""
}

func trailingSpace(s string) string {
	if strings.HasSuffix(s, " ") && strings.TrimSpace(s) != "" {
		return " "
	}
	return ""
}
