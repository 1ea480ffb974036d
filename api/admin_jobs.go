package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/riverqueue/river/rivertype"
)

// jobView is a background job as admins see it: plugin jobs and event
// deliveries name their plugin and kind.
type jobView struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Plugin      string          `json:"plugin,omitempty"`
	PluginKind  string          `json:"plugin_kind,omitempty"`
	State       string          `json:"state"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Errors      []jobError      `json:"errors"`
	Args        json.RawMessage `json:"args"`
	CreatedAt   time.Time       `json:"created_at"`
	ScheduledAt time.Time       `json:"scheduled_at"`
	FinalizedAt *time.Time      `json:"finalized_at"`
}

type jobError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

func newJobView(r *rivertype.JobRow) jobView {
	v := jobView{ID: r.ID, Kind: r.Kind, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		Args: json.RawMessage(r.EncodedArgs), CreatedAt: r.CreatedAt, ScheduledAt: r.ScheduledAt, FinalizedAt: r.FinalizedAt,
		Errors: []jobError{}}
	var a struct {
		Plugin string `json:"plugin"`
		Kind   string `json:"kind"`
	}
	if json.Unmarshal(r.EncodedArgs, &a) == nil {
		v.Plugin, v.PluginKind = a.Plugin, a.Kind
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, jobError{At: e.At, Attempt: e.Attempt, Error: e.Error})
	}
	return v
}

func (s *Server) bindAdminJobs(r fiber.Router) {
	r.Get("/jobs/failures", s.jobFailures)
	r.Get("/jobs/:id", s.jobGet)
	r.Post("/jobs/:id/retry", s.jobRetry)
}

// jobFailures lists jobs whose last attempt failed: waiting for a retry,
// or given up (discarded after their attempts, or failed permanently).
func (s *Server) jobFailures(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return apperr.Validation("invalid list parameters", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "limit", Code: "out_of_range", Summary: "limit must be a whole number from 1 to 1000"}})
		}
		limit = n
	}
	var kinds []string
	if k := c.Query("kind"); k != "" {
		kinds = append(kinds, k)
	}
	rows, err := s.Jobs.Failures(c.Context(), limit, kinds...)
	if err != nil {
		return err
	}
	plugin, pluginKind := c.Query("plugin"), c.Query("plugin_kind")
	out := []jobView{}
	for _, r := range rows {
		v := newJobView(r)
		if (plugin != "" && v.Plugin != plugin) || (pluginKind != "" && v.PluginKind != pluginKind) {
			continue
		}
		out = append(out, v)
	}
	return c.JSON(itemsOf[jobView]{Items: out})
}

func (s *Server) jobID(c fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.New(apperr.NotFound, "job %q not found", c.Params("id"))
	}
	return id, nil
}

func (s *Server) jobGet(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	id, err := s.jobID(c)
	if err != nil {
		return err
	}
	row, err := s.Jobs.Job(c.Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(newJobView(row))
}

// jobRetry runs a failed job again now (its errors are kept).
func (s *Server) jobRetry(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	id, err := s.jobID(c)
	if err != nil {
		return err
	}
	row, err := s.Jobs.Retry(c.Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(newJobView(row))
}
