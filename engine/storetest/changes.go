package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/store"
)

func walkChanges(t *testing.T, env *Env, since string, limit int) ([]delivery.Change, string) {
	t.Helper()
	var all []delivery.Change
	for i := 0; i < 100; i++ {
		p, err := env.Delivery.Changes(context.Background(), delivery.ChangesQuery{Since: since, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Items...)
		since = p.NextCursor
		if !p.HasMore {
			return all, since
		}
	}
	t.Fatal("changes feed does not end")
	return nil, ""
}

// waitChanges walks the feed until it shows n changes. On Postgres the
// feed holds back changes while any older transaction in the cluster is
// still open (other tests run in parallel), so it may take a moment.
func waitChanges(t *testing.T, env *Env, since string, limit, n int) ([]delivery.Change, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all, cur := walkChanges(t, env, since, limit)
		if len(all) >= n || time.Now().After(deadline) {
			return all, cur
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testChanges(t *testing.T, env *Env) {
	ctx := context.Background()
	mustRegister(t, env, bookType())
	a := createBook(t, env, "Surprised by Joy", nil)
	b := createBook(t, env, "The Problem of Pain", nil)
	publish(t, env, a.ID)
	publish(t, env, b.ID)
	publish(t, env, a.ID)
	all, cursor := waitChanges(t, env, "", 2, 3)
	want := []string{"created " + a.ID, "created " + b.ID, "updated " + a.ID}
	if len(all) != len(want) {
		t.Fatalf("changes: %+v", all)
	}
	for i, c := range all {
		if c.Op+" "+c.ID != want[i] || c.Entry == nil {
			t.Fatalf("change %d = %s %s (entry %v), want %s", i, c.Op, c.ID, c.Entry != nil, want[i])
		}
	}
	// Nothing new: the same cursor comes back.
	p, err := env.Delivery.Changes(ctx, delivery.ChangesQuery{Since: cursor})
	if err != nil || len(p.Items) != 0 || p.NextCursor != cursor {
		t.Fatalf("idle feed: %+v %v", p, err)
	}
	if _, err := env.Entries.Unpublish(ctx, editor, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := env.Entries.Delete(ctx, editor, a.ID); err != nil {
		t.Fatal(err)
	}
	more, _ := waitChanges(t, env, cursor, 10, 2)
	if len(more) != 2 || more[0].Op != "deleted" || more[0].ID != b.ID || more[1].Op != "deleted" || more[1].ID != a.ID || more[0].Entry != nil {
		t.Fatalf("after unpublish and delete: %+v", more)
	}
	if _, err := env.Delivery.Changes(ctx, delivery.ChangesQuery{Since: "garbage!"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
	if env.DB.Backend != store.Postgres {
		return
	}
	// Postgres: a change whose transaction is still open holds back every
	// later one, so a saved cursor can never skip it.
	tx, err := env.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO entry_changes (entry_id, type_key, op, created_at) VALUES ('slow', 'book', 'updated', now())"); err != nil {
		t.Fatal(err)
	}
	_, cur := waitChanges(t, env, "", 100, 5)
	c := createBook(t, env, "The Screwtape Letters", nil)
	publish(t, env, c.ID)
	held, _ := walkChanges(t, env, cur, 100)
	if len(held) != 0 {
		t.Fatalf("a change committed after an open transaction's change was shown first: %+v", held)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	after, _ := waitChanges(t, env, cur, 100, 2)
	if len(after) != 2 || after[0].ID != "slow" || after[1].ID != c.ID {
		t.Fatalf("after commit: %+v", after)
	}
}
