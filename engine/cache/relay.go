package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// recordLockKey is the PostgreSQL transaction-scoped advisory lock that
// orders cache_invalidations inserts ("inkcache"): see RecordTx.
const recordLockKey int64 = 0x696e6b6361636865

// invalidationRow is a row of cache_invalidations.
type invalidationRow struct {
	bun.BaseModel `bun:"table:cache_invalidations"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Tags          []string  `bun:"tags,notnull"` // JSON array
	CreatedAt     time.Time `bun:"created_at,notnull"`
}

// RecordTx records, inside the caller's transaction, that the tags must be
// invalidated on every instance once it commits: a rolled-back transaction
// invalidates nothing, a committed one is seen by every Relay even if this
// process crashes right after the commit. Call it in the publish,
// unpublish, move and delete transactions, preferably as their last
// statement: on PostgreSQL it takes a transaction-scoped advisory lock, so
// that rows become visible in id order (a Relay tailing by id then never
// skips a row that committed late); the lock is held until commit.
//
// tx should be a bun.Tx. Given a *bun.DB or *store.DB, RecordTx opens its
// own transaction.
func RecordTx(ctx context.Context, tx bun.IDB, tags ...string) error {
	tags = cleanTags(tags)
	if len(tags) == 0 {
		return nil
	}
	switch db := tx.(type) {
	case *store.DB:
		return db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return RecordTx(ctx, tx, tags...) })
	case *bun.DB:
		return db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error { return RecordTx(ctx, tx, tags...) })
	}
	if tx.Dialect().Name() == dialect.PG {
		if _, err := tx.NewRaw("SELECT pg_advisory_xact_lock(?)", recordLockKey).Exec(ctx); err != nil {
			return fmt.Errorf("error locking cache_invalidations: %w", err)
		}
	}
	row := &invalidationRow{Tags: tags, CreatedAt: time.Now().UTC()}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return fmt.Errorf("error recording cache invalidation: %w", err)
	}
	return nil
}

// Invalidator is what a Relay invalidates: *Cache.
type Invalidator interface {
	InvalidateTags(ctx context.Context, tags ...string) error
}

// RelayOptions tune a Relay; zero values pick the defaults.
type RelayOptions struct {
	// Poll is how often the table is read. Default 200 ms.
	Poll time.Duration
	// Retention is how long rows are kept. Default 1 h.
	Retention time.Duration
	// PruneEvery is how often this relay deletes expired rows. Default 1 min.
	PruneEvery time.Duration
	// Batch bounds the rows applied per query. Default 500.
	Batch int
	// Logger receives warnings; nil: slog.Default().
	Logger *slog.Logger
}

// Relay tails cache_invalidations and applies new rows to a cache. Every
// serve process runs one. It starts at the current end of the table (a
// fresh process has a cold cache and needs no replay). When the cache
// refuses an invalidation (Redis down), the relay retries the same rows at
// every poll until it succeeds.
type Relay struct {
	db   *store.DB
	inv  Invalidator
	opts RelayOptions
	log  *slog.Logger

	pollMu    sync.Mutex // one Poll at a time
	cursor    atomic.Int64
	applied   atomic.Uint64
	lastPrune time.Time
	lastWarn  time.Time

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// NewRelay returns a relay from db to inv; Start runs it.
func NewRelay(db *store.DB, inv Invalidator, opts RelayOptions) *Relay {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Retention <= 0 {
		opts.Retention = time.Hour
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Relay{db: db, inv: inv, opts: opts, log: opts.Logger}
}

// Start reads the current end of the table and starts tailing it in the
// background. It fails when the table cannot be read (migrations missing,
// database down). ctx only bounds Start itself; Stop ends the relay.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("cache relay already started")
	}
	var end int64
	if err := r.db.NewRaw("SELECT COALESCE(MAX(id), 0) FROM cache_invalidations").Scan(ctx, &end); err != nil {
		return fmt.Errorf("error reading cache_invalidations: %w", err)
	}
	r.cursor.Store(end)
	r.lastPrune = time.Now()
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done, r.started = cancel, make(chan struct{}), true
	go r.run(runCtx)
	return nil
}

// Stop ends the relay and waits for it. It is safe to call more than once,
// and without Start.
func (r *Relay) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Applied counts the rows applied since Start.
func (r *Relay) Applied() uint64 { return r.applied.Load() }

func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.Poll(ctx); err != nil && ctx.Err() == nil {
			r.warn("cache relay: invalidations are delayed", err)
		}
		if time.Since(r.lastPrune) >= r.opts.PruneEvery {
			r.lastPrune = time.Now()
			if err := r.prune(ctx); err != nil && ctx.Err() == nil {
				r.warn("cache relay: error pruning cache_invalidations", err)
			}
		}
	}
}

func (r *Relay) warn(msg string, err error) {
	if time.Since(r.lastWarn) < 30*time.Second {
		return
	}
	r.lastWarn = time.Now()
	r.log.Warn(msg, "err", err)
}

// Poll applies the rows recorded since the last poll. The background loop
// calls it; a caller that needs pending invalidations applied now may too.
func (r *Relay) Poll(ctx context.Context) error {
	r.pollMu.Lock()
	defer r.pollMu.Unlock()
	for {
		var rows []invalidationRow
		err := r.db.NewSelect().Model(&rows).
			Where("id > ?", r.cursor.Load()).
			OrderExpr("id ASC").
			Limit(int64(r.opts.Batch)).
			Scan(ctx)
		if err != nil {
			return fmt.Errorf("error reading cache_invalidations: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		var tags []string
		for _, row := range rows {
			tags = append(tags, row.Tags...)
		}
		if err := r.inv.InvalidateTags(ctx, tags...); err != nil {
			return err // the cursor stays: the same rows are retried
		}
		r.cursor.Store(rows[len(rows)-1].ID)
		r.applied.Add(uint64(len(rows)))
		if len(rows) < r.opts.Batch {
			return nil
		}
	}
}

// prune deletes rows older than Retention. Any instance may; they race
// harmlessly.
func (r *Relay) prune(ctx context.Context) error {
	_, err := r.db.NewDelete().Model((*invalidationRow)(nil)).
		Where("created_at < ?", time.Now().UTC().Add(-r.opts.Retention)).
		Exec(ctx)
	return err
}

// InvalidateTags invalidates tags on every instance outside a transaction
// (e.g. a plugin's InvalidateCache call): it records a row for the other
// instances' relays and applies it to this relay's cache at once. Once the
// row is recorded the invalidation is certain (relays retry until the cache
// accepts it), so a failure of the immediate local step is not reported.
// It satisfies pluginhost.CacheInvalidator.
func (r *Relay) InvalidateTags(ctx context.Context, tags []string) error {
	if err := RecordTx(ctx, r.db, tags...); err != nil {
		return err
	}
	_ = r.inv.InvalidateTags(ctx, tags...)
	return nil
}
