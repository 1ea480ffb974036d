package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/registry"
)

func (s *Server) bindAdminTypes(r fiber.Router) {
	r.Get("/content-types", s.listTypes)
	r.Post("/content-types", s.registerType)
	r.Get("/content-types/:key", s.getType)
	r.Get("/content-types/:key/schema", s.typeSchema)
}

func (s *Server) listTypes(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActTypesRead, ""); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": s.Types.List()})
}

func (s *Server) getType(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActTypesRead, ""); err != nil {
		return err
	}
	t, err := s.Types.Get(c.Context(), c.Params("key"))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// typeSchema returns the JSON Schema of a type's field values, as accepted
// by create and save (?mode=output: as returned by the delivery API).
func (s *Server) typeSchema(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActTypesRead, ""); err != nil {
		return err
	}
	t, err := s.Types.Get(c.Context(), c.Params("key"))
	if err != nil {
		return err
	}
	mode := contenttypes.SchemaInput
	if c.Query("mode") == "output" {
		mode = contenttypes.SchemaOutput
	}
	sch := t.JSONSchema(mode)
	sch["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	return c.JSON(sch, "application/schema+json")
}

type registerResponse struct {
	Type    *registry.Type        `json:"type"`
	Created bool                  `json:"created"`
	Changed bool                  `json:"changed"`
	Changes []contenttypes.Change `json:"changes,omitempty"`
}

// registerType creates or (additively) updates a content type declared
// through the API. Types declared by plugins belong to their plugin.
func (s *Server) registerType(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActTypesManage, ""); err != nil {
		return err
	}
	var ct contenttypes.ContentType
	if err := decodeBody(c, &ct); err != nil {
		return err
	}
	res, err := s.Types.Register(c.Context(), ct, &registry.RegisterOptions{Source: "api"})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if res.Created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(registerResponse{Type: res.Type, Created: res.Created, Changed: res.Changed, Changes: res.Changes})
}
