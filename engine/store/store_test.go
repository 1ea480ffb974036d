package store_test

import (
	"context"
	"testing"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestMigrateIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{
		{"sqlite", testdb.SQLite},
		{"postgres", testdb.Postgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			ctx := context.Background()
			res, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Applied) != 0 {
				t.Fatalf("second migrate applied %v", res.Applied)
			}
			pending, err := db.Pending(ctx)
			if err != nil || len(pending) != 0 {
				t.Fatalf("pending = %v, %v", pending, err)
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.NewRaw("SELECT count(*) FROM role_grants").Scan(ctx, &n); err != nil || n == 0 {
				t.Fatalf("role_grants seeded: n=%d err=%v", n, err)
			}
		})
	}
}
