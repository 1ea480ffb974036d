package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// Redis layout (P is Config.KeyPrefix):
//
//	P v:<key>  string  the value, with its TTL
//	P t:<tag>  zset    value keys carrying the tag, scored by their expiry
//	                   (ms); expired members are trimmed at every store
//	P g:<tag>  string  epoch of the tag's last invalidation (expires after genTTL)
//	P epoch    string  invalidation epoch: server time in µs, strictly increasing
//	P floor    string  snapshots below it may not store (set after a lost-queue flush)
//
// Race safety: a fill reads the epoch (snapshot) before it starts. The store
// script refuses the value if any of its tags has g > snapshot, i.e. was
// invalidated after the fill started, and the invalidate script sets g and
// deletes the tagged keys in one atomic step. So either the invalidation
// ran before the snapshot (and the fill read committed data), or the store
// sees its mark. Both scripts run atomically on the server, so there is no
// window between the check and the write.

// storeScript: KEYS = value, epoch, floor, n tag zsets, n tag gens;
// ARGV = snapshot, value, ttl ms. Returns 1 when stored.
var storeScript = rueidis.NewLuaScript(`
local snap = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if cur < snap then return 0 end
local floor = tonumber(redis.call('GET', KEYS[3]) or '0')
if snap < floor then return 0 end
local n = (#KEYS - 3) / 2
for i = 1, n do
  local g = redis.call('GET', KEYS[3 + n + i])
  if g and tonumber(g) > snap then return 0 end
end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, n do
  local z = KEYS[3 + i]
  redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
  redis.call('ZADD', z, now + ttl, KEYS[1])
  if redis.call('PTTL', z) < ttl then redis.call('PEXPIRE', z, ttl) end
end
return 1
`)

