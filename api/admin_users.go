package api

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
)

func (s *Server) bindAdminUsers(r fiber.Router) {
	r.Get("/me", s.me)
	r.Post("/users", s.createUser)
	r.Post("/tokens", s.createToken)
	r.Delete("/tokens/:id", s.revokeToken)
	r.Get("/grants", s.listGrants)
	r.Put("/grants", s.setGrant)
}

func (s *Server) me(c fiber.Ctx) error { return c.JSON(principal(c)) }

type createUserRequest struct {
	Email    string    `json:"email"`
	Password string    `json:"password"`
	Role     auth.Role `json:"role"`
}

func (s *Server) createUser(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActUsersManage, ""); err != nil {
		return err
	}
	var in createUserRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := s.Auth.CreateUser(c.Context(), in.Email, in.Password, in.Role)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

// maxTokenTTLSeconds is ten years.
const maxTokenTTLSeconds = 10 * 365 * 24 * 3600

type createTokenRequest struct {
	Name       string    `json:"name"`
	Role       auth.Role `json:"role"`
	TTLSeconds int64     `json:"ttl_seconds,omitempty"`
}

func (s *Server) createToken(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActUsersManage, ""); err != nil {
		return err
	}
	var in createTokenRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.TTLSeconds < 0 || in.TTLSeconds > maxTokenTTLSeconds {
		return apperr.Validation("invalid ttl", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "ttl_seconds", Code: contenttypes.CodeOutOfRange,
			Summary: fmt.Sprintf("expected 0 (never expires) to %d seconds (10 years)", maxTokenTTLSeconds)}})
	}
	t, plain, err := s.Auth.CreateToken(c.Context(), auth.TokenInput{Name: in.Name, Role: in.Role, TTL: time.Duration(in.TTLSeconds) * time.Second})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tokenResponse{Token: plain, ID: t.ID, Role: t.Role, ExpiresAt: t.ExpiresAt})
}

func (s *Server) revokeToken(c fiber.Ctx) error {
	p := principal(c)
	// Anyone may revoke their own token (sign out); admins any token.
	if p.ID != c.Params("id") {
		if err := s.Auth.Require(c.Context(), p, auth.ActUsersManage, ""); err != nil {
			return err
		}
	}
	if err := s.Auth.RevokeToken(c.Context(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listGrants(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActUsersManage, ""); err != nil {
		return err
	}
	g, err := s.Auth.Grants(c.Context())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": g})
}

type grantRequest struct {
	auth.Grant
	Allow bool `json:"allow"`
}

func (s *Server) setGrant(c fiber.Ctx) error {
	if err := s.Auth.Require(c.Context(), principal(c), auth.ActUsersManage, ""); err != nil {
		return err
	}
	var in grantRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if err := s.Auth.SetGrant(c.Context(), in.Grant, in.Allow); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
