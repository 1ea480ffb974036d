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
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/preview"
	"github.com/inklingcms/inkling/engine/registry"
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
	Preview  *preview.Signer     // nil: previews disabled
	Webhooks *webhooks.Service   // nil: no webhooks
	Cache    *cache.Cache        // response cache of published content; nil: none
	Plugins  *pluginhost.Manager // plugin endpoints, actions and admin; nil: none
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
	publicCC string // Cache-Control of published responses
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
	var b [6]byte
	_, _ = rand.Read(b[:])
	s.idPrefix = hex.EncodeToString(b[:]) + "-"
	s.publicCC = fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d", int(s.maxAge().Seconds()), int(s.swr().Seconds()))
	s.App = fiber.New(fiber.Config{
		AppName:      "inkling",
		BodyLimit:    d.BodyLimit,
		ErrorHandler: s.errorHandler,
		JSONEncoder:  marshalJSON,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
	})
	s.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c fiber.Ctx, e any) {
		s.log.Error("panic in handler", "path", c.Path(), "panic", e)
	}}))
	s.App.Use(s.requestMeta)
	s.App.Get("/healthz", s.healthz)
	s.App.Get("/readyz", s.readyz)
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
