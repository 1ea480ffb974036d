package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
)

// decodeBody decodes a JSON request body into v strictly: the media type
// must be JSON, the body one JSON value, and unknown members are errors.
// Problems come back as Invalid errors that say where the body is wrong.
func decodeBody(c fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return bodyProblem("body", "required", "a JSON body is required")
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return fiber.NewError(fiber.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q; send application/json", ct))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bodyProblem("body", contenttypes.CodeInvalidJSON, "the body holds more than one JSON value")
	}
	return nil
}

func bodyProblem(path, code, summary string) error {
	return apperr.Validation("malformed request body", contenttypes.Diagnostics{{
		Severity: contenttypes.SeverityError, Path: path, Code: code, Summary: summary}}).WithCode(apperr.Malformed)
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return bodyProblem("body", contenttypes.CodeInvalidJSON, fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			path = "body"
		}
		return bodyProblem(path, contenttypes.CodeTypeMismatch, fmt.Sprintf("expected %s, got JSON %s", typ.Type, typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bodyProblem("body", contenttypes.CodeInvalidJSON, "the JSON body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return bodyProblem(name, contenttypes.CodeUnknownField, fmt.Sprintf("unknown member %q", name))
	default:
		return bodyProblem("body", contenttypes.CodeInvalidJSON, err.Error())
	}
}
