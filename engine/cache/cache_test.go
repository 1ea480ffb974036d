package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newMemory returns a memory cache closed at the end of the test.
func newMemory(t testing.TB, cfg Config) *Cache {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// newRedis returns a cache on srv, closed at the end of the test.
func newRedis(t testing.TB, srv *testdb.RedisServer, cfg Config) *Cache {
	t.Helper()
	cfg.RedisURL = srv.URL()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if c.Backend() != "redis" {
		t.Fatalf("backend = %s", c.Backend())
	}
	return c
}

// backends runs fn against a memory cache and a Redis cache.
func backends(t *testing.T, cfg Config, fn func(t *testing.T, c *Cache)) {
	t.Run("memory", func(t *testing.T) { fn(t, newMemory(t, cfg)) })
	t.Run("redis", func(t *testing.T) { fn(t, newRedis(t, testdb.Redis(t), cfg)) })
}

// filler counts its calls and returns "<prefix><n>" tagged with tags.
type filler struct {
	calls atomic.Int64
	val   string
	tags  []string
	err   error
	delay time.Duration
}

func (f *filler) fill(ctx context.Context) ([]byte, []string, error) {
	n := f.calls.Add(1)
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	return fmt.Appendf(nil, "%s%d", f.val, n), f.tags, f.err
}

func mustFetch(t testing.TB, c *Cache, key string, opts FetchOptions, f *filler) string {
	t.Helper()
	v, err := c.Fetch(context.Background(), key, opts, f.fill)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", key, err)
	}
	return string(v)
}

// eventually polls cond every 5 ms for up to d and reports how long it took.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func TestFetchSemantics(t *testing.T) {
	ctx := context.Background()
	backends(t, Config{}, func(t *testing.T, c *Cache) {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T)
		}{
			{"miss then hit", func(t *testing.T) {
				f := &filler{val: "a", tags: []string{"entry:1"}}
				if v := mustFetch(t, c, "k1", FetchOptions{}, f); v != "a1" {
					t.Fatalf("first = %q", v)
				}
				// Redis: a miss read through the client-side cache is
				// invalidated by tracking right after the store; allow it
				// a moment.
				eventually(t, time.Second, "hit", func() bool {
					v, ok := c.Get(ctx, "k1")
					return ok && string(v) == "a1"
				})
				if v := mustFetch(t, c, "k1", FetchOptions{}, f); v != "a1" || f.calls.Load() != 1 {
					t.Fatalf("second = %q after %d fills", v, f.calls.Load())
				}
			}},
			{"ttl expires", func(t *testing.T) {
				f := &filler{val: "t"}
				mustFetch(t, c, "k2", FetchOptions{TTL: 100 * time.Millisecond}, f)
				eventually(t, 2*time.Second, "expiry", func() bool {
					_, ok := c.Get(ctx, "k2")
					return !ok
				})
				if v := mustFetch(t, c, "k2", FetchOptions{TTL: time.Minute}, f); v != "t2" {
					t.Fatalf("after expiry = %q", v)
				}
			}},
			{"invalidate by tag", func(t *testing.T) {
				a := &filler{val: "x", tags: []string{"entry:A", "type:passage"}}
				b := &filler{val: "y", tags: []string{"entry:B"}}
				mustFetch(t, c, "ka", FetchOptions{}, a)
				mustFetch(t, c, "kb", FetchOptions{}, b)
				eventually(t, time.Second, "both cached", func() bool {
					_, okA := c.Get(ctx, "ka")
					_, okB := c.Get(ctx, "kb")
					return okA && okB
				})
				if err := c.InvalidateTags(ctx, "type:passage", "entry:unknown"); err != nil {
					t.Fatal(err)
				}
				eventually(t, time.Second, "ka invalidated", func() bool {
					_, ok := c.Get(ctx, "ka")
					return !ok
				})
				if _, ok := c.Get(ctx, "kb"); !ok {
					t.Fatal("kb (other tag) was invalidated")
				}
				if v := mustFetch(t, c, "ka", FetchOptions{}, a); v != "x2" {
					t.Fatalf("refill = %q", v)
				}
			}},
			{"fill error is not cached", func(t *testing.T) {
				boom := errors.New("boom")
				f := &filler{val: "e", err: boom}
				if _, err := c.Fetch(ctx, "ke", FetchOptions{}, f.fill); !errors.Is(err, boom) {
					t.Fatalf("err = %v", err)
				}
				f.err = nil
				if v := mustFetch(t, c, "ke", FetchOptions{}, f); v != "e2" {
					t.Fatalf("after error = %q", v)
				}
			}},
			{"ErrNoStore returns without caching", func(t *testing.T) {
				f := &filler{val: "n", err: ErrNoStore}
				if v := mustFetch(t, c, "kn", FetchOptions{}, f); v != "n1" {
					t.Fatalf("v = %q", v)
				}
				if v := mustFetch(t, c, "kn", FetchOptions{}, f); v != "n2" {
					t.Fatalf("v = %q (was stored)", v)
				}
			}},
			{"panicking fill is an error", func(t *testing.T) {
				_, err := c.Fetch(ctx, "kp", FetchOptions{}, func(context.Context) ([]byte, []string, error) { panic("oops") })
				if err == nil {
					t.Fatal("no error")
				}
			}},
			{"replace with other tags", func(t *testing.T) {
				if err := c.Set(ctx, "kr", []byte("old"), []string{"r:old", "r:both"}, 0); err != nil {
					t.Fatal(err)
				}
				if err := c.Set(ctx, "kr", []byte("new"), []string{"r:new", "r:both"}, 0); err != nil {
					t.Fatal(err)
				}
				eventually(t, time.Second, "new value", func() bool {
					v, ok := c.Get(ctx, "kr")
					return ok && string(v) == "new"
				})
				if c.Backend() == "memory" {
					// Redis keeps the key in r:old's set until it expires:
					// invalidating r:old would drop the new value too
					// (harmless over-invalidation).
					if err := c.InvalidateTags(ctx, "r:old"); err != nil {
						t.Fatal(err)
					}
					if v, ok := c.Get(ctx, "kr"); !ok || string(v) != "new" {
						t.Fatalf("old tag invalidated the new value: %q %v", v, ok)
					}
				}
				if err := c.InvalidateTags(ctx, "r:new"); err != nil {
					t.Fatal(err)
				}
				eventually(t, time.Second, "kr invalidated by its new tag", func() bool {
					_, ok := c.Get(ctx, "kr")
					return !ok
				})
			}},
		} {
			t.Run(tc.name, tc.run)
		}
	})
}

