package related_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/projection"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/uptrace/bun"
)

// publishPassage makes entry id live with motifs and register (or, with
// motifs nil, unpublishes it) the way the entries service does: the
// projection and the change record in one transaction, then this
// instance's LocalCache told after commit.
func publishPassage(t testing.TB, db *store.DB, local *related.Index, id, register string, motifs []string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		m := make([]any, len(motifs))
		for i, s := range motifs {
			m[i] = s
		}
		v := contenttypes.Values{"register": register, "motifs": m}
		fields, err := json.Marshal(v)
		if err != nil {
			return err
		}
		e := &entries.Entry{ID: id, TypeKey: "passage", Title: id, DraftTitle: id, Slug: id, SlugScope: "type:passage",
			Fields: fields, Live: motifs != nil, CreatedAt: now, UpdatedAt: now, FirstPublishedAt: &now, LastPublishedAt: &now}
		if _, err := tx.NewInsert().Model(e).On("CONFLICT (id) DO UPDATE").Set("live = EXCLUDED.live, fields = EXCLUDED.fields").Exec(ctx); err != nil {
			return err
		}
		var idx []contenttypes.IndexEntry
		if motifs != nil {
			ct := noteType()
			idx = ct.IndexEntries(v)
		}
		if err := projection.Write(ctx, tx, "passage", id, idx); err != nil {
			return err
		}
		return cache.RecordTx(ctx, tx, cache.EntryTag(id), cache.TypeTag("passage"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if local != nil {
		if err := local.InvalidateTags(ctx, cache.EntryTag(id), cache.TypeTag("passage")); err != nil {
			t.Fatal(err)
		}
	}
}

func seedMotifs(t testing.TB, db *store.DB, id string) []string {
	t.Helper()
	var terms []string
	if err := db.NewSelect().Table("entry_index").Column("v_text").Where("entry_id = ? AND field = 'motifs'", id).Scan(context.Background(), &terms); err != nil {
		t.Fatal(err)
	}
	return terms
}

func waitIndexed(t testing.TB, x *related.Index) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := x.WaitReady(ctx, "passage", "motifs", "register"); err != nil {
		t.Fatal(err)
	}
}

// TestIndexFollowsChanges: the in-memory index applies this instance's
// publishes at once and another instance's within a relay poll; it drops
// unpublished entries, rebuilds a type whose indexed fields change, and
// always ranks as the SQL ranker does.
func TestIndexFollowsChanges(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.SQLite(t)
			if dialect == "postgres" {
				db = testdb.Postgres(t)
			}
			types, ids := populate(t, db, 300, 30)
			sqlR := related.New(db, types)
			here := related.NewIndex(db, types, related.IndexOptions{Poll: 20 * time.Millisecond})
			there := related.NewIndex(db, types, related.IndexOptions{Poll: 20 * time.Millisecond})
			t.Cleanup(here.Close)
			t.Cleanup(there.Close)

			seed := ids[11]
			q := related.Query{Type: "passage", Field: "motifs", Seed: seed, Limit: 5}
			// Before the index is built, SQL answers.
			first, err := here.Related(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			waitIndexed(t, here)
			waitIndexed(t, there)
			again, err := here.Related(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(first, again) {
				t.Fatalf("SQL answered %v before the build, the index %v after", first, again)
			}
			if st := here.Stats(); st.FromSQL != 1 || st.FromMemory != 1 || len(st.Types) != 1 || st.Types[0].Entries != 300 {
				t.Fatalf("stats after one query in SQL and one in memory: %+v", st)
			}

			terms := seedMotifs(t, db, seed)
			steps := []struct {
				name     string
				id       string
				register string
				motifs   []string
				// want: whether id ranks first for seed (all its terms shared).
				first bool
			}{
				{name: "publish sharing every term", id: "zz-new", register: "devotional", motifs: terms, first: true},
				{name: "retag sharing none", id: "zz-new", register: "devotional", motifs: []string{"unrelated"}},
				{name: "retag sharing all again", id: "zz-new", register: "letters", motifs: terms, first: true},
				{name: "unpublish", id: "zz-new"},
				{name: "an existing passage takes every term", id: ids[200], register: "narrative", motifs: terms, first: true},
			}
			for _, st := range steps {
				publishPassage(t, db, here, st.id, st.register, st.motifs)
				got, err := here.Related(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				isFirst := len(got) > 0 && got[0].EntryID == st.id && got[0].Overlap == len(terms)
				if isFirst != st.first {
					t.Fatalf("%s: here (at once) ranks %v", st.name, got)
				}
				want, err := sqlR.Related(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: index %v, SQL %v", st.name, got, want)
				}
				eventually(t, st.name+" (there)", func() bool {
					got, err := there.Related(ctx, q)
					return err == nil && reflect.DeepEqual(got, want)
				})
			}

			// The unpublished entry is no seed any more (SQL says why).
			if _, err := here.Related(ctx, related.Query{Type: "passage", Field: "motifs", Seed: "zz-new"}); err == nil {
				t.Fatal("an unpublished seed was ranked")
			}

			// A new indexed field: entry_index is rebuilt and so is the index.
			ct := noteType()
			ct.Fields = append(ct.Fields, contenttypes.Field{Name: "mood", Kind: contenttypes.KindText, Indexed: true})
			if _, err := types.Register(ctx, ct, nil); err != nil {
				t.Fatal(err)
			}
			for _, x := range []*related.Index{here, there} {
				eventually(t, "rebuild after the type change", func() bool {
					st := x.Stats()
					return len(st.Types) == 1 && st.Types[0].Builds == 2 && !st.Types[0].Building
				})
			}
			assertAgree(t, db, sqlR, ids, here, there)
		})
	}
}

func eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertAgree ranks 60 random queries with the SQL ranker and each index.
func assertAgree(t testing.TB, db *store.DB, sqlR related.Ranker, ids []string, indexes ...*related.Index) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	before := make([]uint64, len(indexes))
	for i, x := range indexes {
		before[i] = x.Stats().FromMemory
	}
	for i := 0; i < 60; i++ {
		q := related.Query{Type: "passage", Field: "motifs", Seed: ids[r.IntN(len(ids))], Limit: 1 + r.IntN(related.MaxLimit)}
		if i%2 == 0 {
			q.FilterField, q.FilterValues = "register", registers[:1+r.IntN(len(registers))]
		}
		want, err := sqlR.Related(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range indexes {
			got, err := x.Related(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("query %+v:\nindex %v\nSQL   %v", q, got, want)
			}
		}
	}
	for i, x := range indexes {
		if n := x.Stats().FromMemory - before[i]; n != 60 {
			t.Fatalf("index %d answered %d of 60 queries from memory", i, n)
		}
	}
}

// TestIndexConcurrent ranks while entries change (run with -race).
func TestIndexConcurrent(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	types, ids := populate(t, db, 400, 30)
	x := related.NewIndex(db, types, related.IndexOptions{Poll: 5 * time.Millisecond})
	t.Cleanup(x.Close)
	waitIndexed(t, x)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := related.Query{Type: "passage", Field: "motifs", Seed: ids[r.IntN(100)], Limit: 20, FilterField: "register", FilterValues: registers[:2]}
				hits, err := x.Related(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				for j := 1; j < len(hits); j++ {
					if hits[j-1].Overlap < hits[j].Overlap || hits[j-1].Overlap == hits[j].Overlap && hits[j-1].EntryID > hits[j].EntryID {
						errs <- fmt.Errorf("bad order %v", hits)
						return
					}
				}
			}
		}(w)
	}
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 150; i++ {
		id := ids[100+r.IntN(300)]
		var motifs []string
		if i%10 != 9 {
			for j := 0; j < 1+r.IntN(5); j++ {
				m := fmt.Sprintf("m%02d", r.IntN(30))
				if !slices.Contains(motifs, m) {
					motifs = append(motifs, m)
				}
			}
		}
		publishPassage(t, db, x, id, registers[r.IntN(len(registers))], motifs)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var live []string
	if err := db.NewSelect().Table("entries").Column("id").Where("live AND id < 'p00100'").Scan(ctx, &live); err != nil {
		t.Fatal(err)
	}
	assertAgree(t, db, related.New(db, types), live, x)
}

