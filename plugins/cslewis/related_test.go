package cslewis

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/inklingcms/inkling/plugins/sdk"
)

// TestRelatedBody: the hand-assembled body is the JSON json.Marshal would
// give, for any passage id.
func TestRelatedBody(t *testing.T) {
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
		id   string
		hits []sdk.RelatedHit
		want body
	}{
		{name: "none", id: "p1", want: body{Items: []item{}, PassageID: "p1"}},
		{name: "two", id: "p1", hits: []sdk.RelatedHit{
			{ID: "a", Overlap: 3, Item: json.RawMessage(`{"id":"a","fields":{"t":"<b>\"x\"</b>"}}`)},
			{ID: "b", Overlap: 12, Item: json.RawMessage(`{"id":"b"}`)},
		}, want: body{Items: []item{
			{Overlap: 3, Passage: json.RawMessage(`{"id":"a","fields":{"t":"<b>\"x\"</b>"}}`)},
			{Overlap: 12, Passage: json.RawMessage(`{"id":"b"}`)},
		}, PassageID: "p1"}},
		{name: "id needing escapes", id: "a\"b\\c\n<d>", want: body{Items: []item{}, PassageID: "a\"b\\c\n<d>"}},
		{name: "missing item", id: "p", hits: []sdk.RelatedHit{{ID: "a", Overlap: 1}},
			want: body{Items: []item{{Overlap: 1, Passage: json.RawMessage("null")}}, PassageID: "p"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := relatedBody(tc.id, tc.hits)
			if err != nil {
				t.Fatal(err)
			}
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