func TestConcurrentMissesCollapse(t *testing.T) {
	backends(t, Config{}, func(t *testing.T, c *Cache) {
		f := &filler{val: "v", tags: []string{"entry:1"}, delay: 100 * time.Millisecond}
		const n = 100
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				<-start
				v, err := c.Fetch(context.Background(), "cold", FetchOptions{}, f.fill)
				if err == nil && string(v) != "v1" {
					err = fmt.Errorf("got %q", v)
				}
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		st := c.Stats()
		if got := f.calls.Load(); got != 1 {
			t.Fatalf("fill ran %d times for %d concurrent misses", got, n)
		}
		if st.Collapsed+st.Hits < n-1 {
			t.Fatalf("stats %+v: want %d waits or hits", st, n-1)
		}
		t.Logf("%d concurrent Fetches: fills=%d collapsed=%d hits=%d", n, st.Fills, st.Collapsed, st.Hits)
	})
}

// A fill that read the database before an invalidation must not be stored
// after it.
func TestFillRacingInvalidationIsNotStored(t *testing.T) {
	ctx := context.Background()
	backends(t, Config{}, func(t *testing.T, c *Cache) {
		started, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int64
		fill := func(context.Context) ([]byte, []string, error) {
			if calls.Add(1) == 1 {
				close(started)
				<-release // "reading the database" while a publish commits
				return []byte("stale"), []string{"entry:42", "type:t"}, nil
			}
			return []byte("fresh"), []string{"entry:42", "type:t"}, nil
		}
		done := make(chan string)
		go func() {
			v, err := c.Fetch(ctx, "race", FetchOptions{}, fill)
			if err != nil {
				t.Error(err)
			}
			done <- string(v)
		}()
		<-started
		if err := c.InvalidateTags(ctx, "entry:42"); err != nil {
			t.Fatal(err)
		}
		close(release)
		if v := <-done; v != "stale" {
			t.Fatalf("racing fetch got %q", v)
		}
		if st := c.Stats(); st.Discarded != 1 {
			t.Fatalf("discarded = %d, want 1", st.Discarded)
		}
		v, err := c.Fetch(ctx, "race", FetchOptions{}, fill)
		if err != nil || string(v) != "fresh" {
			t.Fatalf("after invalidation: %q, %v (the stale value was stored)", v, err)
		}
		// A fill that starts after the invalidation stores normally.
		eventually(t, time.Second, "fresh cached", func() bool {
			v, ok := c.Get(ctx, "race")
			return ok && string(v) == "fresh"
		})
	})
}

