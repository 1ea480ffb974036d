package cache

import (
	"context"
	"hash/maphash"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
)

// stripes is the number of invalidation generation counters tags hash into.
// A collision only makes a racing fill skip its store once.
const stripes = 4096

// memEntry is one cached value. Entries are compared by pointer: the tag
// index only forgets a key when the entry it recorded is the one deleted.
type memEntry struct {
	val  []byte
	tags []string
	ttl  time.Duration
}

// memoryBackend keeps values in an otter cache bounded in bytes, with a
// per-entry TTL, and a tag → key → entry index. otter calls onDelete
// synchronously for every deletion (eviction, expiry, replacement,
// invalidation), so the index holds exactly the live entries' tags.
//
// Lock order: mu is never held while calling otter (onDelete, which otter
// calls under a bucket lock, takes mu).
type memoryBackend struct {
	c *otter.Cache[string, *memEntry]

	mu    sync.Mutex
	index map[string]map[string]*memEntry // tag → key → entry
	pairs int                             // (tag, key) pairs in index
	// gen[h(tag)] is the epoch of the last invalidation of a tag hashing
	// there; a fill that snapshotted an older epoch may not store.
	gen   [stripes]uint64
	epoch atomic.Uint64 // written under mu
	seed  maphash.Seed
}

func newMemoryBackend(cfg Config) (*memoryBackend, error) {
	b := &memoryBackend{index: map[string]map[string]*memEntry{}, seed: maphash.MakeSeed()}
	c, err := otter.New(&otter.Options[string, *memEntry]{
		MaximumWeight: uint64(cfg.MaxBytes),
		Weigher:       weigh,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *memEntry]) time.Duration {
			return e.Value.ttl
		}),
		OnAtomicDeletion: b.onDelete,
		Logger:           otterLogger{cfg.Logger},
	})
	if err != nil {
		return nil, err
	}
	b.c = c
	return b, nil
}

// weigh estimates the bytes an entry costs, index included.
func weigh(key string, e *memEntry) uint32 {
	w := 2*len(key) + len(e.val) + 96
	for _, t := range e.tags {
		w += len(t) + len(key) + 64
	}
	return uint32(min(w, math.MaxUint32))
}

func (b *memoryBackend) name() string  { return "memory" }
func (b *memoryBackend) healthy() bool { return true }

func (b *memoryBackend) gauges() (int, int) {
	n := b.c.EstimatedSize()
	b.mu.Lock()
	defer b.mu.Unlock()
	return n, b.pairs
}

func (b *memoryBackend) close() { b.c.StopAllGoroutines() }

func (b *memoryBackend) get(_ context.Context, key string) ([]byte, bool, bool, error) {
	e, ok := b.c.GetIfPresent(key)
	if !ok {
		return nil, false, false, nil
	}
	return e.val, true, true, nil
}

func (b *memoryBackend) snapshot(context.Context) (uint64, error) { return b.epoch.Load(), nil }

func (b *memoryBackend) stripe(tag string) int {
	return int(maphash.String(b.seed, tag) % stripes)
}

// invalidatedSince reports whether a tag was invalidated after epoch snap.
// mu must be held.
func (b *memoryBackend) invalidatedSince(tags []string, snap uint64) bool {
	for _, t := range tags {
		if b.gen[b.stripe(t)] > snap {
			return true
		}
	}
	return false
}

func (b *memoryBackend) store(_ context.Context, key string, val []byte, tags []string, ttl time.Duration, snap uint64) (bool, error) {
	e := &memEntry{val: val, tags: tags, ttl: ttl}
	stored := false
	// Under the key's bucket lock and mu: the generation check, the index
	// update and the write are one step. An invalidation bumps the
	// generations and reads the index under mu, then deletes the keys it
	// found (taking the bucket lock): it either makes this check fail, or
	// finds the key and deletes e after this Compute returns.
	b.c.Compute(key, func(old *memEntry, found bool) (*memEntry, otter.ComputeOp) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.invalidatedSince(tags, snap) {
			return old, otter.CancelOp
		}
		for _, t := range tags {
			m := b.index[t]
			if m == nil {
				m = map[string]*memEntry{}
				b.index[t] = m
			}
			if _, had := m[key]; !had {
				b.pairs++
			}
			m[key] = e
		}
		stored = true
		return e, otter.WriteOp
	})
	return stored, nil
}

func (b *memoryBackend) invalidate(_ context.Context, tags []string) error {
	var keys []string
	b.mu.Lock()
	ep := b.epoch.Add(1)
	for _, t := range tags {
		b.gen[b.stripe(t)] = ep
		for k := range b.index[t] {
			keys = append(keys, k)
		}
	}
	b.mu.Unlock()
	for _, k := range keys {
		b.c.Invalidate(k) // onDelete updates the index
	}
	return nil
}

// onDelete removes a deleted entry's keys from the index. otter calls it
// under the entry's bucket lock.
func (b *memoryBackend) onDelete(ev otter.DeletionEvent[string, *memEntry]) {
	e := ev.Value
	if e == nil {
		return
	}
	b.mu.Lock()
	for _, t := range e.tags {
		m := b.index[t]
		if m[ev.Key] != e {
			continue
		}
		delete(m, ev.Key)
		b.pairs--
		if len(m) == 0 {
			delete(b.index, t)
		}
	}
	b.mu.Unlock()
}

// otterLogger sends otter's own warnings to the cache's logger.
type otterLogger struct{ log *slog.Logger }

func (l otterLogger) Warn(ctx context.Context, msg string, err error) {
	l.log.WarnContext(ctx, msg, "component", "cache", "err", err)
}

func (l otterLogger) Error(ctx context.Context, msg string, err error) {
	l.log.ErrorContext(ctx, msg, "component", "cache", "err", err)
}
