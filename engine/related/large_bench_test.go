package related_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// benchPassagesEnv sets the number of passages BenchmarkRelatedPostgresScale
// loads; unset, the benchmark skips (CI never runs it).
const benchPassagesEnv = "INKLING_BENCH_RELATED_PASSAGES"

// scaleSeeds is the number of random seeds one sweep ranks related
// passages for; percentiles are taken over them.
const scaleSeeds = 200

// BenchmarkRelatedPostgresScale measures the related rankers on a large
// PostgreSQL catalogue, uncached: INKLING_BENCH_RELATED_PASSAGES live
// passages (for example 1000000), each with 3 to 7 distinct motifs drawn
// uniformly from 200 (m000..m199) and one of four registers, as `inkling
// seed bench` makes them. The rows are bulk-loaded with a few SQL
// statements straight into entries, entry_terms and entry_index, exactly as
// the projection would write them (the entries service would take hours at
// 1M), then VACUUM ANALYZEd as autovacuum eventually would.
//
// One benchmark op is one sweep: one ranking (limit 20) for each of the 200
// seeds, so ns/op is the time of 200 queries, and p50-ms/p95-ms/p99-ms are
// percentiles of the single queries of all sweeps (with -benchtime 1x, one
// sweep: 200 samples). Each sub-benchmark is one ranker, unfiltered
// ("all") and with a register filter on two registers ("register"):
//
//   - sql: related.New, the SQL ranker (the customer's GIN-indexed
//     overlap query, pairs first: see pgRankSQL), the baseline;
//   - index: related.Index, the in-memory index servers use by default
//     (built once before, as a server builds it at start: its build time
//     and heap are logged; every query must be answered from memory);
//   - unnest-count: the customer's full overlap query alone (the
//     production query before pairs first).
//
// Every ranker's 200 top-20 lists are compared with the first pass of the
// SQL ranker (the benchmark fails on any difference); the others report
// their percentiles as ratios to sql's from the same run. Metrics
// overlap-rows (passages sharing ≥1 term with the seed) and pair-rows
// (sharing ≥2) explain the SQL costs. The load time and one EXPLAIN
// ANALYZE per SQL shape are logged (in full with -v).
//
// At 1M passages on 2 shared cores the load takes about 3 minutes and the
// whole run about 10:
//
//	INKLING_BENCH_RELATED_PASSAGES=1000000 INKLING_REQUIRE_SERVICES=1 \
//	  go test -v -run '^$' -bench BenchmarkRelatedPostgresScale -benchtime 1x -timeout 60m ./engine/related
//
// -bench BenchmarkRelatedPostgresScale/index runs only the index (still
// checked against the SQL ranker, without the ratios).
func BenchmarkRelatedPostgresScale(b *testing.B) {
	v := os.Getenv(benchPassagesEnv)
	if v == "" {
		b.Skipf("set %s (for example 1000000) to run this benchmark", benchPassagesEnv)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 {
		b.Fatalf("%s=%q: expected a number of passages of at least 100", benchPassagesEnv, v)
	}
	ctx := context.Background()
	db := testdb.Postgres(b)
	types := registry.New(db)
	if _, err := types.Register(ctx, noteType(), nil); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 7))
	start := time.Now()
	ids, err := bulkLoadPassages(ctx, db, rng, n, 200)
	if err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	for _, table := range []string{"entries", "entry_terms", "entry_index"} {
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+table); err != nil {
			b.Fatalf("vacuum %s: %v", table, err)
		}
	}
	b.Logf("loaded %d passages in %s, VACUUM ANALYZE in %s", n, loaded.Round(time.Millisecond), (time.Since(start) - loaded).Round(time.Millisecond))

	ranker := related.New(db, types)
	sets := map[string][]related.Query{}
	for i := 0; i < scaleSeeds; i++ {
		q := related.Query{Type: "passage", Field: "motifs", Seed: ids[rng.IntN(len(ids))], Limit: 20}
		sets["all"] = append(sets["all"], q)
		p := rng.Perm(len(registers))
		q.FilterField, q.FilterValues = "register", []string{registers[p[0]], registers[p[1]]}
		sets["register"] = append(sets["register"], q)
	}
	// The production answers, to compare every shape with; this first pass
	// also warms PostgreSQL's buffers, so all shapes are timed alike.
	want := map[string][][]related.Hit{}
	for name, qs := range sets {
		for _, q := range qs {
			hits, err := ranker.Related(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			want[name] = append(want[name], hits)
		}
	}
	touched := map[string][2]float64{}
	for name, qs := range sets {
		var overlap, pairs float64
		for _, q := range qs {
			o, p, err := rowsTouched(ctx, db, q)
			if err != nil {
				b.Fatal(err)
			}
			overlap += float64(o)
			pairs += float64(p)
		}
		touched[name] = [2]float64{overlap / float64(len(qs)), pairs / float64(len(qs))}
	}

	// The in-memory index, built as a server builds it at start.
	idx := related.NewIndex(db, types, related.IndexOptions{})
	defer idx.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	if err := idx.WaitReady(ctx, "passage", "motifs", "register"); err != nil {
		b.Fatal(err)
	}
	built := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("index of %d passages built in %s, holding %.0f MiB of heap", n, built.Round(time.Millisecond),
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))

	shapes := []struct {
		name string
		rank func(context.Context, related.Query) ([]related.Hit, error)
	}{
		{"sql", ranker.Related},
		{"index", idx.Related},
		{"unnest-count", func(ctx context.Context, q related.Query) ([]related.Hit, error) {
			return rankAlternative(ctx, db, q, shape{})
		}},
	}
	baseline := map[string][3]float64{} // current's p50/p95/p99 per query set
	for _, s := range shapes {
		for _, set := range []string{"all", "register"} {
			b.Run(s.name+"/"+set, func(b *testing.B) {
				qs := sets[set]
				var samples []time.Duration
				got := make([][]related.Hit, len(qs))
				for b.Loop() {
					for i, q := range qs {
						t0 := time.Now()
						hits, err := s.rank(ctx, q)
						samples = append(samples, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						got[i] = hits
					}
				}
				b.StopTimer()
				for i := range qs {
					if !reflect.DeepEqual(got[i], want[set][i]) {
						b.Fatalf("%s ranks seed %s (%v) differently:\ngot  %v\nwant %v", s.name, qs[i].Seed, qs[i].FilterValues, got[i], want[set][i])
					}
				}
				p := percentiles(samples)
				b.ReportMetric(p[0], "p50-ms")
				b.ReportMetric(p[1], "p95-ms")
				b.ReportMetric(p[2], "p99-ms")
				b.ReportMetric(touched[set][0], "overlap-rows")
				b.ReportMetric(touched[set][1], "pair-rows")
				if s.name == "sql" {
					baseline[set] = p
				} else if base, ok := baseline[set]; ok {
					b.ReportMetric(p[1]/base[1], "p95/sql")
					b.ReportMetric(p[0]/base[0], "p50/sql")
				}
				if s.name == "index" {
					if st := idx.Stats(); st.FromSQL != 0 {
						b.Fatalf("the index handed %d queries to SQL", st.FromSQL)
					}
					return
				}
				if plan, err := explainAnalyze(ctx, db, s.name, qs[0]); err != nil {
					b.Fatal(err)
				} else if plan != "" {
					b.Logf("EXPLAIN ANALYZE, seed %s:\n%s", qs[0].Seed, plan)
				}
			})
		}
	}
}

