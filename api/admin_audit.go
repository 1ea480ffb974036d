package api

import (
	"strconv"

	"github.com/gofiber/fiber/v3"
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
	limit, _ := strconv.Atoi(c.Query("limit"))
	rows, err := audit.List(c.Context(), s.DB, audit.Query{EntryID: c.Query("entry"), Action: c.Query("action"), Before: c.Query("before"), Limit: limit})
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []audit.Entry{}
	}
	return c.JSON(fiber.Map{"items": rows})
}
