package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/pluginhost"
)

func (s *Server) bindAdminPlugins(r fiber.Router) {
	r.Get("/plugins", s.listPlugins)
	r.Get("/plugins/:name", s.getPlugin)
	r.Post("/plugins/:name/enable", s.enablePlugin)
	r.Post("/plugins/:name/disable", s.disablePlugin)
	r.Put("/plugins/:name/settings", s.pluginSettings)
	r.Get("/actions", s.listActions)
	r.Post("/plugins/:name/actions/:action", s.runAction)
}

// requireAdmin allows plugin administration to admins only.
func (s *Server) requireAdmin(c fiber.Ctx) error {
	if principal(c).Role != auth.RoleAdmin {
		return apperr.New(apperr.Forbidden, "plugins are managed by admins")
	}
	return nil
}

func (s *Server) listPlugins(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	list, err := s.Plugins.List(c.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []pluginhost.Status{}
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) getPlugin(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	st, err := s.Plugins.Get(c.Context(), c.Params("name"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) enablePlugin(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	if err := s.Plugins.Enable(c.Context(), c.Params("name")); err != nil {
		return err
	}
	return s.getPlugin(c)
}

func (s *Server) disablePlugin(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	if err := s.Plugins.Disable(c.Context(), c.Params("name")); err != nil {
		return err
	}
	return s.getPlugin(c)
}

func (s *Server) pluginSettings(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	var in map[string]string
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if err := s.Plugins.SetSettings(c.Context(), c.Params("name"), in); err != nil {
		return err
	}
	return s.getPlugin(c)
}

func (s *Server) listActions(c fiber.Ctx) error {
	acts := s.Plugins.Actions()
	if acts == nil {
		acts = []pluginhost.ActionSpec{}
	}
	return c.JSON(fiber.Map{"items": acts})
}

type actionRequest struct {
	EntryID string          `json:"entry_id,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// runAction runs a plugin's admin action (e.g. "redraft tags"). On an
// entry it needs update rights on the entry's type; global actions are for
// admins.
func (s *Server) runAction(c fiber.Ctx) error {
	var in actionRequest
	if err := optionalBody(c, &in); err != nil {
		return err
	}
	p := principal(c)
	if in.EntryID != "" {
		d, err := s.Entries.Get(c.Context(), p, in.EntryID)
		if err != nil {
			return err
		}
		if err := s.Auth.Require(c.Context(), p, auth.ActEntriesUpdate, d.TypeKey); err != nil {
			return err
		}
	} else if err := s.requireAdmin(c); err != nil {
		return err
	}
	res, err := s.Plugins.RunAction(c.Context(), c.Params("name"), pluginhost.ActionInput{Action: c.Params("action"), Actor: p,
		EntryID: in.EntryID, Params: in.Params})
	if err != nil {
		return err
	}
	return c.JSON(res)
}
