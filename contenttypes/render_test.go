package contenttypes

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func TestMarkdown(t *testing.T) {
	r := NewRenderer()
	tests := []struct {
		name, src  string
		contains   []string
		notContain []string
	}{
		{"emphasis", "Hello *world*", []string{"<p>Hello <em>world</em></p>"}, nil},
		{"script dropped", "<script>alert(1)</script>\n\nok", []string{"<p>ok</p>"}, []string{"<script", "alert(1)"}},
		{"inline html dropped", "a <img src=x onerror=alert(1)> b", nil, []string{"<img", "onerror"}},
		{"javascript link", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:"}},
		{"autolinked javascript", "<javascript:alert(1)>", nil, []string{"href"}},
		{"safe link gets nofollow", "[x](https://example.com)", []string{`href="https://example.com"`, `rel="nofollow"`}, nil},
		{"table", "| a | b |\n|---|:-:|\n| 1 | 2 |", []string{"<table>", "<th>a</th>", `<td align="center">2</td>`}, nil},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}, nil},
		{"task list", "- [x] done", []string{`<input checked="" disabled="" type="checkbox"`}, nil},
		{"empty", "", nil, []string{"<"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := r.Markdown(tt.src)
			for _, s := range tt.contains {
				if !strings.Contains(html, s) {
					t.Errorf("%q does not contain %q", html, s)
				}
			}
			for _, s := range tt.notContain {
				if strings.Contains(html, s) {
					t.Errorf("%q contains %q", html, s)
				}
			}
		})
	}
	var nilRenderer *Renderer
	if got := nilRenderer.Markdown("*a*"); got != "<p><em>a</em></p>\n" {
		t.Errorf("nil renderer: %q", got)
	}
}

func TestRender(t *testing.T) {
	ct := articleType()
	v, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatal(diags)
	}
	before := mustJSON(t, v)
	out := ct.Render(v, NewRenderer())
	if mustJSON(t, v) != before {
		t.Error("Render modified its input")
	}
	intro := out["intro"].(map[string]any)
	if intro["markdown"] != "Some *markdown*" || intro["html"] != "<p>Some <em>markdown</em></p>\n" {
		t.Errorf("intro = %v", intro)
	}
	body := out["body"].([]any)
	para := body[0].(map[string]any)["value"].(map[string]any)
	if para["html"] != "<p>First <strong>para</strong></p>\n" {
		t.Errorf("paragraph = %v", para)
	}
	caption := body[1].(map[string]any)["value"].(map[string]any)["caption"].(map[string]any)
	if caption["markdown"] != "Cap" {
		t.Errorf("caption = %v", caption)
	}
	if out["headline"] != "Hello" || out["summary"] != "Line one\nLine two" {
		t.Error("non-richtext values changed")
	}
	// The copy is deep: changing it leaves the input alone.
	out["seo"].(map[string]any)["title"] = "changed"
	out["tags"].([]any)[0] = "changed"
	if mustJSON(t, v) != before {
		t.Error("Render result shares memory with its input")
	}
	// Values that do not fit the definition are copied as they are.
	odd := Values{"intro": 5, "body": []any{"x", map[string]any{"type": "nope", "value": "y"}}, "zzz": []any{1}}
	if got := mustJSON(t, ct.Render(odd, nil)); got != mustJSON(t, odd) {
		t.Errorf("odd values rendered as %s", got)
	}
	if ct.Render(nil, nil) != nil {
		t.Error("Render(nil) is not nil")
	}
}

func TestRendererConcurrent(t *testing.T) {
	r := NewRenderer()
	ct := articleType()
	v, _ := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	want := mustJSON(t, ct.Render(v, r))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := mustJSON(t, ct.Render(v, r)); got != want {
					t.Errorf("concurrent render differs")
					return
				}
			}
		})
	}
	wg.Wait()
}
