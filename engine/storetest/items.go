package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
)

// testItems: Items renders each published entry of the type byte for byte
// as the delivery API's get does, across the prepared statements' chunk
// size, and leaves out drafts, unpublished entries, other types and
// unknown ids.
func testItems(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	mustRegister(t, env, pageType())
	var live []string
	for i := range 70 {
		d := createBook(t, env, fmt.Sprintf("Book <%02d> \"é\"", i), map[string]any{"year": 1900 + i, "motifs": []string{"joy"}})
		publish(t, env, d.ID)
		live = append(live, d.ID)
	}
	draft := createBook(t, env, "Draft", nil).ID
	gone := createBook(t, env, "Gone", nil).ID
	publish(t, env, gone)
	if _, err := env.Entries.Unpublish(ctx, editor, gone); err != nil {
		t.Fatal(err)
	}
	home, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "Home"})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env, home.ID)
	child, err := env.Entries.Create(ctx, editor, entries.CreateInput{Type: "page", Title: "Child", ParentID: &home.ID})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env, child.ID)

	want := func(typ string, ids ...string) map[string]string {
		out := map[string]string{}
		for _, id := range ids {
			it, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: typ, IDOrSlug: id})
			if err != nil {
				t.Fatalf("get %s: %v", id, err)
			}
			out[id] = string(it.JSON())
		}
		return out
	}
	for _, tc := range []struct {
		name string
		typ  string
		ids  []string
		want map[string]string
	}{
		{"none", "book", nil, map[string]string{}},
		{"one", "book", live[:1], want("book", live[0])},
		{"a page of 20", "book", live[10:30], want("book", live[10:30]...)},
		{"more than a chunk (70)", "book", live, want("book", live...)},
		{"drafts, unpublished, other types and unknown ids are absent", "book",
			[]string{live[3], draft, gone, home.ID, "nope", live[5]}, want("book", live[3], live[5])},
		{"pages with and without a parent", "page", []string{home.ID, child.ID, live[0]}, want("page", home.ID, child.ID)},
		{"the same id twice", "book", []string{live[7], live[7]}, want("book", live[7])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := env.Delivery.Items(ctx, tc.typ, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tc.want))) {
				t.Fatalf("ids: got %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tc.want)))
			}
			for id, w := range tc.want {
				if string(got[id]) != w {
					t.Errorf("%s:\n got %s\nwant %s", id, got[id], w)
				}
			}
		})
	}
}
