package contenttypes

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestWalk(t *testing.T) {
	ct := articleType()
	v, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var paths []string
	ct.Walk(v, func(path string, f *Field, value any) {
		if value == nil || f == nil {
			t.Errorf("%s: visited with nil", path)
		}
		paths = append(paths, path+" "+string(f.Kind))
	})
	want := []string{
		"fields.headline text", "fields.summary longtext", "fields.intro richtext", "fields.rating integer",
		"fields.price decimal", "fields.featured boolean", "fields.day date", "fields.at datetime",
		"fields.status select", "fields.tags tags", "fields.author reference", "fields.image media",
		"fields.extra json", "fields.code text",
		"fields.seo struct", "fields.seo.title text", "fields.seo.noindex boolean",
		"fields.links list", "fields.links[id1].value text", "fields.links[l1].value text",
		"fields.body stream",
		"fields.body[b1].value richtext",
		"fields.body[id2].value struct", "fields.body[id2].value.caption richtext",
		"fields.body[id2].value.items list",
		"fields.body[id2].value.items[i1].value struct",
		"fields.body[id2].value.items[i1].value.image media", "fields.body[id2].value.items[i1].value.alt text",
		"fields.body[id2].value.items[id3].value struct", "fields.body[id2].value.items[id3].value.image media",
		"fields.body[b3].value struct", "fields.body[b3].value.text text", "fields.body[b3].value.source reference",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("paths =\n%q\nwant\n%q", paths, want)
	}

	// Blocks without a usable id are addressed by index; odd values are not
	// descended into.
	odd := Values{"body": []any{map[string]any{"type": "quote", "value": map[string]any{"text": "t"}}, "junk"}, "seo": "x"}
	paths = nil
	ct.Walk(odd, func(path string, f *Field, value any) { paths = append(paths, path) })
	if want := []string{"fields.seo", "fields.body", "fields.body[0].value", "fields.body[0].value.text"}; !slices.Equal(paths, want) {
		t.Errorf("odd paths = %q, want %q", paths, want)
	}
	ct.Walk(v, nil) // no panic
}

func TestReferences(t *testing.T) {
	ct := articleType()
	v, _ := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	got := ct.References(v)
	want := []Ref{
		{Path: "fields.author", ID: "p1", AllowedTypes: []string{"person"}},
		{Path: "fields.body[b3].value.source", ID: "book9", AllowedTypes: []string{"person", "book"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("References = %+v, want %+v", got, want)
	}
	got[0].AllowedTypes[0] = "changed"
	if ct.Fields[10].AllowedTypes[0] != "person" {
		t.Error("Ref.AllowedTypes aliases the definition")
	}
}