// bulkLoadPassages writes n live passages in one transaction: the random
// values are drawn in Go (3 to 7 distinct motifs of vocab, uniform, and a
// register) and shipped in chunks into a temporary table, from which three
// INSERT … SELECT statements fill entries, entry_terms and entry_index
// with what projection.Write stores for each (one entry_index row for the
// register and one per motif, one entry_terms array of the motifs).
func bulkLoadPassages(ctx context.Context, db *store.DB, rng *rand.Rand, n, vocab int) ([]string, error) {
	terms := make([]string, vocab)
	for i := range terms {
		terms[i] = fmt.Sprintf("m%03d", i)
	}
	ids := make([]string, n)
	err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE bench_load (id text, register text, motifs text) ON COMMIT DROP"); err != nil {
			return fmt.Errorf("error creating the load table: %w", err)
		}
		const chunk = 20000
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			regs, motifs := make([]string, 0, hi-lo), make([]string, 0, hi-lo)
			for i := lo; i < hi; i++ {
				ids[i] = fmt.Sprintf("p%07d", i)
				regs = append(regs, registers[rng.IntN(len(registers))])
				k := 3 + rng.IntN(5)
				pick := make([]string, 0, k)
				for len(pick) < k {
					if t := terms[rng.IntN(vocab)]; !slices.Contains(pick, t) {
						pick = append(pick, t)
					}
				}
				motifs = append(motifs, strings.Join(pick, ","))
			}
			if _, err := tx.NewRaw("INSERT INTO bench_load SELECT * FROM unnest(?::text[], ?::text[], ?::text[])",
				pgdialect.Array(ids[lo:hi]), pgdialect.Array(regs), pgdialect.Array(motifs)).Exec(ctx); err != nil {
				return fmt.Errorf("error loading passages %d to %d: %w", lo, hi, err)
			}
		}
		for _, stmt := range []string{
			`INSERT INTO entries (id, type_key, title, draft_title, slug, slug_scope, live, has_unpublished_changes,
				created_at, updated_at, first_published_at, last_published_at)
			SELECT id, 'passage', id, id, id, 'type:passage', true, false, now(), now(), now(), now() FROM bench_load`,
			`INSERT INTO entry_terms (entry_id, type_key, field, terms)
			SELECT id, 'passage', 'motifs', string_to_array(motifs, ',') FROM bench_load`,
			`INSERT INTO entry_index (entry_id, type_key, field, v_text)
			SELECT id, 'passage', 'register', register FROM bench_load
			UNION ALL
			SELECT id, 'passage', 'motifs', unnest(string_to_array(motifs, ',')) FROM bench_load`,
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("error bulk-loading passages: %w", err)
			}
		}
		return nil
	})
	return ids, err
}

