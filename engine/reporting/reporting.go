// Package reporting sends errors to Sentry (getsentry/sentry-go): panics
// and 5xx answers with their request, and failed background jobs. Events
// go out asynchronously through a bounded queue with a short HTTP
// timeout, so a Sentry that refuses connections or hangs never slows or
// breaks a request: events are dropped instead. Nothing here is global:
// the server holds one *Reporter (nil when no DSN is configured; every
// method is then a no-op).
package reporting

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/riverqueue/river/rivertype"
)

// Config configures a Reporter.
type Config struct {
	// DSN is the Sentry project's DSN (INKLING_SENTRY_DSN: a secret, from
	// the environment only).
	DSN         string
	Environment string
	Release     string
	// Timeout bounds one delivery to Sentry (default 5s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Reporter sends events to Sentry.
type Reporter struct {
	hub *sentry.Hub
	log *slog.Logger
}

// New returns a Reporter, or nil (and no error) when cfg.DSN is empty.
func New(cfg Config) (*Reporter, error) {
	if cfg.DSN == "" {
		return nil, nil
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: cfg.DSN, Environment: cfg.Environment, Release: cfg.Release,
		// No cookies, headers or bodies: they may hold tokens and
		// personal data. The request's method, URL and id are attached
		// explicitly.
		SendDefaultPII:   false,
		AttachStacktrace: true,
		HTTPClient:       &http.Client{Timeout: cfg.Timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	return &Reporter{hub: sentry.NewHub(client, sentry.NewScope()), log: cfg.Logger}, nil
}

// Request describes the HTTP request an event happened in. Query strings
// are dropped: they may carry preview tokens.
type Request struct {
	Method    string
	Path      string
	RequestID string
	Status    int
	Principal string // who made the request (token or user id), if known
}

// RequestError reports an error answered with a 5xx.
func (r *Reporter) RequestError(err error, req Request) {
	if r == nil || err == nil {
		return
	}
	r.hub.WithScope(func(scope *sentry.Scope) {
		setRequest(scope, req)
		r.hub.CaptureException(err)
	})
}

// Panic reports a recovered panic in a request handler.
func (r *Reporter) Panic(v any, req Request) {
	if r == nil {
		return
	}
	r.hub.WithScope(func(scope *sentry.Scope) {
		setRequest(scope, req)
		scope.SetLevel(sentry.LevelFatal)
		r.hub.Recover(v)
	})
}

// JobFailure reports a failed attempt of a background job. Failures that
// will be retried are warnings; the last one (or a permanent one) is an
// error. Events are tagged and grouped by the job's kind and tags (plugin
// jobs carry "plugin-<name>" and "<name>-<kind>").
func (r *Reporter) JobFailure(err error, job *rivertype.JobRow, final bool) {
	if r == nil || err == nil || job == nil {
		return
	}
	r.hub.WithScope(func(scope *sentry.Scope) {
		scope.SetTag("job.kind", job.Kind)
		if len(job.Tags) > 0 {
			scope.SetTag("job.tags", strings.Join(job.Tags, ","))
		}
		scope.SetContext("job", sentry.Context{"id": job.ID, "kind": job.Kind, "tags": job.Tags, "attempt": job.Attempt,
			"max_attempts": job.MaxAttempts, "final": final})
		if !final {
			scope.SetLevel(sentry.LevelWarning)
		}
		// Group by kind and tags, not by message (which carries ids).
		scope.SetFingerprint(append([]string{"job", job.Kind, errorType(err)}, job.Tags...))
		r.hub.CaptureException(err)
	})
}

// Flush waits up to timeout for queued events to be sent; it reports
// whether the queue emptied.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r == nil {
		return true
	}
	return r.hub.Flush(timeout)
}

func setRequest(scope *sentry.Scope, req Request) {
	scope.SetTag("http.method", req.Method)
	if req.Status != 0 {
		scope.SetTag("http.status_code", fmt.Sprint(req.Status))
	}
	if req.RequestID != "" {
		scope.SetTag("request_id", req.RequestID)
	}
	if req.Principal != "" {
		scope.SetUser(sentry.User{ID: req.Principal})
	}
	path, _, _ := strings.Cut(req.Path, "?")
	scope.SetContext("request", sentry.Context{"method": req.Method, "url": path})
	scope.AddEventProcessor(func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
		ev.Request = &sentry.Request{Method: req.Method, URL: path}
		return ev
	})
}

func errorType(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}
