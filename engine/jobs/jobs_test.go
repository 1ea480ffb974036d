package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// pollInterval is River's minimum; it bounds how long a test waits for a
// job when a notification is missed.
const pollInterval = jobs.MinPollInterval

// backend opens a fresh database migrated by the engine and by Migrate, and
// returns it with its URL (empty for SQLite).
type backend struct {
	name string
	open func(t *testing.T) (*store.DB, string)
}

var backends = []backend{
	{"sqlite", func(t *testing.T) (*store.DB, string) {
		t.Helper()
		db := testdb.SQLite(t)
		migrateJobs(t, db)
		return db, ""
	}},
	{"postgres", func(t *testing.T) (*store.DB, string) {
		t.Helper()
		url := testdb.PostgresURL(t)
		db := openURL(t, url)
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		migrateJobs(t, db)
		return db, url
	}},
}

func openURL(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{URL: url})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func migrateJobs(t *testing.T, db *store.DB) {
	t.Helper()
	if err := jobs.Migrate(context.Background(), db); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
}

// testLog shows River's warnings and errors with -v, and nothing otherwise
// (failing-job tests log errors on purpose).
func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newJobs returns an unstarted Jobs with test timings; edit adjusts cfg.
func newJobs(t *testing.T, db *store.DB, url string, edit func(*jobs.Config)) *jobs.Jobs {
	t.Helper()
	cfg := jobs.Config{
		DB:           db,
		DatabaseURL:  url,
		Log:          testLog(),
		Work:         true,
		PollInterval: pollInterval,
		StopTimeout:  5 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	j, err := jobs.New(cfg)
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	return j
}

// start starts j and stops it when the test ends.
func start(t *testing.T, j *jobs.Jobs) {
	t.Helper()
	if err := j.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tally counts how often each key was worked.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func newTally() *tally { return &tally{n: map[string]int{}} }

func (c *tally) add(key string) {
	c.mu.Lock()
	c.n[key]++
	c.mu.Unlock()
}

func (c *tally) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func (c *tally) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}
