package contenttypes

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDiffValues(t *testing.T) {
	ct := &ContentType{Key: "doc", Label: "Doc", Fields: []Field{
		{Name: "title", Kind: KindText},
		{Name: "year", Kind: KindInteger},
		{Name: "tags", Kind: KindTags},
		{Name: "body", Kind: KindStream, Children: []Field{
			{Name: "para", Kind: KindRichText},
			{Name: "quote", Kind: KindStruct, Children: []Field{
				{Name: "text", Kind: KindText},
				{Name: "caption", Kind: KindText},
			}},
		}},
	}}
	decode := func(s string) Values {
		v, err := DecodeValues([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		a, b string
		want []string // "op path"
	}{
		{"identical", `{"year":1}`, `{"year":1}`, nil},
		{"scalar changed, added, removed", `{"year":1,"title":"a"}`, `{"year":2,"tags":["x"]}`,
			[]string{"removed fields.title", "changed fields.year", "added fields.tags"}},
		{"block edited inside a struct",
			`{"body":[{"type":"quote","id":"q","value":{"text":"a","caption":"c"}}]}`,
			`{"body":[{"type":"quote","id":"q","value":{"text":"b","caption":"c"}}]}`,
			[]string{"changed fields.body", "changed fields.body[q].value", "changed fields.body[q].value.text"}},
		{"blocks moved, added and removed",
			`{"body":[{"type":"para","id":"p1","value":"one"},{"type":"para","id":"p2","value":"two"},{"type":"para","id":"p3","value":"three"}]}`,
			`{"body":[{"type":"para","id":"p2","value":"two"},{"type":"para","id":"p1","value":"one"},{"type":"para","id":"p4","value":"four"}]}`,
			[]string{"changed fields.body", "removed fields.body[p3]", "moved fields.body[p2]", "moved fields.body[p1]", "added fields.body[p4]"}},
		{"block type changed under the same id",
			`{"body":[{"type":"para","id":"x","value":"one"}]}`,
			`{"body":[{"type":"quote","id":"x","value":{"text":"one"}}]}`,
			[]string{"changed fields.body", "changed fields.body[x]"}},
		{"deleting one block of several moves nothing",
			`{"body":[{"type":"para","id":"a","value":"1"},{"type":"para","id":"b","value":"2"}]}`,
			`{"body":[{"type":"para","id":"b","value":"2"}]}`,
			[]string{"changed fields.body", "removed fields.body[a]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ct.DiffValues(decode(tc.a), decode(tc.b))
			var ops []string
			for _, c := range got {
				ops = append(ops, c.Op+" "+c.Path)
			}
			if strings.Join(ops, "|") != strings.Join(tc.want, "|") {
				b, _ := json.Marshal(got)
				t.Fatalf("got  %v\nwant %v\n%s", ops, tc.want, b)
			}
		})
	}
}
