package related_test

import (
	"context"
	"testing"

	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/testdb"
)

// BenchmarkRelated ranks 20 related passages among 2,000 (uncached).
func BenchmarkRelatedSQLite(b *testing.B) {
	db := testdb.SQLite(b)
	types, ids := populate(b, db, 2000, 200)
	r := related.New(db, types)
	ctx := context.Background()
	q := related.Query{Type: "passage", Field: "motifs", Seed: ids[100], Limit: 20}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Related(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRelatedPostgres(b *testing.B) {
	db := testdb.Postgres(b)
	types, ids := populate(b, db, 2000, 200)
	r := related.New(db, types)
	ctx := context.Background()
	q := related.Query{Type: "passage", Field: "motifs", Seed: ids[100], Limit: 20}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Related(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
