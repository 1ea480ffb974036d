package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults of Config.
const (
	DefaultMaxBytes     = 64 << 20
	DefaultTTL          = 5 * time.Minute
	DefaultFillTimeout  = 30 * time.Second
	DefaultKeyPrefix    = "inkling:{cache}:"
	DefaultRedisTimeout = 100 * time.Millisecond
	DefaultRetryEvery   = 500 * time.Millisecond
	DefaultWarnEvery    = 30 * time.Second
)

// Config configures a Cache. The zero value is a 64 MiB in-process cache.
type Config struct {
	// RedisURL selects the Redis backend (redis://[user:pass@]host:port[/db],
	// rediss:// for TLS; INKLING_REDIS_URL). Empty: in-process memory.
	RedisURL string
	// MaxBytes bounds the memory the cache holds in this process: the whole
	// memory backend, or Redis' client-side cache. Default 64 MiB.
	MaxBytes int64
	// DefaultTTL applies when FetchOptions.TTL (or Set's ttl) is zero.
	// Default 5 minutes.
	DefaultTTL time.Duration
	// FillTimeout bounds one fill. The fill runs detached from the context
	// of the request that started it (other requests may be waiting for
	// it), with this deadline. Default 30 s.
	FillTimeout time.Duration
	// KeyPrefix prefixes every Redis key. The default contains a hash tag
	// ({cache}) so that all keys share one slot and the Lua scripts also
	// work on Redis Cluster.
	KeyPrefix string
	// RedisTimeout bounds each Redis call. A Redis that does not answer in
	// time is treated as down. Default 100 ms.
	RedisTimeout time.Duration
	// RetryEvery is how often a down Redis is probed. Default 500 ms.
	RetryEvery time.Duration
	// WarnEvery rate-limits the "Redis unavailable" warnings. Default 30 s.
	WarnEvery time.Duration
	// Logger receives warnings; nil: slog.Default().
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.DefaultTTL <= 0 {
		c.DefaultTTL = DefaultTTL
	}
	if c.FillTimeout <= 0 {
		c.FillTimeout = DefaultFillTimeout
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.RedisTimeout <= 0 {
		c.RedisTimeout = DefaultRedisTimeout
	}
	if c.RetryEvery <= 0 {
		c.RetryEvery = DefaultRetryEvery
	}
	if c.WarnEvery <= 0 {
		c.WarnEvery = DefaultWarnEvery
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// FetchOptions tune one Fetch.
type FetchOptions struct {
	// TTL of the stored value; zero: Config.DefaultTTL.
	TTL time.Duration
}

// FillFunc computes a value on a miss: the bytes to cache and the tags
// (usually EntryTag of every entry the value contains, plus TypeTag for
// lists). Returning ErrNoStore (with a value) hands the value to the callers
// without caching it; any other error is returned to every waiting caller
// and nothing is cached.
type FillFunc func(ctx context.Context) (val []byte, tags []string, err error)

// ErrNoStore, returned by a fill together with its value, makes Fetch return
// the value without caching it (e.g. a response that must not be shared).
var ErrNoStore = errors.New("cache: value not to be stored")

// ErrUnavailable is returned by InvalidateTags and Set when the Redis
// backend cannot be reached. Reads never return it.
var ErrUnavailable = errors.New("cache: redis is unavailable")

// EntryTag is the tag of responses that contain entry id.
func EntryTag(id string) string { return "entry:" + id }

// TypeTag is the tag of responses that list entries of a content type (so
// that publishing a new entry of the type invalidates its lists).
func TypeTag(typeKey string) string { return "type:" + typeKey }

// IndexTag is recorded when the set of indexed fields of a content type
// changes and its entry_index rows are rebuilt: no response carries it,
// but in-memory indexes built from entry_index (the related ranker's)
// rebuild the type.
func IndexTag(typeKey string) string { return "index:" + typeKey }

// Stats are counters since New, plus a few gauges.
type Stats struct {
	Backend string `json:"backend"` // "memory" or "redis"
	Healthy bool   `json:"healthy"` // false while Redis is unreachable

	Hits          uint64 `json:"hits"`          // reads answered from the cache
	LocalHits     uint64 `json:"local_hits"`    // of Hits, answered from process memory (always all of them for memory)
	Misses        uint64 `json:"misses"`        // reads that found nothing (or could not ask Redis)
	Fills         uint64 `json:"fills"`         // fill calls
	Collapsed     uint64 `json:"collapsed"`     // Fetch calls that waited for another caller's fill
	Stored        uint64 `json:"stored"`        // values stored
	Discarded     uint64 `json:"discarded"`     // filled values not stored because a tag was invalidated meanwhile
	Fallbacks     uint64 `json:"fallbacks"`     // reads served by the fill because Redis was unavailable
	Errors        uint64 `json:"errors"`        // backend errors (Redis)
	Invalidations uint64 `json:"invalidations"` // tags invalidated

	Entries  int `json:"entries"`   // memory: entries held (estimate); redis: -1
	TagIndex int `json:"tag_index"` // memory: (tag, key) pairs in the tag index; redis: -1
}

// backend is one storage implementation.
type backend interface {
	name() string
	// get returns the value; local reports a hit served from process memory.
	get(ctx context.Context, key string) (val []byte, ok, local bool, err error)
	// snapshot returns the invalidation generation to pass to store; it is
	// taken before a fill starts.
	snapshot(ctx context.Context) (uint64, error)
	// store saves the value unless one of tags was invalidated after snap;
	// stored reports whether it did.
	store(ctx context.Context, key string, val []byte, tags []string, ttl time.Duration, snap uint64) (stored bool, err error)
	invalidate(ctx context.Context, tags []string) error
	healthy() bool
	gauges() (entries, tagIndex int)
	close()
}

// Cache is a response cache over a memory or Redis backend. It is safe for
// concurrent use. Values are shared between callers and must not be
// modified.
type Cache struct {
	cfg Config
	b   backend
	sf  singleflight.Group
	log *slog.Logger

	lastWarn atomic.Int64 // unix nanos of the last rate-limited warning

	hits, localHits, misses, fills, collapsed, stored, discarded,
	fallbacks, errs, invalidations atomic.Uint64

	closeOnce sync.Once
}

// New opens a cache: Redis when cfg.RedisURL is set, else memory. An
// unreachable Redis is not an error (the cache starts degraded and
// reconnects); an invalid URL is.
func New(cfg Config) (*Cache, error) {
	cfg.defaults()
	c := &Cache{cfg: cfg, log: cfg.Logger}
	var err error
	if cfg.RedisURL != "" {
		c.b, err = newRedisBackend(cfg, c.warn)
	} else {
		c.b, err = newMemoryBackend(cfg)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Backend names the backend in use: "memory" or "redis".
func (c *Cache) Backend() string { return c.b.name() }

// Close releases the backend. The cache must not be used afterwards.
func (c *Cache) Close() {
	c.closeOnce.Do(c.b.close)
}

// warn logs at most once every WarnEvery.
func (c *Cache) warn(msg string, err error) {
	now := time.Now().UnixNano()
	last := c.lastWarn.Load()
	if last != 0 && now-last < int64(c.cfg.WarnEvery) {
		return
	}
	if c.lastWarn.CompareAndSwap(last, now) {
		c.log.Warn(msg, "component", "cache", "err", err)
	}
}

// lookup reads key; backend errors count, warn, and read as a miss.
func (c *Cache) lookup(ctx context.Context, key string) ([]byte, bool) {
	v, ok, local, err := c.b.get(ctx, key)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			c.fallbacks.Add(1)
			if !errors.Is(err, ErrUnavailable) {
				c.errs.Add(1)
			}
			c.warn("cache unavailable; serving from the database", err)
		}
		return nil, false
	case ok:
		c.hits.Add(1)
		if local {
			c.localHits.Add(1)
		}
		return v, true
	}
	return nil, false
}

// Get returns the cached value of key. Backend trouble reads as a miss.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	v, ok := c.lookup(ctx, key)
	if !ok {
		c.misses.Add(1)
	}
	return v, ok
}

// Set stores val under key with tags, unconditionally (zero ttl:
// DefaultTTL). With Redis down it returns ErrUnavailable (safe to ignore).
func (c *Cache) Set(ctx context.Context, key string, val []byte, tags []string, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = c.cfg.DefaultTTL
	}
	snap, err := c.b.snapshot(ctx)
	if err != nil {
		return c.backendErr(err)
	}
	ok, err := c.b.store(ctx, key, val, cleanTags(tags), ttl, snap)
	if err != nil {
		return c.backendErr(err)
	}
	if ok {
		c.stored.Add(1)
	} else {
		c.discarded.Add(1)
	}
	return nil
}

func (c *Cache) backendErr(err error) error {
	if !errors.Is(err, ErrUnavailable) {
		c.errs.Add(1)
	}
	return err
}

// Fetch returns the value of key, calling fill on a miss and storing its
// result (with its tags) for opts.TTL. Concurrent Fetches of a cold key run
// fill once; the others wait for it (each only as long as its own ctx
// allows). The fill runs with ctx's values but not its cancellation, bounded
// by Config.FillTimeout.
//
// The value is stored only if none of its tags was invalidated between the
// moment the fill started and the store: a fill that read the database
// before a publish committed cannot overwrite the invalidation that followed
// the commit. Backend trouble (Redis down) never makes Fetch fail: the fill's
// value is returned and nothing is stored.
func (c *Cache) Fetch(ctx context.Context, key string, opts FetchOptions, fill FillFunc) ([]byte, error) {
	if v, ok := c.lookup(ctx, key); ok {
		return v, nil
	}
	c.misses.Add(1)
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = c.cfg.DefaultTTL
	}
	leader := false
	ch := c.sf.DoChan(key, func() (any, error) {
		leader = true
		return c.fillAndStore(ctx, key, ttl, fill)
	})
	select {
	case r := <-ch:
		if !leader {
			c.collapsed.Add(1)
		}
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Cache) fillAndStore(ctx context.Context, key string, ttl time.Duration, fill FillFunc) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.FillTimeout)
	defer cancel()
	// A caller that missed just before the previous fill of key finished
	// becomes a new leader: look again before filling.
	if v, ok, _, err := c.b.get(ctx, key); err == nil && ok {
		c.hits.Add(1)
		return v, nil
	}
	snap, snapErr := c.b.snapshot(ctx)
	start := time.Now()
	val, tags, err := safeFill(ctx, fill)
	c.fills.Add(1)
	if errors.Is(err, ErrNoStore) {
		return val, nil
	}
	if err != nil {
		return nil, err
	}
	if snapErr != nil {
		// Redis is down (or was when the fill started): serve, do not store.
		c.warn("cache unavailable; serving from the database", snapErr)
		return val, nil
	}
	if time.Since(start) > c.cfg.FillTimeout {
		// Invalidation marks outlive FillTimeout by a wide margin, not
		// forever: a fill that overran its deadline is not trusted.
		c.discarded.Add(1)
		return val, nil
	}
	ok, err := c.b.store(ctx, key, val, cleanTags(tags), ttl, snap)
	switch {
	case err != nil:
		_ = c.backendErr(err)
		c.warn("cache unavailable; value not stored", err)
	case ok:
		c.stored.Add(1)
	default:
		c.discarded.Add(1)
	}
	return val, nil
}