// seedTerms reads the seed's terms as the ranker's check does (the seed
// must be live; its terms come from entry_index).
func seedTerms(ctx context.Context, db bun.IDB, q related.Query) ([]string, error) {
	var live bool
	if err := db.NewSelect().Table("entries").ColumnExpr("live").Where("id = ? AND type_key = ?", q.Seed, q.Type).Scan(ctx, &live); err != nil || !live {
		return nil, fmt.Errorf("no published %s %q", q.Type, q.Seed)
	}
	var terms []string
	if err := db.NewSelect().Table("entry_index").Column("v_text").
		Where("entry_id = ? AND field = ? AND v_text IS NOT NULL", q.Seed, q.Field).Scan(ctx, &terms); err != nil {
		return nil, fmt.Errorf("error reading the seed's terms: %w", err)
	}
	return terms, nil
}

// overlapExpr counts the seed's terms in t.terms; tags are distinct, so it
// equals the size of the intersection that the production query computes
// with INTERSECT.
const overlapExpr = `(SELECT count(*) FROM unnest(t.terms) AS x WHERE x = ANY(?::text[]))::int`

// maxPairTerms bounds the seeds ranked pairs first (C(12,2) = 66 GIN
// scans); larger seeds fall back to the overlap query.
const maxPairTerms = 12

// shape selects an alternative ranking statement.
type shape struct {
	pairs bool // pairs first (the production statement), otherwise unnest-count
}

