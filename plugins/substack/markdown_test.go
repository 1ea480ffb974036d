package substack

import (
	"regexp"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
)

func TestToMarkdown(t *testing.T) {
	conv := newMarkdownConverter()
	tests := []struct {
		name, html, want string
	}{
		{"paragraphs", "<p>One.</p>\n<p>Two.</p>", "One.\n\nTwo."},
		{"white space collapses", "<p>  a \n\t b  <em> c </em> d</p>", "a b *c* d"},
		{"non-breaking space kept", "<p>a&nbsp;b</p>", "a\u00a0b"},
		{"emphasis", "<p><strong>bold</strong>, <b>b</b>, <em>em</em>, <i>i</i>, <s>gone</s></p>", "**bold**, **b**, *em*, *i*, ~~gone~~"},
		{"empty emphasis dropped", "<p>a<strong> </strong>b</p>", "a b"},
		{"headings", "<h1>Top</h1><h3>Three <em>x</em></h3>", "# Top\n\n### Three *x*"},
		{"heading with a break is one line", "<h2>a<br>b</h2>", "## a b"},
		{"link with title", `<p><a href="https://x.test/a b" title="T &quot;q&quot;">go</a></p>`, `[go](https://x.test/a%20b 'T "q"')`},
		{"title and alt with backslashes and brackets", `<p><a href="https://x.test/" title="x\"><img src="https://x.test/a.png" alt="a\]b["></a></p>`,
			`[![a\\\]b\[](https://x.test/a.png)](https://x.test/ "x\\")`},
		{"link without text dropped", `<p>a<a href="https://x.test/"></a>b</p>`, `ab`},
		{"mailto link", `<p><a href="mailto:a@b.test">mail</a></p>`, `[mail](mailto:a@b.test)`},
		{"javascript link keeps only its text", `<p><a href="javascript:alert(1)">here</a>!</p>`, `here!`},
		{"relative link keeps only its text", `<p>see<a href="#footnote-1">1</a></p>`, `see1`},
		{"protocol-relative and upper-case javascript links keep only their text", `<p><a href="//evil.test/">a</a><a href="JAVASCRIPT:x()">b</a></p>`, `ab`},
		{"link with a mailto or http URL without an address keeps only its text", `<p><a href="mailto:">a</a><a href="http:///x">b</a></p>`, `ab`},
		{"image", `<img src="https://cdn.test/a.png" alt="A [b]" title="t">`, `![A \[b\]](https://cdn.test/a.png "t")`},
		{"image with a data URL dropped", `<p>x<img src="data:image/png;base64,AAA" alt="y"></p>`, `x`},
		{"image with a mailto, relative or vbscript URL dropped", `<p>x<img src="mailto:a@b.test"><img src="/a.png"><img src="VBSCRIPT:x"></p>`, `x`},
		{"image link", `<a href="https://x.test/big.png"><img src="https://x.test/small.png" alt=""></a>`, `[![](https://x.test/small.png)](https://x.test/big.png)`},
		// The library escapes only where a character would be markup
		// ("*a*" needs only its opener escaped).
		{"markdown characters escaped", `<p>*a* _b_ [c](d) &lt;x&gt; a&b ` + "`c`" + ` ~d~ |e|</p>`,
			`\*a* \_b_ \[c](d) &lt;x&gt; a&b \` + "`c\\`" + ` \~d~ \|e\|`},
		{"entity references stay text", `<p>&amp;copy; &amp;#169; &amp;#xA9; Fish &amp; chips</p>`, `&amp;copy; &amp;#169; &amp;#xA9; Fish & chips`},
		{"block openers escaped at line start", "<p># not a heading</p><p>- not a list</p><p>1. not a list</p><p>+ x</p>",
			`\# not a heading` + "\n\n" + `\- not a list` + "\n\n" + `1\. not a list` + "\n\n" + `\+ x`},
		{"block openers escaped after a hard break", "<p>a<br>- b<br>2) c<br>=</p>", "a  \n\\- b  \n2\\) c  \n\\="},
		{"pipes escaped so that no table forms", "<p>a | b<br>:-- | --</p>", "a \\| b  \n:-- \\| --"},
		{"block openers kept mid-line", "<p>a - b # c 1. d</p>", "a - b # c 1. d"},
		{"trailing break dropped", "<p>a<br></p>", "a"},
		{"unordered list", "<ul><li>a</li><li><p>b</p></li></ul>", "- a\n- b"},
		{"ordered list", "<ol><li><p>a</p></li><li><p>b</p></li></ol>", "1. a\n2. b"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  \n  - b"},
		{"item with two paragraphs", "<ol><li><p>a</p><p>b</p></li></ol>", "1. a\n   \n   b"},
		{"adjacent lists", "<ul><li>a</li></ul><ul><li>b</li></ul>", "- a\n\n- b"},
		{"blockquote", "<blockquote><p>a</p><p>b</p></blockquote>", "> a\n> \n> b"},
		{"inline code with backticks", "<p><code>a`b</code></p>", "``a`b``"},
		// html-to-markdown pads only the side with the backtick, so the
		// span renders as " `x".
		{"inline code starting with a backtick", "<p><code>`x</code></p>", "`` `x``"},
		{"code block", "<pre><code>if a &lt; b {\n\treturn\n}\n</code></pre>", "```\nif a < b {\n\treturn\n}\n```"},
		{"code block holding a fence", "<pre>```\nx\n```</pre>", "````\n```\nx\n```\n````"},
		{"rule", "<p>a</p><hr><p>b</p>", "a\n\n---\n\nb"},
		{"figure with caption", `<figure><img src="https://x.test/a.png" alt="a"><figcaption>Cap <b>b</b></figcaption></figure>`, "![a](https://x.test/a.png)\n\n*Cap **b***"},
		{"table and definition list reduced to text", "<table><tr><td>a</td><td>b</td></tr></table><dl><dt>t</dt><dd>d</dd></dl>", "ab\n\nt\n\nd"},
		{"div text and blocks", "<div>loose <b>text</b><p>para</p>tail</div>", "loose **text**\n\npara\n\ntail"},
		{"block inside a link", `<div><a href="https://x.test/"><div>in div</div></a></div>`, "[in div](https://x.test/)"},
		{"script, style and iframe bodies dropped", "<p>a<script>b()</script><style>c{}</style><iframe>d</iframe>e</p>", "ae"},
		{"comments dropped", "<p>a<!-- b -->c</p>", "ac"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conv.ConvertString(tt.html)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("toMarkdown(%q)\n got: %q\nwant: %q", tt.html, got, tt.want)
			}
		})
	}
}

