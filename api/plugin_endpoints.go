package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/pluginhost"
)

// matchEndpoint finds the plugin endpoint whose path template matches path
// (below /api/v1) and returns its path parameters. Templates are literal
// segments and {name} segments; literal segments win over parameters when
// two templates could match.
func matchEndpoint(eps []pluginhost.Endpoint, method, path string) (*pluginhost.Endpoint, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *pluginhost.Endpoint
	var bestParams map[string]string
	bestLiterals := -1
	for i := range eps {
		e := &eps[i]
		m := strings.ToUpper(e.Spec.GetMethod())
		if m == "" {
			m = "GET"
		}
		if m != method {
			continue
		}
		tsegs := strings.Split(strings.Trim(e.Spec.GetPath(), "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		params, literals, ok := map[string]string{}, 0, true
		for j, t := range tsegs {
			switch {
			case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
				if segs[j] == "" {
					ok = false
				}
				params[t[1:len(t)-1]] = segs[j]
			case t == segs[j]:
				literals++
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && literals > bestLiterals {
			best, bestParams, bestLiterals = e, params, literals
		}
	}
	return best, bestParams
}

// forwardedHeaders are the request headers a plugin endpoint may see.
var forwardedHeaders = []string{"Accept-Language", "If-None-Match", "User-Agent"}

// pluginEndpoint serves GET /api/v1/... routes declared by plugins. Their
// 2xx responses are cached and tagged like content responses: with the
// entries the plugin says they depend on, and with plugin:<name>.
func (s *Server) pluginEndpoint(c fiber.Ctx) error {
	if s.Plugins == nil {
		return fiber.NewError(fiber.StatusNotFound, "no route "+c.Method()+" "+c.Path())
	}
	path := strings.TrimPrefix(c.Path(), "/api/v1")
	method := c.Method()
	if method == http.MethodHead {
		method = http.MethodGet
	}
	ep, params := matchEndpoint(s.Plugins.Endpoints(), method, path)
	if ep == nil {
		return fiber.NewError(fiber.StatusNotFound, "no route "+c.Method()+" "+c.Path())
	}
	q, err := rawQuery(c)
	if err != nil {
		return err
	}
	query := map[string]string{}
	for k, v := range q {
		if len(v) > 1 {
			return apperr.Validation("repeated parameter", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: k, Code: "repeated_parameter", Summary: fmt.Sprintf("%q is given %d times; give it once", k, len(v))}})
		}
		query[k] = v[0]
	}
	maxAge := time.Duration(ep.Spec.GetCacheMaxAgeSeconds()) * time.Second
	var fill func(ctx context.Context) ([]byte, []string, error)
	if rl := ep.RelatedList(); rl != nil {
		// Declared as data: the host serves it without calling the plugin.
		fill = func(ctx context.Context) ([]byte, []string, error) { return s.relatedList(ctx, ep, rl, params, query) }
	} else {
		req := pluginhost.EndpointCall{Method: method, Path: ep.Spec.GetPath(), PathParams: params, Query: query, Headers: map[string]string{}}
		for _, h := range forwardedHeaders {
			if v := c.Get(h); v != "" {
				req.Headers[h] = v
			}
		}
		fill = func(ctx context.Context) ([]byte, []string, error) { return s.callEndpoint(ctx, ep, req) }
	}
	if maxAge <= 0 || s.Cache == nil {
		body, _, err := fill(c.Context())
		if err != nil {
			return err
		}
		return s.sendPublicAge(c, body, "", maxAge)
	}
	key := "plugin:" + c.Path() + "?" + q.Encode()
	val, err := s.Cache.Fetch(c.Context(), key, cache.FetchOptions{TTL: maxAge * 5}, func(ctx context.Context) ([]byte, []string, error) {
		body, tags, err := fill(ctx)
		if err != nil {
			return nil, nil, err
		}
		return append([]byte(etagOf(body)+"\n"), body...), tags, nil
	})
	if err != nil {
		return err
	}
	i := bytes.IndexByte(val, '\n')
	return s.sendPublicAge(c, val[i+1:], string(val[:i]), maxAge)
}

// callEndpoint calls the plugin serving ep and returns its checked body
// and cache tags.
func (s *Server) callEndpoint(ctx context.Context, ep *pluginhost.Endpoint, req pluginhost.EndpointCall) ([]byte, []string, error) {
	resp, err := s.Plugins.Call(ctx, ep.Plugin, req)
	if err != nil {
		return nil, nil, err
	}
	if resp.Status >= 400 {
		return nil, nil, pluginProblem(resp)
	}
	tags := []string{"plugin:" + ep.Plugin}
	for _, t := range resp.CacheTags {
		tags = append(tags, PluginCacheTag(t))
	}
	body := resp.Body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("null")
	}
	if !json.Valid(body) {
		return nil, nil, fmt.Errorf("plugin %s returned invalid JSON for %s", ep.Plugin, ep.Spec.GetPath())
	}
	return body, tags, nil
}

// PluginCacheTag maps a cache tag from a plugin to the engine's: a bare
// entry id becomes entry:<id>; "type:…" and other prefixed tags stay.
func PluginCacheTag(t string) string {
	if strings.Contains(t, ":") {
		return t
	}
	return cache.EntryTag(t)
}

// pluginProblem turns a plugin's 4xx answer into a problem response.
func pluginProblem(resp *pluginhost.EndpointResult) error {
	code := codeOfStatus(resp.Status)
	if resp.Status >= 500 {
		code = apperr.Internal
	}
	detail := resp.Detail
	if detail == "" {
		detail = http.StatusText(resp.Status)
	}
	return &apperr.Error{Code: code, Message: detail, Diagnostics: resp.Diagnostics}
}
