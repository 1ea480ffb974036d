package api

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
)

// SessionCookie holds a browser session's token (HttpOnly, SameSite=Strict).
const SessionCookie = "inkling_session"

// authenticate requires a bearer token, or a session cookie, on every
// management route. Cookie-authenticated requests that change state must
// come from this site (CSRF): their Origin (or Referer) must be this host.
func (s *Server) authenticate(c fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		if ck := c.Cookies(SessionCookie); ck != "" {
			if err := sameOrigin(c); err != nil {
				return err
			}
			token, scheme, ok = ck, "Bearer", true
		}
	}
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
	r.Post("/auth/session", s.startSession)
}

// login exchanges an email and password for a bearer token with the user's
// role, valid for SessionTTL.
func (s *Server) login(c fiber.Ctx) error {
	t, plain, err := s.signIn(c, "session ")
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tokenResponse{Token: plain, ID: t.ID, Role: t.Role, ExpiresAt: t.ExpiresAt})
}

// signIn checks the email and password of the request body and issues a
// token of the user's role for SessionTTL.
func (s *Server) signIn(c fiber.Ctx, name string) (*auth.Token, string, error) {
	var in loginRequest
	if err := decodeBody(c, &in); err != nil {
		return nil, "", err
	}
	u, err := s.Auth.Authenticate(c.Context(), in.Email, in.Password)
	if err != nil {
		return nil, "", err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.Auth.CreateToken(c.Context(), auth.TokenInput{Name: name + u.Email, Role: u.Role, UserID: u.ID, TTL: SessionTTL})
}

// sameOrigin is the CSRF check for cookie sessions: a state-changing
// request must carry an Origin (or, failing that, a Referer) whose host is
// the request's host. Browsers always send Origin on cross-site POSTs.
func sameOrigin(c fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return nil
	}
	src := c.Get(fiber.HeaderOrigin)
	if src == "" || src == "null" {
		src = c.Get(fiber.HeaderReferer)
	}
	u, err := url.Parse(src)
	if src == "" || err != nil || u.Host == "" || !strings.EqualFold(u.Host, c.Host()) {
		return apperr.New(apperr.Forbidden, "cross-site request refused: a cookie session only accepts changes from this site (send Origin, or use a bearer token)")
	}
	return nil
}

type sessionResponse struct {
	Role      auth.Role  `json:"role"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// startSession signs a user in for a browser: the token goes in an
// HttpOnly, SameSite=Strict cookie (never visible to scripts).
func (s *Server) startSession(c fiber.Ctx) error {
	t, plain, err := s.signIn(c, "browser session ")
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: plain, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: *t.ExpiresAt})
	return c.Status(fiber.StatusCreated).JSON(sessionResponse{Role: t.Role, ExpiresAt: t.ExpiresAt})
}

// endSession signs out: the session's token is revoked and the cookie
// cleared.
func (s *Server) endSession(c fiber.Ctx) error {
	p := principal(c)
	if p.Kind == auth.KindToken {
		_ = s.Auth.RevokeToken(c.Context(), p.ID)
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
}
