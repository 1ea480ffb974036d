package store_test

import (
	"context"
	"strings"
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

// TestRenderedIsLZ4: the delivery documents PostgreSQL compresses are
// compressed with LZ4 (migration 20261127000001), both in the column's
// setting and in what a new row stores.
func TestRenderedIsLZ4(t *testing.T) {
	db := testdb.Postgres(t)
	ctx := context.Background()
	var setting string
	if err := db.NewRaw("SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'entries'::regclass AND attname = 'rendered'").
		Scan(ctx, &setting); err != nil || setting != "l" {
		t.Fatalf("entries.rendered compression = %q (%v), want l (lz4)", setting, err)
	}
	// A document too large for the row is compressed, and with lz4.
	doc := `{"body":"` + strings.Repeat("Longing is the sweetest thing. ", 200) + `"}`
	if _, err := db.NewRaw(`INSERT INTO content_types (key, label, definition, schema_hash, created_at, updated_at)
		VALUES ('lz4', 'LZ4', '{}', 'h', now(), now())`).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewRaw(`INSERT INTO entries (id, type_key, title, draft_title, slug, slug_scope, fields, rendered, created_at, updated_at)
		VALUES ('lz4-check', 'lz4', 't', 't', 'lz4-check', '', '{}', ?, now(), now())`, doc).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var method string
	if err := db.NewRaw("SELECT coalesce(pg_column_compression(rendered), 'none') FROM entries WHERE id = 'lz4-check'").Scan(ctx, &method); err != nil || method != "lz4" {
		t.Fatalf("stored compression = %q (%v), want lz4", method, err)
	}
}
