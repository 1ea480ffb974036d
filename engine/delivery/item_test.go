package delivery

import (
	"bytes"
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

// TestAppendJSONString: the plain fast path and the encoder agree with
// encoding/json (without HTML escaping) byte for byte.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain-slug_01", "Title with spaces & <tags>", `q"uote`, `back\slash`, "tab\there", "nl\n", "\x00\x1f\x7f",
		"ünïcode", "line\u2028sep", "bad \xff utf8", "01a219e2-379e-7d17-b5f6-8cb7678914db"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimRight(buf.Bytes(), "\n")
		if got := appendJSONString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("%q: got %s, want %s", s, got[1:], want)
		}
	}
}
