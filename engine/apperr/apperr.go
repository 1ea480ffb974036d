// Package apperr is the one vocabulary of application errors. Every engine
// service returns errors carrying a Code; api/ maps codes to HTTP statuses in
// one place. Anything without a code is internal.
package apperr

import (
	"errors"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
)

// Code classifies an error for callers.
type Code string

const (
	Malformed    Code = "malformed"    // the request cannot be parsed (bad JSON, bad query string)
	Invalid      Code = "invalid"      // the request parses but fails validation
	NotFound     Code = "not_found"    // the thing does not exist (or is not visible)
	Conflict     Code = "conflict"     // state conflict: duplicate slug, lock, stale revision
	Forbidden    Code = "forbidden"    // authenticated but not allowed
	Unauthorized Code = "unauthorized" // no or bad credentials
	RateLimited  Code = "rate_limited" // too many requests
	TooLarge     Code = "too_large"    // body or upload too large
	Unavailable  Code = "unavailable"  // a dependency is down; retry later
	Timeout      Code = "timeout"      // a deadline passed (e.g. a plugin hook)
	Internal     Code = "internal"     // a bug or an unexpected failure
)

// Error is an application error.
type Error struct {
	Code        Code
	Message     string                   // safe to show to the client
	Diagnostics contenttypes.Diagnostics // field-level problems, for Invalid
	Err         error                    // the cause, never shown to clients
}

func (e *Error) Error() string {
	msg := e.Message
	if len(e.Diagnostics) > 0 {
		msg += ": " + e.Diagnostics.Error()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with code and a formatted client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a code and message to a cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Validation returns an Invalid error carrying diagnostics.
func Validation(message string, diags contenttypes.Diagnostics) *Error {
	return &Error{Code: Invalid, Message: message, Diagnostics: diags}
}

// CodeOf returns the code of err, Internal when it has none, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// WithCode returns a copy of e with another code (e.g. a validation-shaped
// error that is a conflict).
func (e *Error) WithCode(c Code) *Error {
	cp := *e
	cp.Code = c
	return &cp
}
