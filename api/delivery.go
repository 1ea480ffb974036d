package api

import (
	"net/url"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/apperr"
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
	token := q.Get("preview")
	q.Del("preview")
	if h := c.Get("X-Inkling-Preview"); h != "" {
		token = h
	}
	gq, err := delivery.ParseGetQuery(c.Params("type"), c.Params("idOrSlug"), q)
	if err != nil {
		return err
	}
	if token != "" {
		return s.deliveryPreview(c, gq, token)
	}
	item, err := s.Delivery.Get(c.Context(), gq)
	if err != nil {
		return err
	}
	return c.JSON(item)
}

// deliveryPreview serves a draft to the holder of a preview token. The
// response is private: no shared cache may keep it.
func (s *Server) deliveryPreview(c fiber.Ctx, gq delivery.GetQuery, token string) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderVary, "X-Inkling-Preview")
	if s.Preview == nil {
		return apperr.New(apperr.Unavailable, "previews are not configured on this server")
	}
	claims, err := s.Preview.Verify(token)
	if err != nil {
		return apperr.New(apperr.Unauthorized, "%v", err)
	}
	item, err := s.Delivery.Preview(c.Context(), gq, claims)
	if err != nil {
		return err
	}
	return c.JSON(item)
}
