package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// Defaults applied by New.
const (
	DefaultQueue       = river.QueueDefault
	DefaultMaxWorkers  = 10
	DefaultStopTimeout = 30 * time.Second
	DefaultJobTimeout  = time.Minute
	DefaultRescueAfter = 10 * time.Minute
	// MinPollInterval is River's FetchCooldown: the poll interval may not be
	// shorter.
	MinPollInterval = 100 * time.Millisecond
)

// Config configures the job subsystem.
type Config struct {
	// DB is the engine's database. Inserts go through its *sql.DB so they can
	// join the engine's transactions. Required.
	DB *store.DB
	// DatabaseURL is the postgres:// URL of DB. Required on PostgreSQL when
	// Work is true: the working client has its own pgx pool (LISTEN/NOTIFY).
	DatabaseURL string
	// Log receives River's logs and the subsystem's own. Nil means
	// slog.Default().
	Log *slog.Logger
	// Work runs workers in this process (serve --role worker|all). Without
	// it the process only inserts jobs.
	Work bool
	// Queues maps queue names to their maximum concurrent workers in this
	// process. Nil means {"default": 10}.
	Queues map[string]int
	// PollInterval is how often idle workers look for jobs when no
	// notification arrives (River's FetchPollInterval). Zero means River's
	// default (1 s); otherwise it must be at least MinPollInterval.
	PollInterval time.Duration
	// StopTimeout is how long Stop lets running jobs finish before their
	// contexts are cancelled (River's SoftStopTimeout). Zero means
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// JobTimeout bounds one job's run (workers may override it); zero means
	// DefaultJobTimeout.
	JobTimeout time.Duration
	// RescueAfter is when a job still "running" is considered abandoned (its
	// worker died: kill -9, lost node) and made available again. It must be
	// longer than any job's timeout. Zero means DefaultRescueAfter. River
	// checks every 30 s, so recovery takes up to RescueAfter + 30 s.
	RescueAfter time.Duration
	// RetryBase scales the backoff of a failed job: the retry after the
	// n-th failure waits RetryBase × n⁴ (±10%), River's curve. Zero means
	// one second (1 s, 16 s, 81 s, 4 min 16 s, ...); a test or a
	// development setup may shorten it.
	RetryBase time.Duration
	// Failures, when set, is told of every failed attempt (Sentry).
	Failures FailureReporter
}

// FailureReporter is told of failed job attempts (*reporting.Reporter).
type FailureReporter interface {
	JobFailure(err error, job *rivertype.JobRow, final bool)
}

// errorHandler passes job failures to a FailureReporter and leaves the
// retry decision to River.
type errorHandler struct{ r FailureReporter }

func (h errorHandler) HandleError(_ context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	var cancel *rivertype.JobCancelError
	h.r.JobFailure(err, job, job.Attempt >= job.MaxAttempts || errors.As(err, &cancel))
	return nil
}

func (h errorHandler) HandlePanic(_ context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.r.JobFailure(fmt.Errorf("panic: %v\n%s", v, trace), job, job.Attempt >= job.MaxAttempts)
	return nil
}

// Jobs is the job subsystem of one process: an insert-only River client on
// the engine's database, plus, when Config.Work is set, a working client.
type Jobs struct {
	cfg      Config
	log      *slog.Logger
	workers  *river.Workers
	periodic []*river.PeriodicJob

	mu       sync.Mutex
	started  bool
	stopped  bool
	inserter *river.Client[*sql.Tx] // riverdatabasesql or riversqlite on cfg.DB
	worker   stopper                // nil unless cfg.Work
	runCtx   context.Context        // lives from Start to Stop (River UI services)
	closers  []func()
}

