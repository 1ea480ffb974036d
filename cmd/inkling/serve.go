package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/api"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/events"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/pluginjobs"
	"github.com/inklingcms/inkling/engine/preview"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/reporting"
	"github.com/inklingcms/inkling/engine/scheduler"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/webhooks"
	"github.com/inklingcms/inkling/engine/workflow"
	"github.com/urfave/cli/v3"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the delivery API (/api/v1) and the management API (/api/admin/v1)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (use 0.0.0.0:8080 in a container)",
				Sources: cli.EnvVars("INKLING_ADDR")},
			&cli.IntFlag{Name: "body-limit", Value: api.DefaultBodyLimit, Usage: "largest accepted request body in bytes",
				Sources: cli.EnvVars("INKLING_BODY_LIMIT")},
			&cli.StringFlag{Name: "role", Value: "all", Usage: "web (HTTP only), worker (jobs only) or all",
				Sources: cli.EnvVars("INKLING_ROLE")},
			&cli.DurationFlag{Name: "job-timeout", Value: jobs.DefaultJobTimeout, Usage: "longest run of one background job",
				Sources: cli.EnvVars("INKLING_JOB_TIMEOUT")},
			&cli.DurationFlag{Name: "job-rescue-after", Value: jobs.DefaultRescueAfter, Usage: "when a job left running by a dead process is retried (> job-timeout)",
				Sources: cli.EnvVars("INKLING_JOB_RESCUE_AFTER")},
			&cli.DurationFlag{Name: "job-retry-base", Value: time.Second, Usage: "backoff of failed jobs: the n-th retry waits base × n⁴ (1s, 16s, 81s, ...)",
				Sources: cli.EnvVars("INKLING_JOB_RETRY_BASE")},
			&cli.BoolFlag{Name: "cache", Value: true, Usage: "cache published responses (memory, or Redis with INKLING_REDIS_URL)",
				Sources: cli.EnvVars("INKLING_CACHE")},
			&cli.Int64Flag{Name: "cache-size-mb", Value: 64, Usage: "in-memory cache size",
				Sources: cli.EnvVars("INKLING_CACHE_SIZE_MB")},
			&cli.DurationFlag{Name: "cache-ttl", Value: 5 * time.Minute, Usage: "how long a cached response lives without invalidation",
				Sources: cli.EnvVars("INKLING_CACHE_TTL")},
			&cli.StringFlag{Name: "related-ranker", Value: "index", Usage: "how related entries are ranked: index (in memory, kept current) or sql (a query per request)",
				Sources: cli.EnvVars("INKLING_RELATED_RANKER")},
			&cli.StringFlag{Name: "plugins-dir", Usage: "directory of external plugins (executables named inkling-plugin-<name>)",
				Sources: cli.EnvVars("INKLING_PLUGINS_DIR")},
			&cli.DurationFlag{Name: "plugin-timeout", Value: 5 * time.Second, Usage: "deadline of a plugin hook or endpoint call",
				Sources: cli.EnvVars("INKLING_PLUGIN_TIMEOUT")},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, Usage: "how long in-flight requests may take to finish on SIGTERM",
				Sources: cli.EnvVars("INKLING_SHUTDOWN_TIMEOUT")},
		}, mediaFlags()...),
		Action: serve,
	}
}

