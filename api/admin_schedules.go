package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/entries"
)

func (s *Server) bindAdminSchedules(r fiber.Router) {
	r.Post("/entries/:id/schedule", s.createSchedule)
	r.Get("/schedules", s.listSchedules)
	r.Delete("/schedules/:id", s.cancelSchedule)
}

func (s *Server) createSchedule(c fiber.Ctx) error {
	var in entries.ScheduleInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	sc, err := s.Entries.Schedule(c.Context(), principal(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(sc)
}

// listSchedules: upcoming (pending) schedules first, by time; then recent
// finished ones. ?entry=ID filters; ?pending=true hides finished ones.
func (s *Server) listSchedules(c fiber.Ctx) error {
	list, err := s.Entries.Schedules(c.Context(), principal(c), c.Query("entry"), c.Query("pending") == "true")
	if err != nil {
		return err
	}
	if list == nil {
		list = []entries.Schedule{}
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) cancelSchedule(c fiber.Ctx) error {
	if err := s.Entries.CancelSchedule(c.Context(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