// safeFill runs fill, turning a panic into an error: the fill runs on a
// singleflight goroutine, where a panic would kill the process.
func safeFill(ctx context.Context, fill FillFunc) (val []byte, tags []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache fill panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fill(ctx)
}

// InvalidateTags drops every value tagged with any of tags, in this
// process's cache (memory) or in Redis and, through client-side tracking,
// in every instance's local copy (redis). It only reaches other memory
// caches through RecordTx and their Relay. With Redis down it returns
// ErrUnavailable and queues the tags; they are applied before caching
// resumes.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) error {
	tags = cleanTags(tags)
	if len(tags) == 0 {
		return nil
	}
	if err := c.b.invalidate(ctx, tags); err != nil {
		return c.backendErr(err)
	}
	c.invalidations.Add(uint64(len(tags)))
	return nil
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	entries, idx := c.b.gauges()
	return Stats{
		Backend:       c.b.name(),
		Healthy:       c.b.healthy(),
		Hits:          c.hits.Load(),
		LocalHits:     c.localHits.Load(),
		Misses:        c.misses.Load(),
		Fills:         c.fills.Load(),
		Collapsed:     c.collapsed.Load(),
		Stored:        c.stored.Load(),
		Discarded:     c.discarded.Load(),
		Fallbacks:     c.fallbacks.Load(),
		Errors:        c.errs.Load(),
		Invalidations: c.invalidations.Load(),
		Entries:       entries,
		TagIndex:      idx,
	}
}

// cleanTags drops empty tags and duplicates, keeping order.
func cleanTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]struct{}, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if _, dup := seen[t]; !dup {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	return out
}
