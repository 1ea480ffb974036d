package storetest

import (
	"context"
	"testing"

	"github.com/inklingcms/inkling/engine/delivery"
)

func testSearch(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	joyTitle := createBook(t, env, "Surprised by Joy", map[string]any{"year": 1955, "blurb": "An account of longing."})
	joyBody := createBook(t, env, "The Weight of Glory", map[string]any{"year": 1941,
		"body": []any{map[string]any{"type": "quote", "value": map[string]any{"text": "joy is the serious business of heaven"}}}})
	grief := createBook(t, env, "A Grief Observed", map[string]any{"year": 1961, "motifs": []string{"grief"}})
	draft := createBook(t, env, "Joy in a draft", nil)
	for _, d := range []string{joyTitle.ID, joyBody.ID, grief.ID} {
		publish(t, env, d)
	}
	_ = draft
	search := func(q string, limit int, filters ...delivery.Filter) []string {
		t.Helper()
		var ids []string
		lq := delivery.ListQuery{Type: "book", Q: q, Limit: limit, Filters: filters}
		for i := 0; i < 20; i++ {
			p, err := env.Delivery.List(ctx, lq)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if p.NextCursor == nil {
				return ids
			}
			lq.Cursor = *p.NextCursor
		}
		t.Fatal("search pagination does not end")
		return nil
	}
	// A title match ranks above a body match; drafts never appear; stemming
	// finds "longing" from "longings".
	if got := search("joy", 10); len(got) != 2 || got[0] != joyTitle.ID || got[1] != joyBody.ID {
		t.Fatalf("joy: %v (want %s, %s)", got, joyTitle.ID, joyBody.ID)
	}
	if got := search("joy", 1); len(got) != 2 || got[0] != joyTitle.ID {
		t.Fatalf("joy paginated: %v", got)
	}
	if got := search("longings", 10); len(got) != 1 || got[0] != joyTitle.ID {
		t.Fatalf("stemming: %v", got)
	}
	if got := search("joy heaven", 10); len(got) != 1 || got[0] != joyBody.ID {
		t.Fatalf("all terms: %v", got)
	}
	if got := search("grief", 10); len(got) != 1 || got[0] != grief.ID {
		t.Fatalf("tags are searchable: %v", got)
	}
	if got := search(`"joy" ( *`, 10); len(got) != 2 {
		t.Fatalf("query syntax is not passed through: %v", got)
	}
	if got := search("joy", 10, delivery.Filter{Field: "year", Op: "gt", Value: "1950"}); len(got) != 1 || got[0] != joyTitle.ID {
		t.Fatalf("search with a filter: %v", got)
	}
	if _, err := env.Delivery.List(ctx, delivery.ListQuery{Type: "book", Q: "!!!"}); err == nil {
		t.Fatal("a query without words is accepted")
	}
	if _, err := env.Entries.Unpublish(ctx, editor, joyTitle.ID); err != nil {
		t.Fatal(err)
	}
	if got := search("joy", 10); len(got) != 1 || got[0] != joyBody.ID {
		t.Fatalf("after unpublish: %v", got)
	}
	if err := env.Entries.Delete(ctx, editor, joyBody.ID); err != nil {
		t.Fatal(err)
	}
	if got := search("joy", 10); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
}