func TestMemoryTagIndexStaysBounded(t *testing.T) {
	ctx := context.Background()
	c := newMemory(t, Config{MaxBytes: 256 << 10})
	mb := c.b.(*memoryBackend)
	val := make([]byte, 1024)
	const n = 20000
	for i := range n {
		tags := []string{fmt.Sprintf("entry:%d", i), "type:all", fmt.Sprintf("shard:%d", i%7)}
		if err := c.Set(ctx, fmt.Sprintf("k%d", i), val, tags, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	mb.c.CleanUp()
	st := c.Stats()
	// Each entry weighs ~1.3 KB, so about 200 fit.
	if st.Entries > 300 || st.Entries == 0 {
		t.Fatalf("entries = %d, want bounded by MaxBytes", st.Entries)
	}
	if st.TagIndex != 3*st.Entries {
		t.Fatalf("tag index holds %d pairs for %d entries (want exactly 3 each)", st.TagIndex, st.Entries)
	}
	mb.mu.Lock()
	tags := len(mb.index)
	mb.mu.Unlock()
	if tags > st.Entries+1+7 {
		t.Fatalf("index has %d tags for %d entries", tags, st.Entries)
	}
	t.Logf("after %d inserts: %d entries, %d (tag,key) pairs, %d tags, weight %d B", n, st.Entries, st.TagIndex, tags, mb.c.WeightedSize())

	// Expiry empties the index too.
	for i := range 50 {
		if err := c.Set(ctx, fmt.Sprintf("short%d", i), val[:10], []string{"short"}, 30*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.InvalidateTags(ctx, "type:all"); err != nil {
		t.Fatal(err)
	}
	// otter's timer wheel removes expired entries (they are invisible to
	// reads at once) with a granularity of about a second.
	took := eventually(t, 5*time.Second, "expired entries leave the index", func() bool {
		mb.c.CleanUp()
		st := c.Stats()
		return st.TagIndex == 0 && st.Entries == 0
	})
	t.Logf("expired entries left the index after %s", took.Round(time.Millisecond))
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.index) != 0 {
		t.Fatalf("index keeps %d empty tags", len(mb.index))
	}
}

// Concurrent fills, sets and invalidations of overlapping keys and tags
// leave the index exactly consistent with the cache (run with -race).
func TestMemoryIndexConsistentUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	c := newMemory(t, Config{MaxBytes: 64 << 10})
	mb := c.b.(*memoryBackend)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := fmt.Sprintf("k%d", (i*7+w)%300)
				tags := []string{fmt.Sprintf("t%d", i%13), fmt.Sprintf("u%d", (i+w)%5)}
				switch i % 5 {
				case 0:
					_ = c.InvalidateTags(ctx, tags[0])
				case 1:
					_ = c.Set(ctx, key, make([]byte, 200), tags, time.Minute)
				default:
					_, _ = c.Fetch(ctx, key, FetchOptions{}, func(context.Context) ([]byte, []string, error) {
						return make([]byte, 100), tags, nil
					})
				}
			}
		})
	}
	wg.Wait()
	mb.c.CleanUp()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	pairs := 0
	for tag, keys := range mb.index {
		for k, e := range keys {
			pairs++
			got, ok := mb.c.GetIfPresent(k)
			if !ok || got != e {
				t.Fatalf("index %s → %s points to an entry the cache does not hold", tag, k)
			}
		}
	}
	live := 0
	for k, e := range mb.c.All() {
		live++
		for _, tag := range e.tags {
			if mb.index[tag][k] != e {
				t.Fatalf("cached %s misses index tag %s", k, tag)
			}
		}
	}
	if pairs != mb.pairs {
		t.Fatalf("pairs counter %d, index %d", mb.pairs, pairs)
	}
	t.Logf("%d live entries, %d index pairs", live, pairs)
}

// The caller that started a fill may give up; the fill still completes
// for the others and is stored.
func TestFillOutlivesCancelledLeader(t *testing.T) {
	c := newMemory(t, Config{})
	release := make(chan struct{})
	fill := func(ctx context.Context) ([]byte, []string, error) {
		<-release
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		return []byte("v"), nil, nil
	}
	lctx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() { _, err := c.Fetch(lctx, "k", FetchOptions{}, fill); leaderErr <- err }()
	time.Sleep(20 * time.Millisecond)
	follower := make(chan string)
	go func() {
		v, err := c.Fetch(context.Background(), "k", FetchOptions{}, fill)
		if err != nil {
			t.Error(err)
		}
		follower <- string(v)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader err = %v", err)
	}
	close(release)
	if v := <-follower; v != "v" {
		t.Fatalf("follower = %q", v)
	}
	if v, ok := c.Get(context.Background(), "k"); !ok || string(v) != "v" {
		t.Fatal("value not stored")
	}
}
