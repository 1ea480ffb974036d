package delivery

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestAppendItemMatchesEncodingJSON: the fast encoder writes what
// encoding/json would (up to HTML escaping, which neither side needs).
func TestAppendItemMatchesEncodingJSON(t *testing.T) {
	up, parent := "/a/b/", "p1"
	items := []Item{
		{ID: "e1", Type: "passage", Title: `Quotes "and" <tags> & ünïcode`, Slug: "s", FirstPublishedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC),
			PublishedAt: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC), Fields: json.RawMessage(`{"a":[1,2],"h":"<p>x</p>"}`)},
		{ID: "e2", Type: "page", Title: "T", Slug: "t", URLPath: &up, ParentID: &parent, Fields: nil},
	}
	for _, it := range items {
		var fast, std any
		if err := json.Unmarshal(appendItem(nil, &it), &fast); err != nil {
			t.Fatalf("invalid JSON: %v: %s", err, appendItem(nil, &it))
		}
		b, _ := json.Marshal(it)
		if err := json.Unmarshal(b, &std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("fast %v\nstd  %v", fast, std)
		}
	}
}

func TestPageJSON(t *testing.T) {
	next := "c1"
	for _, p := range []Page{{Items: []Item{}, Limit: 20}, {Items: []Item{{ID: "a", Fields: json.RawMessage(`{}`)}, {ID: "b"}}, NextCursor: &next, Limit: 2}} {
		var fast, std any
		if err := json.Unmarshal(p.JSON(), &fast); err != nil {
			t.Fatalf("invalid: %s", p.JSON())
		}
		b, _ := json.Marshal(p)
		_ = json.Unmarshal(b, &std)
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("fast %v\nstd  %v", fast, std)
		}
	}
}
