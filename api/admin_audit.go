package api

import (
	"strconv"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
)

func (s *Server) bindAdminAudit(r fiber.Router) {
	r.Get("/audit", s.listAudit)
}

func (s *Server) listAudit(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActAuditRead, ""); err != nil {
		return err
	}
	limit := 0
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return apperr.Validation("invalid limit", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "limit", Code: contenttypes.CodeOutOfRange, Summary: "expected an integer from 1 to 500"}})
		}
		limit = n
	}
	rows, err := audit.List(c.Context(), s.DB, audit.Query{EntryID: c.Query("entry"), Action: c.Query("action"), Before: c.Query("before"), Limit: limit})
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []audit.Entry{}
	}
	return c.JSON(fiber.Map{"items": rows})
}