// TestToMarkdownRendersBack checks that what the delivery renderer makes
// of the markdown keeps the structure and the text of the HTML.
func TestToMarkdownRendersBack(t *testing.T) {
	r := contenttypes.NewRenderer()
	conv := newMarkdownConverter()
	tests := []struct {
		name, html string
		want       []string
	}{
		{"text that looks like markup stays text", `<p>*a* _b_ &lt;b&gt; [c](d) &amp;copy; # d ` + "`e`" + ` ~f~ |g|</p>`,
			[]string{`<p>*a* _b_ &lt;b&gt; [c](d) &amp;copy; # d ` + "`e`" + ` ~f~ |g|</p>`}},
		{"text never makes a table or a heading", `<p>a | b<br>:-- | --</p><p>c<br>=</p>`,
			[]string{"<p>a | b<br>\n:-- | --</p>", "<p>c<br>\n=</p>"}},
		{"alt and title with backslashes", `<p><a href="https://x.test/" title="t\"><img src="https://x.test/a.png" alt="a\]"></a></p>`,
			[]string{`<a href="https://x.test/" title="t\" rel="nofollow"><img src="https://x.test/a.png" alt="a\]"></a>`}},
		{"caption", `<figure><img src="https://x.test/a.png" alt="a"><figcaption>Cap</figcaption></figure>`,
			[]string{`<img src="https://x.test/a.png" alt="a">`, "<p><em>Cap</em></p>"}},
		{"structure", `<h2>H</h2><ul><li>one</li><li><a href="https://x.test/">two</a></li></ul><blockquote><p>q</p></blockquote>`,
			[]string{"<h2>H</h2>", "<li>one</li>", `<a href="https://x.test/" rel="nofollow">two</a>`, "<blockquote>\n<p>q</p>"}},
		{"hard break", `<p>a<br>b</p>`, []string{"<p>a<br>\nb</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := conv.ConvertString(tt.html)
			if err != nil {
				t.Fatal(err)
			}
			out := r.Markdown(md)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("rendered %q (from %q), want it to contain %q", out, md, w)
				}
			}
		})
	}
}

