package related_test

import (
	"context"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

// The related benchmarks rank 20 related passages among 2,000, uncached,
// with each ranker on each database: compare index against sql from the
// same run (BenchmarkRelatedPostgresScale does 1,000,000).
func BenchmarkRelated(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, ranker := range []string{"sql", "index"} {
			b.Run(dialect+"/"+ranker, func(b *testing.B) {
				var db *store.DB
				if dialect == "postgres" {
					db = testdb.Postgres(b)
				} else {
					db = testdb.SQLite(b)
				}
				types, ids := populate(b, db, 2000, 200)
				var r related.Ranker = related.New(db, types)
				if ranker == "index" {
					x := related.NewIndex(db, types, related.IndexOptions{})
					b.Cleanup(x.Close)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					if err := x.WaitReady(ctx, "passage", "motifs"); err != nil {
						b.Fatal(err)
					}
					r = x
				}
				ctx := context.Background()
				q := related.Query{Type: "passage", Field: "motifs", Seed: ids[100], Limit: 20}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.Related(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
