package cache

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/uptrace/bun"
)

// twoDBs opens two connections pools on one database, as two serve
// processes would.
func twoDBs(t *testing.T, backend string) (*store.DB, *store.DB) {
	t.Helper()
	ctx := context.Background()
	var first *store.DB
	var cfg store.Config
	switch backend {
	case "postgres":
		cfg.URL = testdb.PostgresURL(t)
		var err error
		if first, err = store.Open(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = first.Close() })
		if _, err := first.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	default:
		first = testdb.SQLite(t)
		cfg.DataDir = filepath.Dir(first.Location)
	}
	second, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	return first, second
}

func startRelay(t *testing.T, db *store.DB, c *Cache, opts RelayOptions) *Relay {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	r := NewRelay(db, c, opts)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func TestRelayInvalidatesEveryInstance(t *testing.T) {
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db1, db2 := twoDBs(t, backend)
			// A row from before the relays start is not replayed.
			if err := RecordTx(ctx, db1, "entry:old"); err != nil {
				t.Fatal(err)
			}
			c1, c2 := newMemory(t, Config{}), newMemory(t, Config{})
			r1 := startRelay(t, db1, c1, RelayOptions{})
			r2 := startRelay(t, db2, c2, RelayOptions{})
			fill := func(c *Cache, key string, tags ...string) {
				t.Helper()
				if err := c.Set(ctx, key, []byte("v"), tags, 0); err != nil {
					t.Fatal(err)
				}
			}
			cached := func(c *Cache, key string) bool { _, ok := c.Get(ctx, key); return ok }
			for _, c := range []*Cache{c1, c2} {
				fill(c, "old", "entry:old")
				fill(c, "p1", "entry:1")
				fill(c, "p2", "entry:2")
			}

			// Rolled back: nothing happens.
			rollback := errors.New("rollback")
			err := db1.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if err := RecordTx(ctx, tx, "entry:2"); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatal(err)
			}

			// Committed: both instances drop entry:1 within a second.
			if err := db1.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return RecordTx(ctx, tx, EntryTag("1"), "entry:1", "")
			}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i, c := range []*Cache{c1, c2} {
				wg.Go(func() {
					took := eventually(t, time.Second, fmt.Sprintf("instance %d invalidated", i+1), func() bool { return !cached(c, "p1") })
					t.Logf("%s: instance %d invalidated %s after commit", backend, i+1, took.Round(time.Millisecond))
				})
			}
			wg.Wait()
			// Two more polls: the rolled-back and the old row never apply.
			time.Sleep(450 * time.Millisecond)
			for i, c := range []*Cache{c1, c2} {
				if !cached(c, "p2") {
					t.Fatalf("instance %d: a rolled-back RecordTx invalidated entry:2", i+1)
				}
				if !cached(c, "old") {
					t.Fatalf("instance %d: a row from before Start was replayed", i+1)
				}
			}
			if r1.Applied() != 1 || r2.Applied() != 1 {
				t.Fatalf("applied %d and %d rows, want 1 each", r1.Applied(), r2.Applied())
			}

			// Relay.InvalidateTags (a plugin's call, no transaction): this
			// instance at once, the other through its relay.
			if err := r1.InvalidateTags(ctx, []string{"entry:2"}); err != nil {
				t.Fatal(err)
			}
			if cached(c1, "p2") {
				t.Fatal("Relay.InvalidateTags did not invalidate its own cache at once")
			}
			eventually(t, time.Second, "other instance", func() bool { return !cached(c2, "p2") })
		})
	}
}

// Concurrent publishing transactions commit their rows in id order, so a
// relay tailing by id misses none of them.
func TestRelayMissesNoConcurrentCommit(t *testing.T) {
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db1, db2 := twoDBs(t, backend)
			inv := &recorder{seen: map[string]bool{}}
			r := NewRelay(db2, inv, RelayOptions{Poll: 5 * time.Millisecond, Logger: quiet})
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer r.Stop()
			const writers, each = 8, 25
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						err := db1.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
							if err := RecordTx(ctx, tx, fmt.Sprintf("w%d-%d", w, i)); err != nil {
								return err
							}
							time.Sleep(time.Duration(i%3) * time.Millisecond) // commit late
							return nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			eventually(t, 5*time.Second, "every row applied", func() bool { return inv.count() == writers*each })
		})
	}
}

// Relay.InvalidateTags has the signature of pluginhost.CacheInvalidator.
var _ interface {
	InvalidateTags(ctx context.Context, tags []string) error
} = (*Relay)(nil)

type recorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recorder) InvalidateTags(_ context.Context, tags ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range tags {
		r.seen[t] = true
	}
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// A cache that refuses an invalidation (Redis down) gets the same rows
// again at the next poll.
func TestRelayRetriesRefusedInvalidations(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	inv := &flaky{fail: 2}
	r := NewRelay(db, inv, RelayOptions{Poll: 10 * time.Millisecond, Logger: quiet})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if err := RecordTx(ctx, db, "entry:9"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "applied after retries", func() bool { return r.Applied() == 1 })
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.calls != 3 || inv.ok != 1 {
		t.Fatalf("calls=%d ok=%d", inv.calls, inv.ok)
	}
}

type flaky struct {
	mu              sync.Mutex
	fail, calls, ok int
}

func (f *flaky) InvalidateTags(context.Context, ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.fail {
		return ErrUnavailable
	}
	f.ok++
	return nil
}

func TestRelayPrunesOldRows(t *testing.T) {
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db, _ := twoDBs(t, backend)
			old := &invalidationRow{Tags: []string{"a"}, CreatedAt: time.Now().UTC().Add(-2 * time.Hour)}
			if _, err := db.NewInsert().Model(old).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := RecordTx(ctx, db, "b"); err != nil {
				t.Fatal(err)
			}
			r := NewRelay(db, newMemory(t, Config{}), RelayOptions{Logger: quiet})
			if err := r.prune(ctx); err != nil {
				t.Fatal(err)
			}
			var rows []invalidationRow
			if err := db.NewSelect().Model(&rows).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || len(rows[0].Tags) != 1 || rows[0].Tags[0] != "b" {
				t.Fatalf("rows after prune: %+v", rows)
			}
		})
	}
}

// Redis-backed instances: a committed RecordTx reaches both (each relay
// deletes in Redis; tracking drops the local copies).
func TestRelayWithRedis(t *testing.T) {
	ctx := context.Background()
	db1, db2 := twoDBs(t, "postgres")
	srv := testdb.Redis(t)
	c1, c2 := newRedis(t, srv, Config{}), newRedis(t, srv, Config{})
	startRelay(t, db1, c1, RelayOptions{})
	startRelay(t, db2, c2, RelayOptions{})
	f := &filler{val: "v", tags: []string{EntryTag("5")}}
	for _, c := range []*Cache{c1, c2} {
		mustFetch(t, c, "page", FetchOptions{}, f)
		eventually(t, time.Second, "cached", func() bool { _, ok := c.Get(ctx, "page"); return ok })
	}
	if err := db1.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return RecordTx(ctx, tx, EntryTag("5")) }); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*Cache{c1, c2} {
		took := eventually(t, time.Second, "invalidated", func() bool { _, ok := c.Get(ctx, "page"); return !ok })
		t.Logf("redis instance %d invalidated %s after commit", i+1, took.Round(time.Millisecond))
	}
}