// TestIndexRefresh: a change whose record never reaches the index (as
// when an instance was cut off for longer than cache_invalidations keeps
// its rows) is picked up by the periodic rebuild.
func TestIndexRefresh(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	types, ids := populate(t, db, 200, 20)
	x := related.NewIndex(db, types, related.IndexOptions{Poll: 10 * time.Millisecond, Refresh: 100 * time.Millisecond})
	t.Cleanup(x.Close)
	waitIndexed(t, x)
	seed := ids[5]
	terms := seedMotifs(t, db, seed)
	// Published behind the index's back: no change record, no LocalCache.
	err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ct := noteType()
		m := make([]any, len(terms))
		for i, s := range terms {
			m[i] = s
		}
		return projection.Write(ctx, tx, "passage", ids[150], ct.IndexEntries(contenttypes.Values{"register": "letters", "motifs": m}))
	})
	if err != nil {
		t.Fatal(err)
	}
	q := related.Query{Type: "passage", Field: "motifs", Seed: seed, Limit: 3}
	eventually(t, "the refresh picks up the unrecorded change", func() bool {
		hits, err := x.Related(ctx, q)
		return err == nil && len(hits) > 0 && hits[0].EntryID == ids[150] && hits[0].Overlap == len(terms)
	})
	if st := x.Stats(); st.Types[0].Builds < 2 {
		t.Fatalf("stats: %+v", st)
	}
	assertAgree(t, db, related.New(db, types), ids, x)
}

