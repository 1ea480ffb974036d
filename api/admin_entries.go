package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/preview"
)

func (s *Server) bindAdminEntries(r fiber.Router) {
	r.Get("/entries", s.listEntries)
	r.Post("/entries", s.createEntry)
	r.Get("/entries/:id", s.getEntry)
	r.Put("/entries/:id", s.saveEntry)
	r.Delete("/entries/:id", s.deleteEntry)
	r.Get("/entries/:id/revisions", s.listRevisions)
	r.Get("/entries/:id/revisions/:rev", s.getRevision)
	r.Post("/entries/:id/publish", s.publishEntry)
	r.Post("/entries/:id/unpublish", s.unpublishEntry)
	r.Post("/entries/:id/move", s.moveEntry)
	r.Post("/entries/:id/revert", s.revertEntry)
	r.Get("/entries/:id/diff", s.diffEntry)
	r.Post("/entries/:id/lock", s.lockEntry)
	r.Delete("/entries/:id/lock", s.unlockEntry)
	r.Post("/entries/:id/preview", s.previewToken)
}

type entryList struct {
	Items     []entries.Entry `json:"items"`
	NextAfter *string         `json:"next_after"`
}

func (s *Server) listEntries(c fiber.Ctx) error {
	p := entries.ListParams{Type: c.Query("type"), Parent: c.Query("parent"), After: c.Query("after")}
	if p.Type == "" {
		return apperr.Validation("missing type", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "type", Code: contenttypes.CodeRequired, Summary: "the query parameter type is required"}})
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return apperr.Validation("invalid limit", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "limit", Code: contenttypes.CodeOutOfRange, Summary: "expected an integer from 1 to 200"}})
		}
		p.Limit = n
	}
	items, err := s.Entries.List(c.Context(), principal(c), p)
	if err != nil {
		return err
	}
	out := entryList{Items: items}
	if out.Items == nil {
		out.Items = []entries.Entry{}
	}
	limit := p.Limit
	if limit == 0 {
		limit = 50
	}
	if len(items) == limit {
		last := items[len(items)-1].ID
		out.NextAfter = &last
	}
	return c.JSON(out)
}

func (s *Server) createEntry(c fiber.Ctx) error {
	var in entries.CreateInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := s.Entries.Create(c.Context(), principal(c), in)
	if err != nil {
		return err
	}
	c.Location("/api/admin/v1/entries/" + d.ID)
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) getEntry(c fiber.Ctx) error {
	d, err := s.Entries.Get(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) saveEntry(c fiber.Ctx) error {
	var in entries.SaveInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := s.Entries.Save(c.Context(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) deleteEntry(c fiber.Ctx) error {
	if err := s.Entries.Delete(c.Context(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listRevisions(c fiber.Ctx) error {
	revs, err := s.Entries.Revisions(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": revs})
}

func (s *Server) getRevision(c fiber.Ctx) error {
	rev, err := s.Entries.Revision(c.Context(), principal(c), c.Params("id"), c.Params("rev"))
	if err != nil {
		return err
	}
	return c.JSON(rev)
}

// optionalBody decodes a body when there is one (publish takes an optional
// revision id).
func optionalBody(c fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	return decodeBody(c, v)
}

func (s *Server) publishEntry(c fiber.Ctx) error {
	var in entries.PublishInput
	if err := optionalBody(c, &in); err != nil {
		return err
	}
	d, err := s.Entries.Publish(c.Context(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) unpublishEntry(c fiber.Ctx) error {
	d, err := s.Entries.Unpublish(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) moveEntry(c fiber.Ctx) error {
	var in entries.MoveInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	d, err := s.Entries.Move(c.Context(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type revertRequest struct {
	RevisionID string `json:"revision_id"`
}

func (s *Server) revertEntry(c fiber.Ctx) error {
	var in revertRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.RevisionID == "" {
		return apperr.Validation("missing revision", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "revision_id", Code: contenttypes.CodeRequired, Summary: "the revision to revert to is required"}})
	}
	d, err := s.Entries.Revert(c.Context(), principal(c), c.Params("id"), in.RevisionID)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// diffEntry compares two revisions: ?from=<id>|live&to=<id>|latest
// (default live → latest: what publishing would change).
func (s *Server) diffEntry(c fiber.Ctx) error {
	d, err := s.Entries.Compare(c.Context(), principal(c), c.Params("id"), c.Query("from"), c.Query("to"))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type lockRequest struct {
	TTLSeconds int64 `json:"ttl_seconds,omitempty"`
}

func (s *Server) lockEntry(c fiber.Ctx) error {
	var in lockRequest
	if err := optionalBody(c, &in); err != nil {
		return err
	}
	if in.TTLSeconds < 0 || in.TTLSeconds > int64(entries.MaxLockTTL/time.Second) {
		return apperr.Validation("invalid ttl", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "ttl_seconds", Code: contenttypes.CodeOutOfRange, Summary: "expected 0 (default 30 minutes) to 86400"}})
	}
	d, err := s.Entries.Lock(c.Context(), principal(c), c.Params("id"), time.Duration(in.TTLSeconds)*time.Second)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) unlockEntry(c fiber.Ctx) error {
	d, err := s.Entries.Unlock(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

type previewRequest struct {
	RevisionID string `json:"revision_id,omitempty"` // default: the latest revision at view time
	TTLSeconds int64  `json:"ttl_seconds,omitempty"` // default 1 hour, max 7 days
}

type previewResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	URL       string    `json:"url"`
}

// previewToken issues a signed, short-lived token that lets the delivery
// API show this entry's draft (or one revision).
func (s *Server) previewToken(c fiber.Ctx) error {
	var in previewRequest
	if err := optionalBody(c, &in); err != nil {
		return err
	}
	ttl := time.Duration(in.TTLSeconds) * time.Second
	if in.TTLSeconds == 0 {
		ttl = preview.DefaultTTL
	}
	if ttl <= 0 || ttl > preview.MaxTTL {
		return apperr.Validation("invalid ttl", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "ttl_seconds", Code: contenttypes.CodeOutOfRange, Summary: "expected 1 to 604800 seconds"}})
	}
	if s.Preview == nil {
		return apperr.New(apperr.Unavailable, "previews are not configured on this server")
	}
	d, err := s.Entries.Get(c.Context(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	if in.RevisionID != "" {
		if _, err := s.Entries.Revision(c.Context(), principal(c), d.ID, in.RevisionID); err != nil {
			return err
		}
	}
	tok, exp := s.Preview.Sign(preview.Claims{EntryID: d.ID, RevisionID: in.RevisionID}, ttl)
	return c.Status(fiber.StatusCreated).JSON(previewResponse{Token: tok, ExpiresAt: exp.UTC(),
		URL: "/api/v1/content/" + d.TypeKey + "/" + d.ID + "?preview=" + tok})
}
