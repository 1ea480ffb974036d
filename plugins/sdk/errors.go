package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a client error (a 4xx) a handler returns on purpose. An
// [Endpoint] answers it as an RFC 9457 problem with Status, Detail and
// Diagnostics; a job, action or hook that returns one fails with the
// matching gRPC code (404 → NotFound, 403 → PermissionDenied, 409 →
// Aborted, other 4xx → InvalidArgument).
type Error struct {
	// Status is an HTTP status from 400 to 499.
	Status int
	// Detail explains the problem to the client.
	Detail string
	// Diagnostics point at the offending parameters or fields by path
	// (query parameters by name, e.g. "max_minutes").
	Diagnostics contenttypes.Diagnostics
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if len(e.Diagnostics) > 0 {
		s += " (" + e.Diagnostics.Error() + ")"
	}
	return s
}

// NotFound is a 404: nothing (published) matches the request.
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400: the request is malformed. Diagnostics may point at
// the parameters at fault.
func BadRequest(detail string, diags ...contenttypes.Diagnostic) *Error {
	return &Error{Status: http.StatusBadRequest, Detail: detail, Diagnostics: diags}
}

// Invalid is a 422: the request is well-formed but its parameters are not
// acceptable, as the diagnostics explain (path: the parameter name). This
// is what the delivery API answers for a bad filter or an unknown
// parameter.
func Invalid(diags contenttypes.Diagnostics) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Detail: "the request is invalid", Diagnostics: diags}
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Detail: fmt.Sprintf(format, args...)}
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Detail: fmt.Sprintf(format, args...)}
}

// Errors of Host calls, to test with errors.Is. The error itself is a
// [*HostError] carrying the host's message.
var (
	// ErrPermission: the plugin was not granted the scope the call needs
	// (gRPC PermissionDenied).
	ErrPermission = errors.New("permission denied")
	// ErrNotFound: no such entry, or not published (gRPC NotFound).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale base revision, a taken slug, a locked entry
	// (gRPC Aborted, AlreadyExists or FailedPrecondition).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the host refused the arguments (gRPC InvalidArgument).
	ErrInvalid = errors.New("invalid argument")
	// ErrUnavailable: the host could not be reached, the Host connection
	// is not configured yet, or the host does not offer the service in
	// this deployment (gRPC Unavailable or Unimplemented).
	ErrUnavailable = errors.New("host unavailable")
)

// HostError is the error of a failed Host call.
type HostError struct {
	// Method is the Host RPC, e.g. "GetEntry".
	Method string
	// Code is the gRPC status code the host answered.
	Code codes.Code
	// Message is the host's message.
	Message string
}

func (e *HostError) Error() string {
	return fmt.Sprintf("inkling host: %s: %s", e.Method, e.Message)
}

// Is matches the sentinel errors of the code (ErrPermission, ErrNotFound,
// ...).
func (e *HostError) Is(target error) bool {
	switch target {
	case ErrPermission:
		return e.Code == codes.PermissionDenied
	case ErrNotFound:
		return e.Code == codes.NotFound
	case ErrConflict:
		return e.Code == codes.Aborted || e.Code == codes.AlreadyExists || e.Code == codes.FailedPrecondition
	case ErrInvalid:
		return e.Code == codes.InvalidArgument
	case ErrUnavailable:
		return e.Code == codes.Unavailable || e.Code == codes.Unimplemented
	}
	return false
}

// hostError converts the error of a Host RPC.
func hostError(method string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return &HostError{Method: method, Code: codes.Unknown, Message: err.Error()}
	}
	return &HostError{Method: method, Code: st.Code(), Message: st.Message()}
}

// rpcError converts the error a plugin function returned into the gRPC
// error of the call; what names the function for the message.
func rpcError(what string, err error) error {
	var pe *Error
	var perm *permanentError
	switch {
	case errors.As(err, &perm):
		return protocol.PermanentStatus(codes.FailedPrecondition, fmt.Sprintf("%s: %v", what, err))
	case errors.Is(err, context.DeadlineExceeded):
		return status.Errorf(codes.DeadlineExceeded, "%s: %v", what, err)
	case errors.Is(err, context.Canceled):
		return status.Errorf(codes.Canceled, "%s: %v", what, err)
	case errors.As(err, &pe) && pe.Status >= 400 && pe.Status <= 499:
		code := codes.InvalidArgument
		switch pe.Status {
		case http.StatusNotFound:
			code = codes.NotFound
		case http.StatusForbidden:
			code = codes.PermissionDenied
		case http.StatusConflict:
			code = codes.Aborted
		}
		return status.Errorf(code, "%s: %v", what, pe)
	}
	return status.Errorf(codes.Internal, "%s: %v", what, err)
}

// permanentError marks a job failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying cannot fix. A [Job] that
// returns it is recorded as failed at once (the host does not retry it);
// an admin can still re-run it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var pe *permanentError
	return errors.As(err, &pe)
}
