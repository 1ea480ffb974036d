package jobs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

// TestMigrate: two processes migrating a fresh database at once both
// succeed, River's tables are complete, and migrating again changes nothing.
func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// open returns a function opening another handle ("process") on one
		// fresh database migrated by the engine only.
		open func(t *testing.T) func() *store.DB
	}{
		{"sqlite", func(t *testing.T) func() *store.DB {
			dir := t.TempDir()
			return func() *store.DB {
				db, err := store.Open(context.Background(), store.Config{DataDir: dir})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				if _, err := db.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return db
			}
		}},
		{"postgres", func(t *testing.T) func() *store.DB {
			url := testdb.PostgresURL(t)
			return func() *store.DB { return openURL(t, url) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			another := tc.open(t)
			dbs := []*store.DB{another(), another(), another()}

			var wg sync.WaitGroup
			errs := make([]error, len(dbs))
			for i, db := range dbs {
				wg.Go(func() { errs[i] = jobs.Migrate(ctx, db) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("concurrent Migrate %d: %v", i, err)
				}
			}

			versions := func() (n, max int) {
				t.Helper()
				if err := dbs[0].NewRaw("SELECT count(*), max(version) FROM river_migration").Scan(ctx, &n, &max); err != nil {
					t.Fatal(err)
				}
				return n, max
			}
			n, last := versions()
			if n < 6 || n != last {
				t.Fatalf("river_migration: %d rows, latest version %d; want every version once", n, last)
			}
			if err := jobs.Migrate(ctx, dbs[0]); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
			if n2, last2 := versions(); n2 != n || last2 != last {
				t.Fatalf("second Migrate changed river_migration: %d/%d -> %d/%d", n, last, n2, last2)
			}
			// The tables work: a job can be inserted.
			j := newJobs(t, dbs[1], "", func(c *jobs.Config) { c.Work = false })
			registerNotes(j, newTally())
			start(t, j)
			if _, err := j.Insert(ctx, noteArgs{Note: "after-migrate"}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