// alternativeSQL returns an alternative ranking statement and its
// arguments.
func alternativeSQL(q related.Query, terms []string, sh shape) (string, []any) {
	// where returns the conditions (after the candidate condition) and
	// their arguments.
	where := func() (string, []any) {
		s := "AND t.type_key = ? AND t.field = ? AND t.entry_id <> ?"
		args := []any{q.Type, q.Field, q.Seed}
		if q.FilterField != "" {
			s += " AND EXISTS (SELECT 1 FROM entry_index AS f WHERE f.entry_id = t.entry_id AND f.field = ? AND f.v_text IN (?))"
			args = append(args, q.FilterField, bun.List(q.FilterValues))
		}
		return s, args
	}
	arr := pgdialect.Array(terms)
	w, wargs := where()
	overlap := "SELECT t.entry_id, " + overlapExpr + " AS overlap FROM entry_terms AS t WHERE t.terms && ?::text[] " + w
	oargs := append([]any{arr, arr}, wargs...)
	if !sh.pairs || len(terms) < 2 || len(terms) > maxPairTerms {
		return overlap + " ORDER BY overlap DESC, t.entry_id ASC LIMIT ?", append(oargs, q.Limit)
	}
	var ors []string
	var pargs []any
	for i := range terms {
		for j := i + 1; j < len(terms); j++ {
			ors = append(ors, "t.terms @> ?::text[]")
			pargs = append(pargs, pgdialect.Array([]string{terms[i], terms[j]}))
		}
	}
	sql := "WITH c AS (SELECT t.entry_id, " + overlapExpr + " AS overlap FROM entry_terms AS t WHERE (" + strings.Join(ors, " OR ") + ") " + w +
		" ORDER BY overlap DESC, t.entry_id ASC LIMIT ?)\n" +
		"SELECT entry_id, overlap FROM c WHERE (SELECT count(*) FROM c) >= ?\n" +
		"UNION ALL\n(" + overlap + " AND (SELECT count(*) FROM c) < ? ORDER BY overlap DESC, t.entry_id ASC LIMIT ?)\n" +
		"ORDER BY overlap DESC, entry_id ASC"
	args := append([]any{arr}, pargs...)
	args = append(args, wargs...)
	args = append(args, q.Limit, q.Limit)
	args = append(args, oargs...)
	args = append(args, q.Limit, q.Limit)
	return sql, args
}

// rankAlternative ranks like related.Ranker.Related (same seed checks),
// with an alternative statement.
func rankAlternative(ctx context.Context, db *store.DB, q related.Query, sh shape) ([]related.Hit, error) {
	terms, err := seedTerms(ctx, db, q)
	if err != nil || len(terms) == 0 {
		return []related.Hit{}, err
	}
	sql, args := alternativeSQL(q, terms, sh)
	out := []related.Hit{}
	if err := db.NewRaw(sql, args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("error ranking related entries: %w", err)
	}
	return out, nil
}

// rowsTouched counts the passages sharing at least one and at least two
// terms with q's seed (q's filter ignored: the filter is checked per
// overlapping row, after the GIN scan).
func rowsTouched(ctx context.Context, db *store.DB, q related.Query) (overlap, pairs int, err error) {
	terms, err := seedTerms(ctx, db, q)
	if err != nil {
		return 0, 0, err
	}
	arr := pgdialect.Array(terms)
	err = db.NewRaw("SELECT count(*), count(*) FILTER (WHERE "+overlapExpr+" >= 2) FROM entry_terms AS t "+
		"WHERE t.terms && ?::text[] AND t.type_key = ? AND t.field = ? AND t.entry_id <> ?",
		arr, arr, q.Type, q.Field, q.Seed).Scan(ctx, &overlap, &pairs)
	if err != nil {
		return 0, 0, fmt.Errorf("error counting the rows touched for %s: %w", q.Seed, err)
	}
	return overlap, pairs, nil
}

// explainAnalyze runs EXPLAIN (ANALYZE, BUFFERS) of the named shape's
// ranking statement for q ("sql": the production statement, rebuilt here
// as it is not exported; "unnest-count": the full overlap query).
func explainAnalyze(ctx context.Context, db *store.DB, name string, q related.Query) (string, error) {
	terms, err := seedTerms(ctx, db, q)
	if err != nil || len(terms) == 0 {
		return "", err
	}
	sql, args := alternativeSQL(q, terms, shape{pairs: name == "sql"})
	var lines []string
	if err := db.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+sql, args...).Scan(ctx, &lines); err != nil {
		return "", fmt.Errorf("error explaining %s: %w", name, err)
	}
	return strings.Join(lines, "\n"), nil
}

// percentiles returns the nearest-rank p50, p95 and p99 of samples, in ms.
func percentiles(samples []time.Duration) [3]float64 {
	s := slices.Clone(samples)
	slices.Sort(s)
	var out [3]float64
	for i, p := range []float64{0.50, 0.95, 0.99} {
		k := int(math.Ceil(p*float64(len(s)))) - 1
		out[i] = float64(s[max(k, 0)]) / float64(time.Millisecond)
	}
	return out
}
