package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/preview"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/engine/reporting"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/webhooks"
	"github.com/inklingcms/inkling/engine/workflow"
)

// Deps are the services the HTTP surfaces use. cmd/inkling wires them.
type Deps struct {
	DB       *store.DB
	Types    *registry.Registry
	Entries  *entries.Service
	Delivery *delivery.Service
	Auth     *auth.Service
	Workflow *workflow.Service
	Preview  *preview.Signer   // nil: previews disabled
	Webhooks *webhooks.Service // nil: no webhooks
	Cache    *cache.Cache      // response cache of published content; nil: none
	// RelatedIndex is the in-memory related ranker, reported by
	// /api/admin/v1/system; nil: related entries are ranked in SQL.
	RelatedIndex interface{ Stats() related.IndexStats }
	// Ranker serves the related lists plugins declare
	// (pluginv1.RelatedListSpec); nil: they answer 500.
	Ranker   related.Ranker
	Plugins  *pluginhost.Manager // plugin endpoints, actions and admin; nil: none
	Media    *media.Service      // uploads, /media/ and renditions; nil: none
	Jobs     *jobs.Jobs          // failed-job listing and retry; nil: none
	Reporter *reporting.Reporter // Sentry: panics and 5xx; nil: none
	JobsUI   http.Handler        // River UI, mounted at /admin/jobs for admins; nil: none
	Log      *slog.Logger
	Version  string
	// BodyLimit caps request bodies in bytes (default 4 MiB).
	BodyLimit int
	// CacheMaxAge and CacheStaleWhileRevalidate set Cache-Control on
	// published responses (defaults 60 s and 5 min).
	CacheMaxAge               time.Duration
	CacheStaleWhileRevalidate time.Duration
}

// Server is the HTTP server.
type Server struct {
	Deps
	App      *fiber.App
	log      *slog.Logger
	openapi  openAPICache
	idPrefix string
	idSeq    atomic.Uint64
	publicCC string    // Cache-Control of published responses
	itemBufs sync.Pool // *[]byte: related lists' rendered entries
	adminDoc struct {
		once sync.Once
		body []byte
		err  error
	}
}

// DefaultBodyLimit is the largest request body accepted by default.
const DefaultBodyLimit = 4 << 20

// New assembles every route.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.BodyLimit <= 0 {
		d.BodyLimit = DefaultBodyLimit
	}
	s := &Server{Deps: d, log: d.Log}
	s.itemBufs.New = func() any { return new([]byte) }
	var b [6]byte
	_, _ = rand.Read(b[:])
	s.idPrefix = hex.EncodeToString(b[:]) + "-"
	s.publicCC = fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d", int(s.maxAge().Seconds()), int(s.swr().Seconds()))
	// Media uploads may be larger than any other body: the server reads
	// up to the media limit, and bodyLimit holds every other route to
	// BodyLimit.
	appLimit := d.BodyLimit
	if d.Media != nil && int(d.Media.MaxBytes())+(1<<20) > appLimit {
		appLimit = int(d.Media.MaxBytes()) + 1<<20
	}
	s.App = fiber.New(fiber.Config{
		AppName:      "inkling",
		BodyLimit:    appLimit,
		ErrorHandler: s.errorHandler,
		JSONEncoder:  marshalJSON,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
	})
	s.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c fiber.Ctx, e any) {
		s.log.Error("panic in handler", "path", c.Path(), "panic", e)
		c.Locals(localPanicked, true)
		s.Reporter.Panic(e, s.reportRequest(c, fiber.StatusInternalServerError))
	}}))
	s.App.Use(s.requestMeta)
	if appLimit > d.BodyLimit {
		s.App.Use(s.bodyLimit)
	}
	s.App.Get("/healthz", s.healthz)
	s.App.Get("/readyz", s.readyz)
	if s.Media != nil {
		s.App.Get("/media/*", s.mediaFile())
	}
	s.bindDelivery(s.App.Group("/api/v1"))
	admin := s.App.Group("/api/admin/v1")
	s.bindAuth(admin)
	admin.Get("/openapi.json", s.adminOpenAPI)
	admin.Get("/docs", s.docsHandler("Inkling management API", "/api/admin/v1/openapi.json"))
	admin.Use(s.authenticate)
	s.bindAdminTypes(admin)
	s.bindAdminEntries(admin)
	s.bindAdminUsers(admin)
	s.bindAdminAudit(admin)
	s.bindAdminWorkflows(admin)
	s.bindAdminSchedules(admin)
	s.bindAdminSystem(admin)
	if s.Media != nil {
		s.bindAdminMedia(admin)
	}
	if s.Jobs != nil {
		s.bindAdminJobs(admin)
	}
	admin.Delete("/auth/session", s.endSession)
	if s.Webhooks != nil {
		s.bindAdminWebhooks(admin)
	}
	if s.Plugins != nil {
		s.bindAdminPlugins(admin)
	}
	if d.JobsUI != nil {
		// River's UI for admins (browser session or bearer token).
		s.App.Use("/admin/jobs", s.authenticate, func(c fiber.Ctx) error {
			if err := s.requireAdmin(c); err != nil {
				return err
			}
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Next()
		}, adaptor.HTTPHandler(d.JobsUI))
	}
	return s
}

// marshalJSON encodes responses without HTML escaping (rendered rich text
// is full of markup; JSON needs no escaping of < > &).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// requestMeta assigns a request id and writes one access log line.
func (s *Server) requestMeta(c fiber.Ctx) error {
	start := time.Now()
	id := c.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		// A random per-process prefix and a counter: unique, and far
		// cheaper per request than reading the system's random source.
		id = s.idPrefix + strconv.FormatUint(s.idSeq.Add(1), 36)
	}
	c.Locals(localRequestID, id)
	c.Set("X-Request-Id", id)
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now so the status is logged.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	if s.log.Enabled(c.Context(), slog.LevelDebug) || c.Response().StatusCode() >= 500 {
		s.log.Log(c.Context(), slog.LevelDebug, "request", "method", c.Method(), "path", c.Path(),
			"status", c.Response().StatusCode(), "duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id)
	}
	return nil
}

type localKey int

const (
	localRequestID localKey = iota
	localPrincipal
)

func requestID(c fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

func (s *Server) healthz(c fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.Version})
}

func (s *Server) readyz(c fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusServiceUnavailable).JSON(Problem{Type: "about:blank", Title: "Service Unavailable",
			Status: fiber.StatusServiceUnavailable, Code: "unavailable", Detail: "the database does not answer"}, ProblemContentType)
	}
	return c.JSON(fiber.Map{"status": "ready", "database": string(s.DB.Backend)})
}

// bodyLimit answers 413 to a body over BodyLimit on any route but a media
// upload (which the media service limits).
func (s *Server) bodyLimit(c fiber.Ctx) error {
	n := c.Request().Header.ContentLength()
	if n < 0 {
		n = len(c.Request().Body())
	}
	if n > s.BodyLimit && (c.Method() != fiber.MethodPost || c.Path() != "/api/admin/v1/media") {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the body is %d bytes; the limit is %d", n, s.BodyLimit))
	}
	return c.Next()
}

// localPanicked marks a request whose panic was reported already.
const localPanicked = "inkling.panicked"

// reportRequest describes the request for an error report: method, path
// without the query string, request id and principal; never headers,
// cookies or bodies.
func (s *Server) reportRequest(c fiber.Ctx, status int) reporting.Request {
	return reporting.Request{Method: c.Method(), Path: c.Path(), RequestID: requestID(c), Status: status, Principal: principal(c).ID}
}
