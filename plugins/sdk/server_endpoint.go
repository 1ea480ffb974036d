package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Request is a request to an [Endpoint], as routed by the host.
type Request struct {
	Method string
	// Path is the declared path template, e.g. "/recipes/{id}/related".
	Path string
	// PathParams are the values of the template's parameters.
	PathParams map[string]string
	// Query holds the query parameters (one value each).
	Query map[string]string
	// Headers is the safe subset the host forwards (Accept-Language,
	// If-None-Match...), with canonical names.
	Headers map[string]string
	// Preview is true when the request carries a valid preview token:
	// the endpoint may show drafts.
	Preview bool
}

// PathParam returns the path parameter name.
func (r *Request) PathParam(name string) string { return r.PathParams[name] }

// QueryParam returns the query parameter name, or def when it is absent or
// empty.
func (r *Request) QueryParam(name, def string) string {
	if v, ok := r.Query[name]; ok && v != "" {
		return v
	}
	return def
}

// QueryInt returns the query parameter name as an integer, or def when it
// is absent or empty. A value that is not an integer is an [Invalid] error
// (422) whose diagnostic names the parameter: return it as it is.
func (r *Request) QueryInt(name string, def int64) (int64, error) {
	v, ok := r.Query[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		var ds contenttypes.Diagnostics
		ds.AppendErrorf(name, contenttypes.CodeInvalidFormat, "expected an integer, got %q", v)
		return 0, Invalid(ds)
	}
	return n, nil
}

// Header returns the forwarded header name (case-insensitive).
func (r *Request) Header(name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	return r.Headers[http.CanonicalHeaderKey(name)]
}

// Response is a successful endpoint response.
type Response struct {
	// Status is a 2xx status; 0 means 200.
	Status int
	// Body is encoded as JSON; a json.RawMessage is sent as it is (the
	// host fails the request with a 500 when it is not valid JSON).
	Body any
	// CacheTags are the entry ids (and other tags) the response depends
	// on: publishing or unpublishing one of them, or
	// [Host.InvalidateCache], drops the cached response.
	CacheTags []string
}

// OK returns a 200 response with body and cache tags.
func OK(body any, cacheTags ...string) *Response {
	return &Response{Status: http.StatusOK, Body: body, CacheTags: cacheTags}
}

// HandleEndpoint routes the request to the endpoint declared with its
// method and path template, after checking required parameters.
func (s *server) HandleEndpoint(ctx context.Context, req *pluginv1.EndpointRequest) (*pluginv1.EndpointResponse, error) {
	method := strings.ToUpper(req.GetMethod())
	if method == "" {
		method = http.MethodGet
	}
	rt, ok := s.c.endpoints[method+" "+req.GetPath()]
	if !ok {
		declared := make([]string, 0, len(s.c.endpoints))
		for k := range s.c.endpoints {
			declared = append(declared, k)
		}
		sort.Strings(declared)
		return nil, status.Errorf(codes.NotFound, "no endpoint %s %s is declared (declared: %s)",
			method, req.GetPath(), strings.Join(declared, ", "))
	}
	r := &Request{
		Method: method, Path: req.GetPath(),
		PathParams: maps.Clone(req.GetPathParams()), Query: maps.Clone(req.GetQuery()),
		Headers: maps.Clone(req.GetHeaders()), Preview: req.GetPreview(),
	}
	for _, m := range []*map[string]string{&r.PathParams, &r.Query, &r.Headers} {
		if *m == nil {
			*m = map[string]string{}
		}
	}
	var missing contenttypes.Diagnostics
	for _, prm := range rt.params {
		switch {
		case prm.In == InPath && r.PathParams[prm.Name] == "":
			return nil, status.Errorf(codes.InvalidArgument, "%s %s: path parameter %q is missing", method, req.GetPath(), prm.Name)
		case prm.In == InQuery && prm.Required && r.Query[prm.Name] == "":
			missing.AppendErrorf(prm.Name, contenttypes.CodeRequired, "query parameter %q is required", prm.Name)
		}
	}
	if len(missing) > 0 {
		return problem(Invalid(missing)), nil
	}

	what := fmt.Sprintf("endpoint %s %s", method, req.GetPath())
	if rt.ep.Related != nil {
		// A host that knows RelatedListSpec never calls here.
		return nil, status.Errorf(codes.Unimplemented, "%s is a related list, which the host serves itself; this host does not (it predates RelatedListSpec): upgrade Inkling", what)
	}
	var resp *Response
	err := s.safely(what, func() (err error) {
		resp, err = rt.ep.Handle(ctx, s.host, r)
		return err
	})
	var pe *Error
	switch {
	case err != nil && errors.As(err, &pe) && pe.Status >= 400 && pe.Status <= 499:
		return problem(pe), nil
	case err != nil:
		return nil, s.fail(what, err)
	case resp == nil:
		return nil, status.Errorf(codes.Internal, "%s returned neither a response nor an error", what)
	}
	code := resp.Status
	if code == 0 {
		code = http.StatusOK
	}
	if code < 200 || code > 299 {
		return nil, status.Errorf(codes.Internal, "%s returned status %d; return an *sdk.Error for a 4xx and an error for a 5xx", what, code)
	}
	body, err := endpointBody(resp.Body)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%s: encoding the body: %v", what, err)
	}
	return &pluginv1.EndpointResponse{Status: int32(code), Body: body, CacheTags: resp.CacheTags}, nil
}

// endpointBody encodes an endpoint's body. A json.RawMessage is sent as it
// is, unchecked: the host checks every endpoint body and fails the request
// (500, logged with the plugin and the path) when it is not JSON, and
// sdktest checks it the same way. Checking here as well scanned every body
// twice, which cost a quarter of the C.S. Lewis plugin's CPU under load.
func endpointBody(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok && len(bytes.TrimSpace(raw)) > 0 {
		return raw, nil
	}
	return encodeJSON(v)
}

// problem turns a client error into an endpoint response.
func problem(e *Error) *pluginv1.EndpointResponse {
	return &pluginv1.EndpointResponse{Status: int32(e.Status), Detail: e.Detail, Diagnostics: diagsToProto(e.Diagnostics)}
}
