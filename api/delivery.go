package api

import (
	"net/url"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/delivery"
)

func (s *Server) bindDelivery(r fiber.Router) {
	r.Get("/openapi.json", s.openAPI)
	r.Get("/content/:type", s.deliveryList)
	r.Get("/content/:type/:idOrSlug", s.deliveryGet)
}

func rawQuery(c fiber.Ctx) (url.Values, error) {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, "malformed query string: "+err.Error())
	}
	return q, nil
}

func (s *Server) deliveryList(c fiber.Ctx) error {
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	lq, err := delivery.ParseListQuery(c.Params("type"), q)
	if err != nil {
		return err
	}
	page, err := s.Delivery.List(c.Context(), lq)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) deliveryGet(c fiber.Ctx) error {
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	gq, err := delivery.ParseGetQuery(c.Params("type"), c.Params("idOrSlug"), q)
	if err != nil {
		return err
	}
	item, err := s.Delivery.Get(c.Context(), gq)
	if err != nil {
		return err
	}
	return c.JSON(item)
}
