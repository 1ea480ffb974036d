package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/redis/rueidis"
)

// Two caches on one Redis stand for two serve processes.
func TestRedisTwoInstances(t *testing.T) {
	ctx := context.Background()
	srv := testdb.Redis(t)
	a := newRedis(t, srv, Config{})
	b := newRedis(t, srv, Config{})

	fa := &filler{val: "A", tags: []string{"entry:7"}}
	fb := &filler{val: "B", tags: []string{"entry:7"}}
	if v := mustFetch(t, a, "page", FetchOptions{}, fa); v != "A1" {
		t.Fatalf("a = %q", v)
	}
	if v := mustFetch(t, b, "page", FetchOptions{}, fb); v != "A1" || fb.calls.Load() != 0 {
		t.Fatalf("b = %q after %d fills: the value filled by a was not served", v, fb.calls.Load())
	}
	// b now holds the value in process memory (client-side caching).
	before := b.Stats().LocalHits
	mustFetch(t, b, "page", FetchOptions{}, fb)
	if b.Stats().LocalHits == before {
		t.Fatalf("second read on b was not a client-side hit: %+v", b.Stats())
	}

	// Invalidation on a reaches b's local copy through Redis tracking.
	start := time.Now()
	if err := a.InvalidateTags(ctx, "entry:7"); err != nil {
		t.Fatal(err)
	}
	call := time.Since(start)
	eventually(t, time.Second, "b sees a's invalidation", func() bool {
		_, ok := b.Get(ctx, "page")
		return !ok
	})
	t.Logf("invalidation on instance a seen by instance b %s after the call started (InvalidateTags itself: %s)",
		time.Since(start).Round(time.Microsecond), call.Round(time.Microsecond))
	if v := mustFetch(t, b, "page", FetchOptions{}, fb); v != "B1" {
		t.Fatalf("b refill = %q", v)
	}
	eventually(t, time.Second, "a sees b's new value", func() bool {
		v, ok := a.Get(ctx, "page")
		return ok && string(v) == "B1"
	})

	// A value b holds locally is replaced when a overwrites it.
	mustFetch(t, b, "page", FetchOptions{}, fb)
	if err := a.Set(ctx, "page", []byte("A-set"), []string{"entry:7"}, 0); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, time.Second, "b sees a's overwrite", func() bool {
		v, ok := b.Get(ctx, "page")
		return ok && string(v) == "A-set"
	})
	t.Logf("overwrite on a seen by b after %s", took.Round(time.Microsecond))
}

// Redis going away mid-use costs no request an error; when it is back on
// the same port caching resumes by itself, and invalidations made during
// the outage are applied first.
func TestRedisOutageFallsBackAndRecovers(t *testing.T) {
	ctx := context.Background()
	srv := testdb.Redis(t)
	c := newRedis(t, srv, Config{RetryEvery: 50 * time.Millisecond})
	f := &filler{val: "v", tags: []string{"entry:1"}}
	mustFetch(t, c, "k", FetchOptions{}, f)
	eventually(t, time.Second, "cached", func() bool { _, ok := c.Get(ctx, "k"); return ok })

	srv.Kill()
	// The first reads may still come from the connection's local cache
	// until the client notices the closed connection; none may fail.
	var slowest time.Duration
	eventually(t, 2*time.Second, "fallback to fill", func() bool {
		start := time.Now()
		before := f.calls.Load()
		v, err := c.Fetch(ctx, "k", FetchOptions{}, f.fill)
		slowest = max(slowest, time.Since(start))
		if err != nil {
			t.Fatalf("Fetch with Redis down: %v", err)
		}
		if len(v) == 0 {
			t.Fatal("empty value")
		}
		return f.calls.Load() > before
	})
	const n = 200
	start := time.Now()
	for range n {
		if _, err := c.Fetch(ctx, "k", FetchOptions{}, f.fill); err != nil {
			t.Fatal(err)
		}
	}
	perReq := time.Since(start) / n
	st := c.Stats()
	if st.Healthy || st.Fallbacks == 0 {
		t.Fatalf("stats while down: %+v", st)
	}
	t.Logf("Redis down: slowest detecting Fetch %s, then %s per Fetch (fill included); fallbacks=%d",
		slowest.Round(time.Microsecond), perReq, st.Fallbacks)
	if perReq > 5*time.Millisecond {
		t.Fatalf("a dead Redis costs %s per request", perReq)
	}
	// An invalidation while down is refused (the relay retries it) and
	// queued for when Redis is back.
	if err := c.InvalidateTags(ctx, "entry:queued"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("InvalidateTags while down: %v", err)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, 3*time.Second, "healthy again", func() bool { return c.Stats().Healthy })
	t.Logf("caching resumed %s after Redis restarted", took.Round(time.Millisecond))
	hits := c.Stats().Hits
	mustFetch(t, c, "k2", FetchOptions{}, f)
	eventually(t, time.Second, "cached again", func() bool {
		_, ok := c.Get(ctx, "k2")
		return ok
	})
	if c.Stats().Hits <= hits {
		t.Fatalf("hits did not increase after recovery: %+v", c.Stats())
	}
	// The queued invalidation ran before caching resumed.
	raw := rawRedis(t, srv)
	if err := raw.Do(ctx, raw.B().Get().Key(DefaultKeyPrefix+"g:entry:queued").Build()).Error(); err != nil {
		t.Fatalf("queued invalidation not applied: %v", err)
	}
}

