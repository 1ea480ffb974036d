package related

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Index ranks from memory: an inverted index (term → entries) of the
// indexed fields that related queries use, built per content type from
// entry_index the first time the type is ranked and kept current from the
// same change records that invalidate cached responses. Every request is
// still ranked from the current terms (nothing is cached per seed); only
// reading the terms is taken out of the database.
//
// Queries the index cannot answer yet — while a type's index is being
// built, for a seed it does not hold (published on another instance within
// the last poll, or without terms, or not published at all) — are answered
// by the SQL ranker, which ranks identically (TestIndexFollowsChanges,
// TestIndexConcurrent).
//
// Freshness: this instance's own publishes are applied when they commit
// (Index is the entries service's LocalCache); other instances' within one
// relay poll (200 ms by default), through cache_invalidations. A type whose
// indexed fields change (registry records cache.IndexTag) is rebuilt, and
// so is every type each IndexOptions.Refresh. See ADR 0016.
type Index struct {
	db       *store.DB
	types    Types
	fallback Ranker
	log      *slog.Logger
	poll     time.Duration
	refresh  time.Duration
	lastWarn atomic.Int64 // unix ns of the last "cannot follow changes" warning

	startMu sync.Mutex
	closed  bool
	relay   *cache.Relay
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// reloadMu serialises reading entries from the database with applying
	// them, so an older read is never applied after a newer one.
	reloadMu sync.Mutex
	mu       sync.RWMutex
	ready    map[string]*typeIndex
	building map[string]*build
	failed   map[string]time.Time // type → last failed build
	builds   map[string]int       // type → builds completed
	scratch  sync.Pool

	fromMemory, fromSQL atomic.Uint64
}

// IndexOptions tune an Index; zero values pick the defaults.
type IndexOptions struct {
	// Poll is how often other instances' changes are read. Default 200 ms.
	Poll time.Duration
	// Refresh is how often each type's index is rebuilt from scratch, so
	// that changes the relay could not deliver (an instance cut off from
	// the database for longer than cache_invalidations keeps its rows,
	// an hour) cannot leave it stale for good. Default 1 h.
	Refresh time.Duration
	// Logger receives build and error messages; nil: slog.Default().
	Logger *slog.Logger
}

// retryBuildAfter spaces the attempts to build a type's index after a
// failure (the SQL ranker answers meanwhile).
const retryBuildAfter = 5 * time.Second

// reloadBatch bounds the entry ids read per statement when applying changes.
const reloadBatch = 500

// bulkChange is the number of changed entries in one notification above
// which the indexed types are rebuilt instead of the entries re-read.
const bulkChange = 10_000