// stopper is the part of *river.Client[TTx] that Stop needs, for either
// driver's transaction type.
type stopper interface {
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// New checks cfg and returns an unstarted Jobs. It does no I/O. Register
// workers and add periodic jobs, then call Start.
func New(cfg Config) (*Jobs, error) {
	if cfg.DB == nil {
		return nil, errors.New("jobs: Config.DB is required")
	}
	switch cfg.DB.Backend {
	case store.Postgres:
		if cfg.Work && cfg.DatabaseURL == "" {
			return nil, errors.New("jobs: Config.DatabaseURL is required on PostgreSQL when Work is set")
		}
	case store.SQLite:
		if cfg.Work && cfg.DB.Location == "" {
			return nil, errors.New("jobs: Config.DB.Location (the SQLite file) is required when Work is set")
		}
	default:
		return nil, fmt.Errorf("jobs: unsupported database backend %q", cfg.DB.Backend)
	}
	if cfg.PollInterval != 0 && cfg.PollInterval < MinPollInterval {
		return nil, fmt.Errorf("jobs: Config.PollInterval must be at least %s (River's fetch cooldown), got %s", MinPollInterval, cfg.PollInterval)
	}
	if cfg.StopTimeout < 0 {
		return nil, errors.New("jobs: Config.StopTimeout cannot be negative")
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.RescueAfter == 0 {
		cfg.RescueAfter = DefaultRescueAfter
	}
	if cfg.RescueAfter <= cfg.JobTimeout {
		return nil, fmt.Errorf("jobs: Config.RescueAfter (%s) must be longer than JobTimeout (%s)", cfg.RescueAfter, cfg.JobTimeout)
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if len(cfg.Queues) == 0 {
		cfg.Queues = map[string]int{DefaultQueue: DefaultMaxWorkers}
	}
	for name, n := range cfg.Queues {
		if n < 1 || n > river.QueueNumWorkersMax {
			return nil, fmt.Errorf("jobs: queue %q: max workers must be between 1 and %d, got %d", name, river.QueueNumWorkersMax, n)
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Jobs{cfg: cfg, log: log, workers: river.NewWorkers()}, nil
}

// Register adds the worker for job args T. Register every worker in every
// role, before Start: inserts are checked against the registered kinds, so a
// job that no process could work is refused at insert time. It panics on a
// second worker for the same kind, an invalid kind, or after Start, like
// river.AddWorker.
func Register[T river.JobArgs](j *Jobs, w river.Worker[T]) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		panic("jobs: Register called after Start")
	}
	river.AddWorker(j.workers, w)
}

// AddPeriodic adds a periodic job. Its kind must be registered. Periodic jobs
// are enqueued by the elected leader among the processes that work jobs, so
// they run once per schedule however many workers run; in a process without
// Work they are ignored. It panics after Start.
func (j *Jobs) AddPeriodic(p *river.PeriodicJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		panic("jobs: AddPeriodic called after Start")
	}
	j.periodic = append(j.periodic, p)
}

// Start builds the insert client and, when Config.Work is set, opens the
// working client's connections and starts working jobs. Insert and InsertTx
// work from here on. ctx bounds start-up only: the workers run until Stop.
func (j *Jobs) Start(ctx context.Context) (err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return errors.New("jobs: already started")
	}
	defer func() {
		if err != nil {
			j.closeAll()
		}
	}()

	db := j.cfg.DB
	sqldb := db.DB.DB // the engine's *sql.DB under bun
	switch db.Backend {
	case store.Postgres:
		j.inserter, err = river.NewClient(riverdatabasesql.New(sqldb), j.riverConfig(false))
	default:
		j.inserter, err = river.NewClient(riversqlite.New(sqldb), j.riverConfig(false))
	}
	if err != nil {
		return fmt.Errorf("error creating the job insert client: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j.closers = append(j.closers, cancel)

	if j.cfg.Work {
		if err := j.startWorker(ctx, runCtx); err != nil {
			return err
		}
	}
	j.runCtx = runCtx
	j.started = true
	return nil
}

func (j *Jobs) startWorker(ctx, runCtx context.Context) error {
	cfg := j.riverConfig(true)
	switch j.cfg.DB.Backend {
	case store.Postgres:
		pcfg, err := pgxpool.ParseConfig(j.cfg.DatabaseURL)
		if err != nil {
			// pgx's error may quote the URL; never echo a password.
			return errors.New("jobs: invalid postgres URL in Config.DatabaseURL")
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return fmt.Errorf("error creating the job worker pool: %w", err)
		}
		j.closers = append(j.closers, pool.Close)
		if err := pool.Ping(ctx); err != nil {
			return fmt.Errorf("error connecting the job worker pool to postgres %s:%d/%s: %w",
				pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Database, err)
		}
		c, err := river.NewClient(riverpgxv5.New(pool), cfg)
		if err != nil {
			return fmt.Errorf("error creating the job worker client: %w", err)
		}
		if err := c.Start(runCtx); err != nil {
			return fmt.Errorf("error starting the job workers: %w", err)
		}
		j.worker = c
	default:
		wdb, err := openSQLiteWorkerDB(ctx, j.cfg.DB.Location)
		if err != nil {
			return err
		}
		j.closers = append(j.closers, func() { _ = wdb.Close() })
		c, err := river.NewClient(riversqlite.New(wdb), cfg)
		if err != nil {
			return fmt.Errorf("error creating the job worker client: %w", err)
		}
		if err := c.Start(runCtx); err != nil {
			return fmt.Errorf("error starting the job workers: %w", err)
		}
		j.worker = c
	}
	j.log.Info("job workers started", "backend", string(j.cfg.DB.Backend), "queues", j.cfg.Queues)
	return nil
}

// riverConfig is the River configuration of the insert client (work=false)
// or the working client.
func (j *Jobs) riverConfig(work bool) *river.Config {
	cfg := &river.Config{
		ID:                clientID(),
		Logger:            j.log,
		Workers:           j.workers,
		FetchPollInterval: j.cfg.PollInterval,
		SoftStopTimeout:   j.cfg.StopTimeout,
		JobTimeout:        j.cfg.JobTimeout,
		// A job left "running" by a dead process is retried after this.
		RescueStuckJobsAfter: j.cfg.RescueAfter,
		RetryPolicy:          backoff{base: j.cfg.RetryBase},
	}
	if j.cfg.Failures != nil {
		cfg.ErrorHandler = errorHandler{r: j.cfg.Failures}
	}
	if work {
		cfg.Queues = make(map[string]river.QueueConfig, len(j.cfg.Queues))
		for name, n := range j.cfg.Queues {
			cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		cfg.PeriodicJobs = j.periodic
	}
	return cfg
}

// clientID is unique per River client: River uses it for leader election
// and job attribution, and its default (host + start time in microseconds)
// can collide for two clients created at once in one process.
func clientID() string {
	host, _ := os.Hostname()
	host = strings.NewReplacer(".", "_", "-", "_", ":", "_").Replace(host)
	if len(host) > 60 {
		host = host[:60]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Stop stops working jobs gracefully: no new job is fetched, and running
// jobs get Config.StopTimeout to finish before their contexts are cancelled.
// River makes a job interrupted this way available again, to this or another
// process, without counting the attempt or recording an error. Stop then
// closes the worker's connections. If ctx ends first, running jobs are
// cancelled at once and Stop returns ctx's error. Stop is safe to call more
// than once and before Start.
func (j *Jobs) Stop(ctx context.Context) error {
	// The lock is not held while waiting: running jobs may still insert
	// follow-up jobs (inserts keep working after Stop).
	j.mu.Lock()
	if !j.started || j.stopped {
		j.mu.Unlock()
		return nil
	}
	j.stopped = true
	worker, closers := j.worker, j.closers
	j.closers = nil
	j.mu.Unlock()

	var err error
	if worker != nil {
		if err = worker.Stop(ctx); err != nil {
			j.log.Warn("job workers did not stop in time; cancelling running jobs", "err", err)
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = worker.StopAndCancel(hctx)
			cancel()
			err = fmt.Errorf("error stopping the job workers: %w", err)
		} else {
			j.log.Info("job workers stopped")
		}
	}
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	return err
}

func (j *Jobs) closeAll() {
	for i := len(j.closers) - 1; i >= 0; i-- {
		j.closers[i]()
	}
	j.closers = nil
}

// client returns the insert client, or an error before Start.
func (j *Jobs) client() (*river.Client[*sql.Tx], error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		return nil, errors.New("jobs: not started (call Start first)")
	}
	return j.inserter, nil
}

// backoff is River's retry curve (n⁴ after the n-th failure) scaled by
// base, with ±10% jitter so that jobs failing together do not retry
// together.
type backoff struct{ base time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	base := b.base
	if base <= 0 {
		base = time.Second
	}
	// Errors, not attempts, count failures: snoozes do not add to them.
	n := max(len(job.Errors)+1, 1)
	mult := math.Pow(float64(n), 4)
	d := time.Duration(math.Min(float64(base)*mult, float64(24*time.Hour)))
	var r [8]byte
	_, _ = rand.Read(r[:])
	jitter := (float64(binary.LittleEndian.Uint64(r[:])%2001)/1000 - 1) * 0.1 // -0.1 .. +0.1
	return time.Now().UTC().Add(d + time.Duration(float64(d)*jitter))
}