// A Redis that is down when the process starts is not an error either.
func TestRedisDownAtStart(t *testing.T) {
	ctx := context.Background()
	srv := testdb.Redis(t)
	srv.Kill()
	c := newRedis(t, srv, Config{RetryEvery: 50 * time.Millisecond})
	f := &filler{val: "v"}
	if v := mustFetch(t, c, "k", FetchOptions{}, f); v != "v1" || c.Stats().Healthy {
		t.Fatalf("v = %q, stats %+v", v, c.Stats())
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "connected", func() bool { return c.Stats().Healthy })
	mustFetch(t, c, "k", FetchOptions{}, f)
	eventually(t, time.Second, "cached", func() bool { _, ok := c.Get(ctx, "k"); return ok })
}

// A Redis restarted empty (no persistence) while a fill runs: the fill's
// snapshot is newer than the fresh epoch, so it is not trusted.
func TestRedisEpochResetRejectsInflightFill(t *testing.T) {
	ctx := context.Background()
	srv := testdb.Redis(t)
	c := newRedis(t, srv, Config{})
	if err := c.InvalidateTags(ctx, "x"); err != nil { // epoch > 0
		t.Fatal(err)
	}
	rb := c.b.(*redisBackend)
	snap, err := rb.snapshot(ctx)
	if err != nil || snap == 0 {
		t.Fatalf("snapshot %d, %v", snap, err)
	}
	raw := rawRedis(t, srv)
	if err := raw.Do(ctx, raw.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	ok, err := rb.store(ctx, "k", []byte("v"), []string{"y"}, time.Minute, snap)
	if err != nil || ok {
		t.Fatalf("store after reset = %v, %v; want refused", ok, err)
	}
}

func rawRedis(t testing.TB, srv *testdb.RedisServer) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestInvalidRedisURL(t *testing.T) {
	_, err := New(Config{RedisURL: "redis://user:s3cret@[bad", Logger: quiet})
	if err == nil {
		t.Fatal("no error")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

// More invalidations than the queue holds while Redis is down: everything
// cached is dropped, and fills that started before are refused (floor).
func TestRedisQueueOverflowFlushes(t *testing.T) {
	ctx := context.Background()
	srv := testdb.Redis(t)
	c := newRedis(t, srv, Config{RetryEvery: 50 * time.Millisecond})
	srv.Kill()
	eventually(t, 2*time.Second, "marked down", func() bool {
		_, _ = c.Fetch(ctx, "k", FetchOptions{}, (&filler{val: "v"}).fill)
		return !c.Stats().Healthy
	})
	tags := make([]string, maxPending+1)
	for i := range tags {
		tags[i] = fmt.Sprint("entry:", i)
	}
	if err := c.InvalidateTags(ctx, tags...); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "healthy", func() bool { return c.Stats().Healthy })
	raw := rawRedis(t, srv)
	floor, err := raw.Do(ctx, raw.B().Get().Key(DefaultKeyPrefix+"floor").Build()).AsInt64()
	if err != nil || floor == 0 {
		t.Fatalf("floor = %d, %v", floor, err)
	}
	rb := c.b.(*redisBackend)
	if ok, err := rb.store(ctx, "old", []byte("v"), nil, time.Minute, uint64(floor-1)); ok || err != nil {
		t.Fatalf("store below the floor = %v, %v", ok, err)
	}
	rb.pmu.Lock()
	defer rb.pmu.Unlock()
	if len(rb.pending) != 0 || rb.overflow {
		t.Fatalf("queue not drained: %d, %v", len(rb.pending), rb.overflow)
	}
}