func serve(ctx context.Context, c *cli.Command) error {
	log, err := newLogger(c, os.Stderr)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if addr := os.Getenv("INKLING_PPROF_ADDR"); addr != "" {
		// Profiling for operators, on a separate (loopback) address only
		// when asked for.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { log.Warn("pprof server stopped", "err", http.ListenAndServe(addr, mux)) }()
		log.Info("pprof listening", "addr", addr)
	}
	role := c.String("role")
	if role != "web" && role != "worker" && role != "all" {
		return fmt.Errorf("--role: want web, worker or all, got %q", role)
	}
	types := registry.New(db)
	if err := types.Load(ctx); err != nil {
		return err
	}
	// Sentry, when INKLING_SENTRY_DSN is set (environment only: the DSN
	// is a credential).
	reporter, err := reporting.New(reporting.Config{DSN: os.Getenv("INKLING_SENTRY_DSN"),
		Environment: os.Getenv("INKLING_SENTRY_ENVIRONMENT"), Release: buildVersion(), Logger: log})
	if err != nil {
		return fmt.Errorf("INKLING_SENTRY_DSN: %w", err)
	}
	if reporter != nil {
		log.Info("error reporting to Sentry on")
		defer reporter.Flush(2 * time.Second)
	}
	var failures jobs.FailureReporter
	if reporter != nil {
		failures = reporter
	}
	queue, err := jobs.New(jobs.Config{Failures: failures, DB: db, DatabaseURL: c.String("database-url"), Log: log, Work: role != "web",
		JobTimeout: c.Duration("job-timeout"), RescueAfter: c.Duration("job-rescue-after"), RetryBase: c.Duration("job-retry-base")})
	if err != nil {
		return err
	}
	bus := events.New(queue)
	sched := scheduler.New(queue, log, 0)
	signer, err := previewSigner(log)
	if err != nil {
		return err
	}

	// The response cache: in memory, or Redis (INKLING_REDIS_URL, from the
	// environment only: it may hold a password). The relay applies
	// invalidations recorded by any instance.
	var respCache *cache.Cache
	var relay *cache.Relay
	if c.Bool("cache") {
		respCache, err = cache.New(cache.Config{RedisURL: os.Getenv("INKLING_REDIS_URL"), MaxBytes: c.Int64("cache-size-mb") << 20,
			DefaultTTL: c.Duration("cache-ttl"), Logger: log})
		if err != nil {
			return fmt.Errorf("response cache: %w", err)
		}
		defer respCache.Close()
		relay = cache.NewRelay(db, respCache, cache.RelayOptions{Logger: log})
		if err := relay.Start(ctx); err != nil {
			return fmt.Errorf("cache relay: %w", err)
		}
		defer relay.Stop()
		log.Info("response cache on", "backend", respCache.Backend())
	}

	authSvc := auth.New(db, nil)
	hooks := webhooks.New(db, authSvc, &webhooks.Options{Log: log})
	bus.AddSink(hooks)
	wf := workflow.New(db, authSvc, &workflow.Options{Events: bus})
	dlv := delivery.New(db, types)

	ranker, rankIndex, err := openRanker(c, db, types, log)
	if err != nil {
		return err
	}
	if rankIndex != nil {
		defer rankIndex.Close()
	}
	plugins := pluginhost.New(pluginhost.Config{DB: db, Types: types, Delivery: dlv, Builtins: builtinCommands(),
		Related: relatedService{Ranker: ranker, Service: dlv},
		Dir:     c.String("plugins-dir"), Logger: log, HostVersion: buildVersion(), CallTimeout: c.Duration("plugin-timeout")})
	pjobs := pluginjobs.New(queue, plugins)
	plugins.SetJobs(pjobs)
	var invalidator media.Invalidator
	if relay != nil {
		plugins.SetCache(relay)
		invalidator = relay
	}
	mediaSvc, err := openMedia(ctx, c, db, authSvc, invalidator, log)
	if err != nil {
		return err
	}
	plugins.SetMedia(pluginMedia{mediaSvc})
	bus.AddSink(pluginjobs.Sink{Host: plugins})
	pluginjobs.NewWorkflowTasks(queue, plugins, wf)

	entryOpts := &entries.Options{PublishGate: wf, Events: bus, Scheduler: sched, Hooks: plugins}
	var local localCaches
	if respCache != nil {
		local = append(local, respCache)
	}
	if rankIndex != nil {
		local = append(local, rankIndex)
	}
	if len(local) > 0 {
		entryOpts.Cache = local
	}
	ents := entries.New(db, types, authSvc, entryOpts)
	sched.SetRunner(ents)
	plugins.SetEntries(ents)
	if err := plugins.Start(ctx); err != nil {
		return fmt.Errorf("error starting plugins: %w", err)
	}
	defer plugins.Stop()
	if n := pjobs.AddPeriodic(); n > 0 {
		log.Info("periodic plugin jobs scheduled", "count", n)
	}

	if err := queue.Start(ctx); err != nil {
		return fmt.Errorf("error starting the job queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.Duration("shutdown-timeout"))
		defer cancel()
		if err := queue.Stop(stopCtx); err != nil {
			log.Warn("job queue did not stop cleanly", "err", err)
		}
	}()
	jobsUI, err := queue.UIHandler("/admin/jobs")
	if err != nil {
		return fmt.Errorf("job queue UI: %w", err)
	}
	srv := api.New(api.Deps{
		JobsUI:       jobsUI,
		DB:           db,
		Types:        types,
		Entries:      ents,
		Workflow:     wf,
		Preview:      signer,
		Webhooks:     hooks,
		Cache:        respCache,
		Plugins:      plugins,
		RelatedIndex: rankIndexStats(rankIndex),
		Ranker:       ranker,
		Media:        mediaSvc,
		Reporter:     reporter,
		Jobs:         queue,
		Delivery:     dlv,
		Auth:         authSvc,
		Log:          log,
		Version:      buildVersion(),
		BodyLimit:    int(c.Int("body-limit")),
	})
	if rankIndex != nil && role != "worker" {
		// Build the related index now rather than on the first rankings
		// (which SQL would answer meanwhile).
		var cts []*contenttypes.ContentType
		for _, t := range types.List() {
			cts = append(cts, &t.ContentType)
		}
		rankIndex.Warm(cts)
	}
	if role == "worker" {
		log.Info("inkling worker running", "database", db.Location, "version", buildVersion())
		<-ctx.Done()
		log.Info("stopping worker; waiting for running jobs")
		return nil
	}
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("error listening on %s: %w", c.String("addr"), err)
	}
	log.Info("inkling serving", "addr", ln.Addr().String(), "role", role, "database", db.Location, "version", buildVersion())
	errc := make(chan error, 1)
	lln := api.LingeringListener(ln)
	go func() {
		errc <- srv.App.Listener(lln, fiber.ListenConfig{DisableStartupMessage: true})
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for in-flight requests", "timeout", c.Duration("shutdown-timeout").String())
	// Connections that never sent a request would hold the shutdown up
	// until the read timeout: close those more than unusedGrace old.
	stopClosing := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if n := lln.CloseUnused(unusedGrace); n > 0 {
				log.Info("closed connections that sent no request", "count", n)
			}
			select {
			case <-stopClosing:
				return
			case <-t.C:
			}
		}
	}()
	err = srv.App.ShutdownWithTimeout(c.Duration("shutdown-timeout"))
	close(stopClosing)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("error shutting down: %w", err)
	}
	log.Info("stopped")
	return nil
}