// NewIndex returns an in-memory ranker over db. Nothing is read until Warm
// or the first query; Close stops it.
func NewIndex(db *store.DB, types Types, opts IndexOptions) *Index {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Refresh <= 0 {
		opts.Refresh = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	x := &Index{db: db, types: types, fallback: New(db, types), log: opts.Logger, poll: opts.Poll, refresh: opts.Refresh,
		ready: map[string]*typeIndex{}, building: map[string]*build{}, failed: map[string]time.Time{}, builds: map[string]int{}}
	x.scratch.New = func() any { return &scratch{} }
	return x
}

// build is a type's index being loaded.
type build struct {
	fields  []string
	pending []string // entries changed while loading, applied after
	stale   bool     // the type's index changed while loading: load again
}

// Related ranks q from memory when the index holds q's type, fields and
// seed, and through the SQL ranker otherwise.
func (x *Index) Related(ctx context.Context, q Query) ([]Hit, error) {
	if err := validate(ctx, x.types, &q); err != nil {
		return nil, err
	}
	fields := []string{q.Field}
	if q.FilterField != "" && q.FilterField != q.Field {
		fields = append(fields, q.FilterField)
	}
	x.mu.RLock()
	if ti := x.ready[q.Type]; ti != nil && ti.holds(fields) {
		hits, ok := ti.rank(q, &x.scratch)
		x.mu.RUnlock()
		if ok {
			x.fromMemory.Add(1)
			return hits, nil
		}
		x.fromSQL.Add(1)
		return x.fallback.Related(ctx, q)
	}
	x.mu.RUnlock()
	x.ensure(q.Type, fields)
	x.fromSQL.Add(1)
	return x.fallback.Related(ctx, q)
}

// IndexStats describes the index.
type IndexStats struct {
	Types []TypeIndexStats `json:"types"`
	// FromMemory and FromSQL count the queries answered by the index and
	// by the SQL ranker (while building, or for a seed not indexed).
	FromMemory uint64 `json:"from_memory"`
	FromSQL    uint64 `json:"from_sql"`
}

// TypeIndexStats describes one content type's index.
type TypeIndexStats struct {
	Type     string   `json:"type"`
	Fields   []string `json:"fields"`
	Entries  int      `json:"entries"`
	Ready    bool     `json:"ready"`
	Building bool     `json:"building"`
	Builds   int      `json:"builds"` // completed since start
}

// Stats describes the types indexed or being indexed.
func (x *Index) Stats() IndexStats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := IndexStats{FromMemory: x.fromMemory.Load(), FromSQL: x.fromSQL.Load()}
	for key, ti := range x.ready {
		out.Types = append(out.Types, TypeIndexStats{Type: key, Fields: ti.fieldNames(), Entries: len(ti.byID), Ready: true,
			Building: x.building[key] != nil, Builds: x.builds[key]})
	}
	for key, b := range x.building {
		if x.ready[key] == nil {
			out.Types = append(out.Types, TypeIndexStats{Type: key, Fields: slices.Clone(b.fields), Building: true})
		}
	}
	slices.SortFunc(out.Types, func(a, b TypeIndexStats) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// WaitReady blocks until the index of typeKey holds fields (starting its
// build if needed), or ctx ends. Servers need not call it (queries are
// answered meanwhile); tests and benchmarks do.
func (x *Index) WaitReady(ctx context.Context, typeKey string, fields ...string) error {
	for {
		x.mu.RLock()
		ti := x.ready[typeKey]
		ok := ti != nil && ti.holds(fields)
		x.mu.RUnlock()
		if ok {
			return nil
		}
		x.ensure(typeKey, fields)
		select {
		case <-ctx.Done():
			return fmt.Errorf("index of %s not ready: %w", typeKey, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Warm starts building, in the background, the index of every type in
// types that has an indexed tags field. Each index holds the type's
// indexed tags fields and its indexed choice fields (the usual filters,
// such as a register), so the first rankings after a start, filtered or
// not, are answered from memory. Servers that answer requests call it
// once their types are registered; other fields still load on first use.
func (x *Index) Warm(types []*contenttypes.ContentType) {
	for _, ct := range types {
		var fields []string
		tagged := false
		for _, f := range ct.IndexedFields() {
			switch f.Kind {
			case contenttypes.KindTags:
				tagged = true
				fields = append(fields, f.Name)
			case contenttypes.KindSelect:
				fields = append(fields, f.Name)
			}
		}
		if tagged {
			x.ensure(ct.Key, fields)
		}
	}
}

// Close stops following changes and waits for builds in progress.
func (x *Index) Close() {
	x.startMu.Lock()
	relay, cancel := x.relay, x.cancel
	x.relay, x.cancel, x.closed = nil, nil, true
	x.startMu.Unlock()
	if cancel != nil {
		cancel()
	}
	if relay != nil {
		relay.Stop()
	}
	x.wg.Wait()
}

// start begins following other instances' changes, once, before the first
// build reads anything: every change committed after the relay's starting
// point is then applied after the build, and every earlier one is in what
// the build reads.
func (x *Index) start() error {
	x.startMu.Lock()
	defer x.startMu.Unlock()
	if x.closed {
		return errors.New("related index closed")
	}
	if x.relay != nil {
		return nil
	}
	relay := cache.NewRelay(x.db, x, cache.RelayOptions{Poll: x.poll, Logger: x.log})
	ctx, cancel := context.WithCancel(context.Background())
	if err := relay.Start(ctx); err != nil {
		cancel()
		return err
	}
	x.relay, x.ctx, x.cancel = relay, ctx, cancel
	x.wg.Add(1)
	go x.refreshLoop(ctx)
	return nil
}

// refreshLoop rebuilds every indexed type each Refresh.
func (x *Index) refreshLoop(ctx context.Context) {
	defer x.wg.Done()
	t := time.NewTicker(x.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		x.rebuildAll()
	}
}

// rebuildAll rebuilds every type indexed or being indexed.
func (x *Index) rebuildAll() {
	x.mu.RLock()
	keys := make([]string, 0, len(x.ready)+len(x.building))
	for k := range x.ready {
		keys = append(keys, k)
	}
	for k := range x.building {
		if x.ready[k] == nil {
			keys = append(keys, k)
		}
	}
	x.mu.RUnlock()
	for _, k := range keys {
		x.rebuild(k)
	}
}

// ensure starts building typeKey's index with fields (plus those it
// already holds) unless it holds them, a build is under way (which then
// loads them too) or one failed moments ago.
func (x *Index) ensure(typeKey string, fields []string) {
	if err := x.start(); err != nil {
		if last := x.lastWarn.Load(); time.Since(time.Unix(0, last)) > 30*time.Second && x.lastWarn.CompareAndSwap(last, time.Now().UnixNano()) {
			x.log.Warn("related index: cannot follow changes; ranking in SQL", "err", err)
		}
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.building[typeKey]; b != nil {
		for _, f := range fields {
			if !slices.Contains(b.fields, f) {
				b.fields, b.stale = append(b.fields, f), true
			}
		}
		return
	}
	if t, ok := x.failed[typeKey]; ok && time.Since(t) < retryBuildAfter {
		return
	}
	if ti := x.ready[typeKey]; ti != nil && ti.holds(fields) {
		return
	}
	want := slices.Clone(fields)
	if ti := x.ready[typeKey]; ti != nil {
		for _, f := range ti.fieldNames() {
			if !slices.Contains(want, f) {
				want = append(want, f)
			}
		}
	}
	x.startBuildLocked(typeKey, want)
}

func (x *Index) startBuildLocked(typeKey string, fields []string) {
	b := &build{fields: fields}
	x.building[typeKey] = b
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		x.run(typeKey, b)
	}()
}

// run loads a type's index and swaps it in, applying the changes that
// arrived meanwhile.
func (x *Index) run(typeKey string, b *build) {
	for {
		x.mu.RLock()
		fields := slices.Clone(b.fields)
		x.mu.RUnlock()
		began := time.Now()
		ti, err := x.load(x.ctx, typeKey, fields)
		x.reloadMu.Lock()
		x.mu.Lock()
		if err != nil {
			delete(x.building, typeKey)
			x.failed[typeKey] = time.Now()
			x.mu.Unlock()
			x.reloadMu.Unlock()
			if x.ctx.Err() == nil {
				x.log.Warn("related index: build failed; ranking in SQL", "type", typeKey, "err", err)
			}
			return
		}
		if b.stale {
			// Load again from scratch: what changed before now is in what
			// the next load reads.
			b.stale, b.pending = false, nil
			x.mu.Unlock()
			x.reloadMu.Unlock()
			continue
		}
		x.ready[typeKey] = ti
		x.builds[typeKey]++
		delete(x.building, typeKey)
		delete(x.failed, typeKey)
		pending := b.pending
		x.mu.Unlock()
		var perr error
		if len(pending) > 0 {
			perr = x.reloadLocked(x.ctx, pending)
		}
		x.reloadMu.Unlock()
		if perr != nil {
			// The type stays indexed but may miss these changes: rebuild.
			x.log.Warn("related index: applying changes failed; rebuilding", "type", typeKey, "err", perr)
			x.mu.Lock()
			if x.building[typeKey] == nil && x.ctx.Err() == nil {
				x.startBuildLocked(typeKey, fields)
			}
			x.mu.Unlock()
			return
		}
		x.log.Info("related index ready", "type", typeKey, "fields", fields, "entries", len(ti.byID), "took", time.Since(began).Round(time.Millisecond))
		return
	}
}

// load reads the values of fields of every live entry of typeKey.
func (x *Index) load(ctx context.Context, typeKey string, fields []string) (*typeIndex, error) {
	ti := newTypeIndex(fields)
	for _, f := range fields {
		rows, err := x.db.QueryContext(ctx, "SELECT entry_id, v_text FROM entry_index WHERE type_key = ? AND field = ? AND v_text IS NOT NULL", typeKey, f)
		if err != nil {
			return nil, fmt.Errorf("error reading %s.%s: %w", typeKey, f, err)
		}
		fi := ti.fields[f]
		var id, val string
		for rows.Next() {
			if err := rows.Scan(&id, &val); err != nil {
				rows.Close()
				return nil, fmt.Errorf("error reading %s.%s: %w", typeKey, f, err)
			}
			d := ti.intern(id)
			fi.add(d, val)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, fmt.Errorf("error reading %s.%s: %w", typeKey, f, err)
		}
		rows.Close()
	}
	return ti, nil
}

// InvalidateTags applies changes: for every entry:<id> tag the entry is
// read again (removed when no longer published); an index:<type> tag
// rebuilds that type. Other tags are ignored. It is the relay's
// cache.Invalidator and the entries service's LocalCache.
func (x *Index) InvalidateTags(ctx context.Context, tags ...string) error {
	var ids []string
	for _, t := range tags {
		if id, ok := strings.CutPrefix(t, cache.EntryTag("")); ok {
			ids = append(ids, id)
		} else if typeKey, ok := strings.CutPrefix(t, cache.IndexTag("")); ok {
			x.rebuild(typeKey)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > bulkChange {
		// A type-wide change (the registry re-rendering every entry):
		// rebuilding in the background beats reading the entries one
		// batch at a time while publishes wait on reloadMu.
		x.rebuildAll()
		return nil
	}
	x.reloadMu.Lock()
	defer x.reloadMu.Unlock()
	return x.reloadLocked(ctx, ids)
}

// rebuild loads typeKey's index again (its indexed fields changed); the
// current one answers until the new one is ready.
func (x *Index) rebuild(typeKey string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.building[typeKey]; b != nil {
		b.stale = true
		return
	}
	if ti := x.ready[typeKey]; ti != nil && x.ctx != nil && x.ctx.Err() == nil {
		x.startBuildLocked(typeKey, ti.fieldNames())
	}
}

// indexRow is one value of a changed entry.
type indexRow struct {
	EntryID string `bun:"entry_id"`
	TypeKey string `bun:"type_key"`
	Field   string `bun:"field"`
	VText   string `bun:"v_text"`
}

// reloadLocked reads ids' current values and applies them to every
// indexed type (queueing them for types being built). reloadMu is held.
func (x *Index) reloadLocked(ctx context.Context, ids []string) error {
	x.mu.RLock()
	idle := len(x.ready) == 0 && len(x.building) == 0
	x.mu.RUnlock()
	if idle {
		return nil
	}
	var rows []indexRow
	for chunk := range slices.Chunk(ids, reloadBatch) {
		var part []indexRow
		if err := x.db.NewSelect().Table("entry_index").Column("entry_id", "type_key", "field", "v_text").
			Where("entry_id IN (?) AND v_text IS NOT NULL", bun.List(chunk)).Scan(ctx, &part); err != nil {
			return fmt.Errorf("error reading changed entries: %w", err)
		}
		rows = append(rows, part...)
	}
	byID := map[string][]indexRow{}
	for _, r := range rows {
		byID[r.EntryID] = append(byID[r.EntryID], r)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, b := range x.building {
		b.pending = append(b.pending, ids...)
	}
	for typeKey, ti := range x.ready {
		for _, id := range ids {
			ti.apply(typeKey, id, byID[id])
		}
	}
	return nil
}

// typeIndex is the index of one content type. Entries are numbered (doc
// numbers) in the order they are first seen; numbers of removed entries
// are reused.
type typeIndex struct {
	ids    []string // by doc; "" when free
	byID   map[string]uint32
	free   []uint32
	fields map[string]*fieldIndex
}

// fieldIndex holds one field's values: interned, with the docs holding
// each (postings, unordered) and the values of each doc.
type fieldIndex struct {
	valueIDs map[string]uint32
	postings [][]uint32 // by value id
	docs     [][]uint32 // by doc: value ids
}

func newTypeIndex(fields []string) *typeIndex {
	ti := &typeIndex{byID: map[string]uint32{}, fields: map[string]*fieldIndex{}}
	for _, f := range fields {
		ti.fields[f] = &fieldIndex{valueIDs: map[string]uint32{}}
	}
	return ti
}

func (ti *typeIndex) holds(fields []string) bool {
	for _, f := range fields {
		if ti.fields[f] == nil {
			return false
		}
	}
	return true
}

func (ti *typeIndex) fieldNames() []string {
	out := make([]string, 0, len(ti.fields))
	for f := range ti.fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func (ti *typeIndex) intern(id string) uint32 {
	if d, ok := ti.byID[id]; ok {
		return d
	}
	var d uint32
	if n := len(ti.free); n > 0 {
		d, ti.free = ti.free[n-1], ti.free[:n-1]
		ti.ids[d] = id
	} else {
		d = uint32(len(ti.ids))
		ti.ids = append(ti.ids, id)
	}
	ti.byID[id] = d
	return d
}

// apply sets entry id's values from rows (all its current entry_index
// values, of any type): it is indexed when it has values in this type's
// fields, and dropped otherwise.
func (ti *typeIndex) apply(typeKey, id string, rows []indexRow) {
	vals := map[string][]string{}
	for _, r := range rows {
		if r.TypeKey == typeKey && ti.fields[r.Field] != nil {
			vals[r.Field] = append(vals[r.Field], r.VText)
		}
	}
	d, known := ti.byID[id]
	if len(vals) == 0 {
		if known {
			for _, fi := range ti.fields {
				fi.set(d, nil)
			}
			delete(ti.byID, id)
			ti.ids[d] = ""
			ti.free = append(ti.free, d)
		}
		return
	}
	d = ti.intern(id)
	for f, fi := range ti.fields {
		fi.set(d, vals[f])
	}
}

func (fi *fieldIndex) valueID(v string) uint32 {
	if id, ok := fi.valueIDs[v]; ok {
		return id
	}
	id := uint32(len(fi.postings))
	fi.valueIDs[v] = id
	fi.postings = append(fi.postings, nil)
	return id
}

// add appends value v to doc d (bulk loading).
func (fi *fieldIndex) add(d uint32, v string) {
	id := fi.valueID(v)
	fi.postings[id] = append(fi.postings[id], d)
	for uint32(len(fi.docs)) <= d {
		fi.docs = append(fi.docs, nil)
	}
	fi.docs[d] = append(fi.docs[d], id)
}

// set replaces doc d's values.
func (fi *fieldIndex) set(d uint32, vals []string) {
	if d < uint32(len(fi.docs)) {
		for _, id := range fi.docs[d] {
			p := fi.postings[id]
			if i := slices.Index(p, d); i >= 0 {
				p[i] = p[len(p)-1]
				fi.postings[id] = p[:len(p)-1]
			}
		}
		fi.docs[d] = nil
	}
	for _, v := range vals {
		fi.add(d, v)
	}
}

// scratch is one ranking's working memory, pooled.
type scratch struct {
	counts   []uint16    // by doc: terms shared with the seed
	touched  []uint32    // docs with counts > 0
	kept     []candidate // docs that could be on the page
	perLevel []int       // kept docs by overlap
}

// candidate is a doc and its overlap.
type candidate struct {
	doc uint32
	n   uint16
}

// rank counts, for every doc sharing a term with the seed, the terms
// shared, and keeps the best q.Limit (overlap descending, entry id
// ascending) that pass the filter. ok is false when the index does not
// hold the seed's terms (the caller asks SQL). The caller holds x.mu for
// reading.
func (ti *typeIndex) rank(q Query, pool *sync.Pool) (hits []Hit, ok bool) {
	fi := ti.fields[q.Field]
	seed, known := ti.byID[q.Seed]
	if !known || seed >= uint32(len(fi.docs)) || len(fi.docs[seed]) == 0 {
		return nil, false
	}
	var filter *fieldIndex
	var allowed []uint32
	if q.FilterField != "" {
		filter = ti.fields[q.FilterField]
		for _, v := range q.FilterValues {
			if id, ok := filter.valueIDs[v]; ok && !slices.Contains(allowed, id) {
				allowed = append(allowed, id)
			}
		}
		if len(allowed) == 0 {
			return []Hit{}, true
		}
	}
	terms := slices.Clone(fi.docs[seed])
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if len(terms) > math.MaxUint16 {
		return nil, false // the counters would overflow
	}

	s := pool.Get().(*scratch)
	defer pool.Put(s)
	if len(s.counts) < len(ti.ids) {
		s.counts = make([]uint16, len(ti.ids)+len(ti.ids)/8)
	}
	counts, touched := s.counts, s.touched[:0]
	for _, t := range terms {
		for _, d := range fi.postings[t] {
			if counts[d] == 0 {
				touched = append(touched, d)
			}
			counts[d]++
		}
	}
	// One pass keeps every eligible doc (not the seed, passing the filter)
	// that can still be on the page: floor is the page's lowest possible
	// overlap, raised as soon as the docs above it fill the page. The
	// filter is checked only for docs at or above the floor, and ids are
	// compared only at the end, among the docs tied at the floor: every
	// candidate comparing its id with the page's last was 44% of a
	// ranking at 20,000 passages.
	kept := s.kept[:0]
	perLevel := slices.Grow(s.perLevel[:0], len(terms)+1)[:len(terms)+1]
	clear(perLevel)
	floor, above := uint16(1), 0 // above: kept docs with an overlap over floor
	for _, d := range touched {
		n := counts[d]
		counts[d] = 0
		if n < floor || d == seed || filter != nil && !passes(filter, d, allowed) {
			continue
		}
		kept = append(kept, candidate{doc: d, n: n})
		perLevel[n]++
		if n > floor {
			above++
		}
		for above >= q.Limit { // the docs over floor+1 and at it fill the page
			floor++
			above -= perLevel[floor]
		}
	}
	top := make([]candidate, 0, q.Limit)
	ties := make([]candidate, 0, q.Limit-above)
	for _, c := range kept {
		switch {
		case c.n > floor:
			top = append(top, c)
		case c.n == floor:
			// Ties go by entry id in byte order, as SQL's ORDER BY
			// entry_id does for the engine's ids (lowercase UUIDs, which
			// every collation orders alike).
			id := ti.ids[c.doc]
			if len(ties) == cap(ties) && id > ti.ids[ties[len(ties)-1].doc] {
				continue
			}
			i, _ := slices.BinarySearchFunc(ties, id, func(e candidate, id string) int { return strings.Compare(ti.ids[e.doc], id) })
			if len(ties) == cap(ties) {
				ties = ties[:len(ties)-1]
			}
			ties = slices.Insert(ties, i, c)
		}
	}
	s.kept, s.perLevel = kept[:0], perLevel[:0]
	slices.SortFunc(top, func(a, b candidate) int {
		if a.n != b.n {
			return int(b.n) - int(a.n)
		}
		return strings.Compare(ti.ids[a.doc], ti.ids[b.doc])
	})
	top = append(top, ties...)
	s.touched = touched[:0]
	hits = make([]Hit, len(top))
	for i, c := range top {
		hits[i] = Hit{EntryID: ti.ids[c.doc], Overlap: int(c.n)}
	}
	return hits, true
}

// passes reports whether doc d has one of the allowed values.
func passes(fi *fieldIndex, d uint32, allowed []uint32) bool {
	if d >= uint32(len(fi.docs)) {
		return false
	}
	for _, v := range fi.docs[d] {
		if slices.Contains(allowed, v) {
			return true
		}
	}
	return false
}
