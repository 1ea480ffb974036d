package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
)

// Problem is an RFC 9457 problem details object. Diagnostics list
// field-level problems with their paths.
type Problem struct {
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Status      int                      `json:"status"`
	Detail      string                   `json:"detail,omitempty"`
	Instance    string                   `json:"instance,omitempty"`
	Code        apperr.Code              `json:"code"`
	Diagnostics contenttypes.Diagnostics `json:"diagnostics,omitempty"`
	RequestID   string                   `json:"request_id,omitempty"`
}

// ProblemContentType is the media type of error responses.
const ProblemContentType = "application/problem+json"

// statusOf is the one map from application error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Malformed:    http.StatusBadRequest,
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.RateLimited:  http.StatusTooManyRequests,
	apperr.TooLarge:     http.StatusRequestEntityTooLarge,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Timeout:      http.StatusGatewayTimeout,
	apperr.Internal:     http.StatusInternalServerError,
}

// codeOfStatus maps framework errors (404 route, 405, 413...) back to codes.
func codeOfStatus(status int) apperr.Code {
	switch {
	case status == http.StatusNotFound:
		return apperr.NotFound
	case status == http.StatusRequestEntityTooLarge:
		return apperr.TooLarge
	case status == http.StatusUnauthorized:
		return apperr.Unauthorized
	case status == http.StatusForbidden:
		return apperr.Forbidden
	case status == http.StatusConflict:
		return apperr.Conflict
	case status == http.StatusTooManyRequests:
		return apperr.RateLimited
	case status >= 500:
		return apperr.Internal
	case status == http.StatusUnprocessableEntity:
		return apperr.Invalid
	default:
		return apperr.Malformed
	}
}

// problemFor turns any error into a Problem. Internal errors never leak
// their message.
func problemFor(err error) Problem {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := codeOfStatus(fe.Code)
		p := Problem{Type: "about:blank", Title: http.StatusText(fe.Code), Status: fe.Code, Code: code}
		if fe.Code < 500 {
			p.Detail = fe.Message
		}
		if fe.Code == http.StatusRequestEntityTooLarge {
			p.Detail = "the request body is larger than this server accepts"
		}
		return p
	}
	code := apperr.CodeOf(err)
	status := statusOf[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code}
	if e, ok := apperr.As(err); ok && code != apperr.Internal {
		p.Detail = e.Message
		p.Diagnostics = e.Diagnostics
	} else {
		p.Detail = "an internal error occurred; it has been logged"
	}
	return p
}

// errorHandler is fiber's ErrorHandler: every error a handler returns, and
// every framework error (unknown route, body too large, ...), leaves here.
func (s *Server) errorHandler(c fiber.Ctx, err error) error {
	p := problemFor(err)
	p.Instance = c.Path()
	p.RequestID = requestID(c)
	if p.Status >= 500 {
		s.log.ErrorContext(c.Context(), "request failed", "method", c.Method(), "path", c.Path(),
			"status", p.Status, "request_id", p.RequestID, "err", err)
		if c.Locals(localPanicked) == nil {
			s.Reporter.RequestError(err, s.reportRequest(c, p.Status))
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(p.Status).JSON(p, ProblemContentType)
}