// TestIndexBulkChange: a notification naming more entries than are worth
// re-reading one batch at a time (the registry re-rendering a whole type)
// rebuilds the index in the background instead, and returns at once.
func TestIndexBulkChange(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	types, ids := populate(t, db, 100, 20)
	x := related.NewIndex(db, types, related.IndexOptions{})
	t.Cleanup(x.Close)
	waitIndexed(t, x)
	tags := make([]string, 0, 10_001)
	for i := 0; i < 10_001; i++ {
		tags = append(tags, cache.EntryTag(fmt.Sprintf("gone-%05d", i)))
	}
	if err := x.InvalidateTags(ctx, tags...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rebuild", func() bool {
		st := x.Stats()
		return len(st.Types) == 1 && st.Types[0].Builds == 2 && !st.Types[0].Building
	})
	assertAgree(t, db, related.New(db, types), ids, x)
}

// TestIndexWarm: warming builds, before any query, the index of each type
// with an indexed tags field, holding its tags and choice fields, so the
// first rankings (filtered too) come from memory.
func TestIndexWarm(t *testing.T) {
	db := testdb.SQLite(t)
	types, ids := populate(t, db, 200, 20)
	x := related.NewIndex(db, types, related.IndexOptions{})
	t.Cleanup(x.Close)
	passage, plain := noteType(), contenttypes.ContentType{Key: "page", Label: "Page", Fields: []contenttypes.Field{
		{Name: "section", Kind: contenttypes.KindSelect, Indexed: true, Choices: []contenttypes.Choice{{Value: "a"}}}}}
	x.Warm([]*contenttypes.ContentType{&passage, &plain})
	eventually(t, "the warm build", func() bool {
		st := x.Stats()
		return len(st.Types) == 1 && st.Types[0].Ready
	})
	st := x.Stats()
	if st.Types[0].Type != "passage" || !slices.Equal(st.Types[0].Fields, []string{"motifs", "register"}) || st.Types[0].Entries != 200 {
		t.Fatalf("warmed: %+v", st.Types)
	}
	assertAgree(t, db, related.New(db, types), ids, x)
	if st := x.Stats(); st.FromSQL != 0 {
		t.Fatalf("%d rankings went to SQL after warming", st.FromSQL)
	}
}
