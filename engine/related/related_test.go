package related_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/projection"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var registers = []string{"devotional", "narrative", "apologetic", "letters"}

func noteType() contenttypes.ContentType {
	ch := make([]contenttypes.Choice, len(registers))
	for i, r := range registers {
		ch[i] = contenttypes.Choice{Value: r}
	}
	return contenttypes.ContentType{Key: "passage", Label: "Passage", Fields: []contenttypes.Field{
		{Name: "register", Kind: contenttypes.KindSelect, Indexed: true, Choices: ch},
		{Name: "motifs", Kind: contenttypes.KindTags, Indexed: true},
	}}
}

// populate writes n live passages with random motifs (from a vocabulary of
// vocab terms) straight into the tables the rankers read, through the
// engine's own projection code; the same seed gives the same data.
func populate(t testing.TB, db *store.DB, n, vocab int) (*registry.Registry, []string) {
	t.Helper()
	ctx := context.Background()
	types := registry.New(db)
	ct := noteType()
	if _, err := types.Register(ctx, ct, nil); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(42, 7))
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ids []string
	err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("p%05d", i)
			seen := map[string]bool{}
			var motifs []any
			for j := 0; j < 2+r.IntN(6); j++ {
				m := fmt.Sprintf("m%02d", r.IntN(vocab))
				if !seen[m] {
					seen[m] = true
					motifs = append(motifs, m)
				}
			}
			v := contenttypes.Values{"register": registers[r.IntN(len(registers))], "motifs": motifs}
			fields, err := json.Marshal(v)
			if err != nil {
				return err
			}
			e := &entries.Entry{ID: id, TypeKey: "passage", Title: id, DraftTitle: id, Slug: id, SlugScope: "type:passage",
				Fields: fields, Live: true, CreatedAt: now, UpdatedAt: now, FirstPublishedAt: &now, LastPublishedAt: &now}
			if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
				return err
			}
			if err := projection.Write(ctx, tx, "passage", id, ct.IndexEntries(v)); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return types, ids
}

// TestRankersAgree: SQLite and PostgreSQL rank the same random data the
// same way, seed excluded, ties broken by id.
func TestRankersAgree(t *testing.T) {
	ctx := context.Background()
	sq, pg := testdb.SQLite(t), testdb.Postgres(t)
	sqTypes, ids := populate(t, sq, 400, 30)
	pgTypes, _ := populate(t, pg, 400, 30)
	sqR, pgR := related.New(sq, sqTypes), related.New(pg, pgTypes)
	r := rand.New(rand.NewPCG(1, 1))
	compared := 0
	for i := 0; i < 40; i++ {
		q := related.Query{Type: "passage", Field: "motifs", Seed: ids[r.IntN(len(ids))], Limit: 1 + r.IntN(related.MaxLimit)}
		if i%2 == 0 {
			q.FilterField, q.FilterValues = "register", registers[:1+r.IntN(len(registers))]
		}
		a, err := sqR.Related(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := pgR.Related(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("query %+v:\nsqlite   %v\npostgres %v", q, a, b)
		}
		for j, h := range a {
			if h.EntryID == q.Seed || h.Overlap < 1 || (j > 0 && (a[j-1].Overlap < h.Overlap || a[j-1].Overlap == h.Overlap && a[j-1].EntryID > h.EntryID)) {
				t.Fatalf("query %+v: bad ranking at %d: %v", q, j, a)
			}
		}
		compared += len(a)
	}
	if compared < 100 {
		t.Fatalf("only %d hits compared; the data is too sparse to prove anything", compared)
	}
	// Bad queries.
	for _, q := range []related.Query{
		{Type: "passage", Field: "register", Seed: ids[0]},
		{Type: "passage", Field: "motifs", Seed: ids[0], Limit: 500},
		{Type: "passage", Field: "motifs", Seed: "nope"},
		{Type: "passage", Field: "motifs", Seed: ids[0], FilterField: "nope", FilterValues: []string{"x"}},
	} {
		if _, err := sqR.Related(ctx, q); err == nil {
			t.Errorf("query %+v accepted", q)
		}
	}
}

// TestPostgresUsesGIN: the overlap query is answered through the GIN
// index. At this test's size the planner prefers a sequential scan (the
// table is a few hundred pages), so sequential scans are disabled for the
// EXPLAIN: what is asserted is that the query's shape lets PostgreSQL use
// entry_terms_gin, which it does by itself as the table grows.
func TestPostgresUsesGIN(t *testing.T) {
	ctx := context.Background()
	pg := testdb.Postgres(t)
	_, ids := populate(t, pg, 3000, 400)
	if _, err := pg.ExecContext(ctx, "ANALYZE entry_terms"); err != nil {
		t.Fatal(err)
	}
	var terms []string
	if err := pg.NewSelect().Table("entry_index").Column("v_text").Where("entry_id = ? AND field = 'motifs'", ids[7]).Scan(ctx, &terms); err != nil {
		t.Fatal(err)
	}
	plan, err := related.Explain(ctx, pg, related.Query{Type: "passage", Field: "motifs", Seed: ids[7], Limit: 20}, terms, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "entry_terms_gin") {
		t.Fatalf("the plan does not use the GIN index:\n%s", plan)
	}
}
