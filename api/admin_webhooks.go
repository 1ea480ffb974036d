package api

import (
	"strconv"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/webhooks"
)

func (s *Server) bindAdminWebhooks(r fiber.Router) {
	r.Get("/webhooks", s.listWebhooks)
	r.Post("/webhooks", s.createWebhook)
	r.Delete("/webhooks/:id", s.deleteWebhook)
	r.Get("/webhooks/:id/deliveries", s.webhookDeliveries)
}

func (s *Server) listWebhooks(c fiber.Ctx) error {
	ws, err := s.Webhooks.List(c.Context(), principal(c))
	if err != nil {
		return err
	}
	if ws == nil {
		ws = []webhooks.Webhook{}
	}
	return c.JSON(fiber.Map{"items": ws})
}

// createWebhook returns the signing secret once.
func (s *Server) createWebhook(c fiber.Ctx) error {
	var in webhooks.Input
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	w, err := s.Webhooks.Create(c.Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(w)
}

func (s *Server) deleteWebhook(c fiber.Ctx) error {
	if err := s.Webhooks.Delete(c.Context(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) webhookDeliveries(c fiber.Ctx) error {
	limit, _ := strconv.Atoi(c.Query("limit"))
	ds, err := s.Webhooks.Deliveries(c.Context(), principal(c), c.Params("id"), limit)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []webhooks.Delivery{}
	}
	return c.JSON(fiber.Map{"items": ds})
}
