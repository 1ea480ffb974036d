package api

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/related"
)

// TestAppendRelatedBody: the spliced body is the JSON json.Marshal would
// give, with the declared keys, for any seed id, and leaves out hits whose
// entry was unpublished after ranking.
func TestAppendRelatedBody(t *testing.T) {
	spec := &pluginhost.RelatedList{ItemKey: "passage", SeedKey: "passage_id"}
	items := map[string][]byte{
		"a": []byte(`{"id":"a","fields":{"t":"<b>\"x\"</b>"}}`),
		"b": []byte(`{"id":"b"}`),
	}
	type item struct {
		Overlap int             `json:"overlap"`
		Passage json.RawMessage `json:"passage"`
	}
	type body struct {
		Items     []item `json:"items"`
		PassageID string `json:"passage_id"`
	}
	for _, tc := range []struct {
		name string
		seed string
		hits []related.Hit
		want body
	}{
		{name: "none", seed: "p1", want: body{Items: []item{}, PassageID: "p1"}},
		{name: "two, in rank order", seed: "p1", hits: []related.Hit{{EntryID: "b", Overlap: 12}, {EntryID: "a", Overlap: 3}},
			want: body{Items: []item{{Overlap: 12, Passage: items["b"]}, {Overlap: 3, Passage: items["a"]}}, PassageID: "p1"}},
		{name: "seed needing escapes", seed: "a\"b\\c\n<d>", want: body{Items: []item{}, PassageID: "a\"b\\c\n<d>"}},
		{name: "unpublished since ranked", seed: "p", hits: []related.Hit{{EntryID: "gone", Overlap: 4}, {EntryID: "a", Overlap: 1}},
			want: body{Items: []item{{Overlap: 1, Passage: items["a"]}}, PassageID: "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := appendRelatedBody(nil, spec, tc.seed, tc.hits, items)
			if !json.Valid(raw) {
				t.Fatalf("invalid JSON: %s", raw)
			}
			var got body
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %s", raw)
			}
		})
	}
}
