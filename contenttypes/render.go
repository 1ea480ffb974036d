package contenttypes

import (
	"bytes"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns richtext markdown into sanitised HTML. It is safe for
// concurrent use; create one with [NewRenderer] and share it.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// NewRenderer returns a Renderer for GitHub Flavoured Markdown (tables,
// strikethrough, autolinks, task lists) in which raw HTML is dropped, and
// whose output is sanitised with bluemonday's UGC policy (extended to keep
// table cell alignment and disabled task list checkboxes).
func NewRenderer() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(
			extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute),
		),
	)
	policy := bluemonday.UGCPolicy()
	policy.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	policy.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	return &Renderer{md: md, policy: policy}
}

// Markdown renders src to sanitised HTML. A nil Renderer uses a fresh
// default one.
func (r *Renderer) Markdown(src string) string {
	if r == nil {
		r = NewRenderer()
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return ""
	}
	return r.policy.Sanitize(buf.String())
}

// Render returns a deep copy of v for delivery in which every richtext
// value, at any depth, is replaced by {"markdown": source, "html": sanitised
// HTML}. Other values, and values that do not match the definition, are
// copied unchanged. A nil Renderer uses a fresh default one.
func (ct *ContentType) Render(v Values, r *Renderer) Values {
	if v == nil {
		return nil
	}
	if r == nil {
		r = NewRenderer()
	}
	out := make(Values, len(v))
	for k, val := range v {
		var f *Field
		if ct != nil {
			f, _ = ct.Field(k)
		}
		out[k] = renderValue(f, val, r, 0)
	}
	return out
}

// renderValue copies v, rendering the richtext values of field f.
func renderValue(f *Field, v any, r *Renderer, depth int) any {
	if f == nil || depth > maxDepth {
		return deepCopy(v)
	}
	switch f.Kind {
	case KindRichText:
		if s, ok := v.(string); ok {
			return map[string]any{"markdown": s, "html": r.Markdown(s)}
		}
	case KindStruct:
		if m, ok := asObject(v); ok {
			out := make(map[string]any, len(m))
			for k, e := range m {
				out[k] = renderValue(f.childNamed(k), e, r, depth+1)
			}
			return out
		}
	case KindList, KindStream:
		if arr, ok := asArray(v); ok {
			out := make([]any, len(arr))
			for i, item := range arr {
				b, ok := asObject(item)
				if !ok {
					out[i] = deepCopy(item)
					continue
				}
				child := f.blockField(b)
				nb := make(map[string]any, len(b))
				for k, e := range b {
					if k == "value" {
						nb[k] = renderValue(child, e, r, depth+1)
					} else {
						nb[k] = deepCopy(e)
					}
				}
				out[i] = nb
			}
			return out
		}
	}
	return deepCopy(v)
}