// unusedGrace is how long a connection may stay open without sending a
// request once the server is shutting down (net/http waits 5 s).
const unusedGrace = 2 * time.Second

// previewSigner signs preview tokens with INKLING_SECRET_KEY (environment
// only: it is a secret). Without it, a random key is used: previews work,
// but only on this process and until it restarts.
func previewSigner(log *slog.Logger) (*preview.Signer, error) {
	key := []byte(os.Getenv("INKLING_SECRET_KEY"))
	if len(key) == 0 {
		log.Warn("INKLING_SECRET_KEY is not set: preview tokens are signed with a random key and stop working on restart; set it (32+ bytes, the same on every instance) in production")
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	s, err := preview.NewSigner(key, nil)
	if err != nil {
		return nil, fmt.Errorf("INKLING_SECRET_KEY: %w", err)
	}
	return s, nil
}

// openRanker returns the related-entries ranker the configuration asks
// for, and the in-memory index when it is that one (for the entries
// service to tell it of this instance's publishes, and to Close).
func openRanker(c *cli.Command, db *store.DB, types *registry.Registry, log *slog.Logger) (related.Ranker, *related.Index, error) {
	switch name := c.String("related-ranker"); name {
	case "index":
		x := related.NewIndex(db, types, related.IndexOptions{Logger: log})
		return x, x, nil
	case "sql":
		return related.New(db, types), nil, nil
	default:
		return nil, nil, fmt.Errorf("INKLING_RELATED_RANKER: %q is neither index nor sql", name)
	}
}

// rankIndexStats is x for api.Deps, or a nil interface when the SQL
// ranker is configured (a nil *related.Index in an interface is not nil).
func rankIndexStats(x *related.Index) interface{ Stats() related.IndexStats } {
	if x == nil {
		return nil
	}
	return x
}

// localCaches tells every in-process consumer of change tags (the
// response cache, the related index) of this instance's commits.
type localCaches []entries.LocalCache

func (l localCaches) InvalidateTags(ctx context.Context, tags ...string) error {
	var errs []error
	for _, c := range l {
		if err := c.InvalidateTags(ctx, tags...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// relatedService serves the plugins' RelatedEntries: the engine's ranker
// for the ranking, the delivery service for the rendered entries.
type relatedService struct {
	related.Ranker
	*delivery.Service
}