// invalidateScript: KEYS = epoch, n tag zsets, n tag gens; ARGV = gen TTL
// ms. Returns the number of values deleted.
var invalidateScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local e = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if e <= cur then e = cur + 1 end
local es = string.format('%.0f', e)
redis.call('SET', KEYS[1], es)
local n = (#KEYS - 1) / 2
local deleted = 0
for i = 1, n do
  redis.call('SET', KEYS[1 + n + i], es, 'PX', ARGV[1])
  local z = KEYS[1 + i]
  local members = redis.call('ZRANGE', z, 0, -1)
  for j = 1, #members, 500 do
    deleted = deleted + redis.call('UNLINK', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('UNLINK', z)
end
return deleted
`)

// floorScript raises the floor to a fresh epoch (after a lost-queue flush).
var floorScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local e = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if e <= cur then e = cur + 1 end
local es = string.format('%.0f', e)
redis.call('SET', KEYS[1], es)
redis.call('SET', KEYS[2], es)
return 1
`)

// maxPending bounds the tags queued while Redis is down; beyond it every
// cached value is dropped when Redis is back.
const maxPending = 10000

type clientBox struct{ c rueidis.Client }

type redisBackend struct {
	opt     rueidis.ClientOption
	p       string
	timeout time.Duration
	retry   time.Duration
	ttl     time.Duration // local TTL of a client-side cached miss
	genTTL  time.Duration
	warn    func(string, error)
	log     *slog.Logger

	client atomic.Pointer[clientBox]
	up     atomic.Bool
	window atomic.Pointer[deadlineWindow]

	pmu      sync.Mutex
	pending  map[string]struct{}
	overflow bool

	life   sync.Mutex // guards closed and wg.Add against close
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

func newRedisBackend(cfg Config, warn func(string, error)) (*redisBackend, error) {
	opt, err := rueidis.ParseURL(cfg.RedisURL)
	if err != nil {
		// The parser's message may quote the URL, and with it a password.
		return nil, errors.New("invalid Redis URL (want redis://[user:password@]host:port[/db] or rediss://...)")
	}
	opt.DisableRetry = true // never wait in a retry loop: fall back to the database instead
	opt.CacheSizeEachConn = int(cfg.MaxBytes)
	opt.ClientName = "inkling-cache"
	// One pipelined connection: Redis then sends the tracking invalidation
	// of a key this process just stored before the store's reply, so a
	// cached miss never outlives our own store (with several connections
	// about 10% of fills ran twice).
	opt.PipelineMultiplex = -1
	if opt.Dialer.Timeout == 0 {
		opt.Dialer.Timeout = max(time.Second, 4*cfg.RedisTimeout)
	}
	if opt.ConnWriteTimeout == 0 {
		// A silent connection is declared dead (dropping the client-side
		// cache, whose invalidations it can no longer receive) after this.
		opt.ConnWriteTimeout = max(time.Second, 4*cfg.RedisTimeout)
	}
	b := &redisBackend{
		opt:     opt,
		p:       cfg.KeyPrefix,
		timeout: cfg.RedisTimeout,
		retry:   cfg.RetryEvery,
		ttl:     cfg.DefaultTTL,
		genTTL:  max(10*time.Minute, 4*cfg.FillTimeout),
		warn:    warn,
		log:     cfg.Logger,
		pending: map[string]struct{}{},
		done:    make(chan struct{}),
	}
	if c, err := rueidis.NewClient(opt); err == nil {
		b.client.Store(&clientBox{c})
		b.up.Store(true)
	} else {
		warn("redis is unavailable at start; serving from the database until it answers", err)
		b.startProbe()
	}
	return b, nil
}

func (b *redisBackend) name() string             { return "redis" }
func (b *redisBackend) healthy() bool            { return b.up.Load() }
func (b *redisBackend) gauges() (int, int)       { return -1, -1 }
func (b *redisBackend) valueKey(k string) string { return b.p + "v:" + k }

func (b *redisBackend) close() {
	b.life.Lock()
	if b.closed {
		b.life.Unlock()
		return
	}
	b.closed = true
	close(b.done)
	b.life.Unlock()
	b.wg.Wait()
	if cb := b.client.Load(); cb != nil {
		cb.c.Close()
	}
}

// conn returns the client, or ErrUnavailable while Redis is marked down.
func (b *redisBackend) conn() (rueidis.Client, error) {
	if !b.up.Load() {
		return nil, ErrUnavailable
	}
	cb := b.client.Load()
	if cb == nil {
		return nil, ErrUnavailable
	}
	return cb.c, nil
}

// failed classifies err from a call made with parent's context: a
// connection problem (not a Redis error reply, not the caller giving up)
// marks Redis down. It returns the error to report.
func (b *redisBackend) failed(parent context.Context, err error) error {
	if _, isRedisErr := rueidis.IsRedisErr(err); isRedisErr || parent.Err() != nil {
		return err
	}
	if b.up.CompareAndSwap(true, false) {
		b.warn("redis is unavailable; serving from the database and retrying in the background", err)
		b.startProbe()
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// deadlineWindow is a context with a deadline shared by the reads that
// start within windowSpan of each other: a timer per read would cost more
// than a client-side cache hit itself (about 1 µs against 0.3 µs).
type deadlineWindow struct {
	ctx    context.Context
	cancel context.CancelFunc // runs when the deadline passes; kept for vet
	born   int64
}

const windowSpan = int64(5 * time.Millisecond)

// readCtx returns a context that expires between RedisTimeout-windowSpan
// and RedisTimeout from now. It does not carry the caller's cancellation:
// a read is short, and bounded anyway.
func (b *redisBackend) readCtx() context.Context {
	now := time.Now().UnixNano()
	if w := b.window.Load(); w != nil && now-w.born < windowSpan {
		return w.ctx
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	b.window.Store(&deadlineWindow{ctx: ctx, cancel: cancel, born: now})
	return ctx
}

func (b *redisBackend) get(ctx context.Context, key string) ([]byte, bool, bool, error) {
	c, err := b.conn()
	if err != nil {
		return nil, false, false, err
	}
	res := c.DoCache(b.readCtx(), c.B().Get().Key(b.valueKey(key)).Cache(), b.ttl)
	v, err := res.AsBytes()
	switch {
	case rueidis.IsRedisNil(err):
		return nil, false, false, nil
	case err != nil:
		return nil, false, false, b.failed(ctx, err)
	}
	return v, true, res.IsCacheHit(), nil
}

func (b *redisBackend) snapshot(ctx context.Context) (uint64, error) {
	c, err := b.conn()
	if err != nil {
		return 0, err
	}
	octx := b.readCtx()
	// A client-side cached epoch may be older than the server's, never
	// newer: that only makes the store check stricter.
	s, err := c.DoCache(octx, c.B().Get().Key(b.p+"epoch").Cache(), b.ttl).ToString()
	switch {
	case rueidis.IsRedisNil(err):
		return 0, nil
	case err != nil:
		return 0, b.failed(ctx, err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cache: malformed epoch %q in redis: %w", s, err)
	}
	return n, nil
}

func (b *redisBackend) store(ctx context.Context, key string, val []byte, tags []string, ttl time.Duration, snap uint64) (bool, error) {
	c, err := b.conn()
	if err != nil {
		return false, err
	}
	keys := make([]string, 0, 3+2*len(tags))
	keys = append(keys, b.valueKey(key), b.p+"epoch", b.p+"floor")
	for _, t := range tags {
		keys = append(keys, b.p+"t:"+t)
	}
	for _, t := range tags {
		keys = append(keys, b.p+"g:"+t)
	}
	ms := max(ttl.Milliseconds(), 1)
	octx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	n, err := storeScript.Exec(octx, c, keys, []string{
		strconv.FormatUint(snap, 10), rueidis.BinaryString(val), strconv.FormatInt(ms, 10),
	}).AsInt64()
	if err != nil {
		return false, b.failed(ctx, err)
	}
	return n == 1, nil
}

func (b *redisBackend) invalidate(ctx context.Context, tags []string) error {
	c, err := b.conn()
	if err == nil {
		if err = b.runInvalidate(ctx, c, tags); err != nil {
			err = b.failed(ctx, err)
		}
	}
	if errors.Is(err, ErrUnavailable) {
		b.queue(tags)
	}
	return err
}

func (b *redisBackend) runInvalidate(ctx context.Context, c rueidis.Client, tags []string) error {
	octx, cancel := context.WithTimeout(ctx, max(b.timeout, time.Second))
	defer cancel()
	keys := make([]string, 0, 1+2*len(tags))
	keys = append(keys, b.p+"epoch")
	for _, t := range tags {
		keys = append(keys, b.p+"t:"+t)
	}
	for _, t := range tags {
		keys = append(keys, b.p+"g:"+t)
	}
	return invalidateScript.Exec(octx, c, keys, []string{strconv.FormatInt(b.genTTL.Milliseconds(), 10)}).Error()
}

// queue remembers tags whose invalidation failed because Redis was
// unreachable, to apply before caching resumes.
func (b *redisBackend) queue(tags []string) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	for _, t := range tags {
		if len(b.pending) >= maxPending {
			b.overflow = true
			return
		}
		b.pending[t] = struct{}{}
	}
}

func (b *redisBackend) startProbe() {
	b.life.Lock()
	defer b.life.Unlock()
	if b.closed {
		return
	}
	b.wg.Add(1)
	go b.probe()
}

// probe runs while Redis is down: it reconnects, applies the queued
// invalidations, and then lets reads and writes through again.
func (b *redisBackend) probe() {
	defer b.wg.Done()
	t := time.NewTicker(b.retry)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
		}
		c, err := b.reconnect()
		if err == nil {
			err = b.drain(c)
		}
		if err != nil {
			continue
		}
		b.up.Store(true)
		b.log.Info("redis is available again; caching resumed", "component", "cache")
		// Invalidations queued while the first drain ran.
		if err := b.drain(c); err != nil {
			_ = b.failed(context.Background(), err)
		}
		return
	}
}

// reconnect returns a client that answers PING.
func (b *redisBackend) reconnect() (rueidis.Client, error) {
	cb := b.client.Load()
	if cb == nil {
		c, err := rueidis.NewClient(b.opt)
		if err != nil {
			return nil, err
		}
		cb = &clientBox{c}
		b.client.Store(cb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(b.timeout, time.Second))
	defer cancel()
	if err := cb.c.Do(ctx, cb.c.B().Ping().Build()).Error(); err != nil {
		return nil, err
	}
	return cb.c, nil
}

// drain applies the queued invalidations, or drops every cached value if
// more were lost than the queue holds. What it cannot apply goes back.
func (b *redisBackend) drain(c rueidis.Client) error {
	for {
		b.pmu.Lock()
		if len(b.pending) == 0 && !b.overflow {
			b.pmu.Unlock()
			return nil
		}
		tags := make([]string, 0, len(b.pending))
		for t := range b.pending {
			tags = append(tags, t)
		}
		overflow := b.overflow
		b.pending, b.overflow = map[string]struct{}{}, false
		b.pmu.Unlock()
		var err error
		if overflow {
			err = b.flushAll(c)
		} else {
			for i := 0; i < len(tags) && err == nil; i += 500 {
				err = b.runInvalidate(context.Background(), c, tags[i:min(i+500, len(tags))])
			}
		}
		if err != nil {
			b.queue(tags)
			if overflow {
				b.pmu.Lock()
				b.overflow = true
				b.pmu.Unlock()
			}
			return err
		}
	}
}

// flushAll drops every cached value and raises the floor, for when more
// invalidations were lost than could be queued.
func (b *redisBackend) flushAll(c rueidis.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := floorScript.Exec(ctx, c, []string{b.p + "epoch", b.p + "floor"}, nil).Error(); err != nil {
		return err
	}
	for _, pattern := range []string{b.p + "v:*", b.p + "t:*"} {
		var cursor uint64
		for {
			e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(pattern).Count(1000).Build()).AsScanEntry()
			if err != nil {
				return err
			}
			if len(e.Elements) > 0 {
				if err := c.Do(ctx, c.B().Unlink().Key(e.Elements...).Build()).Error(); err != nil {
					return err
				}
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	return nil
}
