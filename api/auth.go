package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
)

// authenticate requires a bearer token on every management route.
func (s *Server) authenticate(c fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="inkling"`)
		return apperr.New(apperr.Unauthorized, "send an API token as Authorization: Bearer <token>")
	}
	p, err := s.Auth.VerifyToken(c.Context(), strings.TrimSpace(token))
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="inkling", error="invalid_token"`)
		return err
	}
	c.Locals(localPrincipal, p)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

func principal(c fiber.Ctx) auth.Principal {
	p, _ := c.Locals(localPrincipal).(auth.Principal)
	return p
}

// SessionTTL is the lifetime of a token issued by POST /auth/token.
const SessionTTL = 12 * time.Hour

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type tokenResponse struct {
	Token     string     `json:"token"`
	ID        string     `json:"id"`
	Role      auth.Role  `json:"role"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Server) bindAuth(r fiber.Router) {
	r.Post("/auth/token", s.login)
}

// login exchanges an email and password for a bearer token with the user's
// role, valid for SessionTTL.
func (s *Server) login(c fiber.Ctx) error {
	var in loginRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	u, err := s.Auth.Authenticate(c.Context(), in.Email, in.Password)
	if err != nil {
		return err
	}
	t, plain, err := s.Auth.CreateToken(c.Context(), auth.TokenInput{Name: "session " + u.Email, Role: u.Role, UserID: u.ID, TTL: SessionTTL})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(tokenResponse{Token: plain, ID: t.ID, Role: t.Role, ExpiresAt: t.ExpiresAt})
}