// unsafe matches what must never reach a stored body or its rendering.
var unsafe = regexp.MustCompile(`(?i)<\s*script|<\s*iframe|<\s*svg|<\s*style|<\s*form|\bon[a-z]+\s*=|javascript:|vbscript:|data:text`)

func TestSanitiseHostileHTML(t *testing.T) {
	s := newSanitizer()
	r := contenttypes.NewRenderer()
	tests := []struct {
		name, html string
		keep       string // text that must survive
	}{
		{"script element", `<p>safe</p><script>alert(1)</script>`, "safe"},
		{"script in mixed case", `<p>safe</p><ScRiPt>alert(1)</sCrIpT>`, "safe"},
		{"onerror on an image", `<img src="https://x.test/a.png" onerror="alert(1)" alt="safe">`, "safe"},
		{"javascript link", `<a href="javascript:alert(1)">safe</a>`, "safe"},
		{"javascript link in mixed case, padded", `<a href="  JaVaScRiPt:alert(1)">safe</a>`, "safe"},
		{"javascript link with an encoded tab", `<a href="java&#x09;script:alert(1)">safe</a>`, "safe"},
		{"data URL link", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">safe</a>`, "safe"},
		{"vbscript link", `<a href="vbscript:msgbox(1)">safe</a>`, "safe"},
		{"svg onload", `<p>safe<svg onload="alert(1)"><circle r="1"/></svg></p>`, "safe"},
		{"iframe", `<p>safe</p><iframe src="javascript:alert(1)"></iframe>`, "safe"},
		{"style attribute", `<p style="background:url(javascript:alert(1))">safe</p>`, "safe"},
		{"event handler on a paragraph", `<p onclick="alert(1)" onmouseover="x()">safe</p>`, "safe"},
		{"mutation XSS", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>safe`, ""},
		{"escaped markup in text", `<p>&lt;script&gt;alert(1)&lt;/script&gt; safe</p>`, "safe"},
		{"form", `<form action="https://evil.test"><input name="q" onfocus="x()">safe</form>`, "safe"},
	}
	// html-to-markdown does not sanitise: the converter alone (without
	// the bluemonday policy) must give safe markdown too.
	convert := map[string]func(string) (string, error){
		"sanitised":      s.bodyMarkdown,
		"converter only": func(h string) (string, error) { return s.md.ConvertString(h) },
	}
	for _, tt := range tests {
		for how, fn := range convert {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				md, err := fn(tt.html)
				if err != nil {
					t.Fatal(err)
				}
				out := r.Markdown(md)
				if unsafe.MatchString(out) {
					t.Errorf("the rendered body %q (markdown %q) is unsafe", out, md)
				}
				// Text "<" is written as "&lt;".
				if m := unsafe.FindString(md); m != "" {
					t.Errorf("the stored markdown %q carries %q", md, m)
				}
				if tt.keep != "" && !strings.Contains(md, tt.keep) {
					t.Errorf("the markdown %q lost the text %q", md, tt.keep)
				}
			})
		}
	}
}

func TestExcerpt(t *testing.T) {
	s := newSanitizer()
	long := strings.Repeat("word ", 300)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "  A  subtitle\n here ", "A subtitle here"},
		{"markup dropped, entities decoded", `Fish &amp; <b>chips</b><script>alert(1)</script>`, "Fish & chips"},
		{"empty", "", ""},
		{"cut at a word, with an ellipsis", long, strings.TrimSpace(strings.Repeat("word ", 199)) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.excerpt(tt.in)
			if got != tt.want {
				t.Errorf("excerpt(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if n := len([]rune(got)); n > maxExcerpt {
				t.Errorf("excerpt has %d characters, more than %d", n, maxExcerpt)
			}
		})
	}
}
