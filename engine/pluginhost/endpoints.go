package pluginhost

import (
	"context"
	"github.com/inklingcms/inkling/contenttypes"
	"strings"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// Endpoint is a delivery endpoint a plugin declares, for routing under
// /api/v1 and for the OpenAPI document.
type Endpoint struct {
	Plugin string
	Spec   *pluginv1.EndpointSpec
}

// RelatedList is a related list a plugin declares for the host to serve
// (pluginv1.RelatedListSpec, in engine terms; see ADR 0017).
type RelatedList struct {
	Type, Field              string
	SeedParam                string
	FilterField, FilterParam string
	LimitParam               string
	DefaultLimit, MaxLimit   int
	ItemKey, SeedKey         string
}

// RelatedList returns the related list the endpoint declares; nil when the
// plugin handles the endpoint itself. The SDK fills in defaults and checks
// bounds, but a plugin need not be written with it: missing or
// out-of-range values get the SDK's defaults here too, so that a client
// is never told "expected 1 to 0".
func (e *Endpoint) RelatedList() *RelatedList {
	r := e.Spec.GetRelated()
	if r == nil {
		return nil
	}
	rl := &RelatedList{Type: r.GetType(), Field: r.GetField(), SeedParam: r.GetSeedParam(),
		FilterField: r.GetFilterField(), FilterParam: r.GetFilterParam(), LimitParam: r.GetLimitParam(),
		DefaultLimit: int(r.GetDefaultLimit()), MaxLimit: int(r.GetMaxLimit()), ItemKey: r.GetItemKey(), SeedKey: r.GetSeedKey()}
	if rl.MaxLimit < 1 || rl.MaxLimit > related.MaxLimit {
		rl.MaxLimit = related.MaxLimit
	}
	if rl.DefaultLimit < 1 || rl.DefaultLimit > rl.MaxLimit {
		rl.DefaultLimit = min(related.DefaultLimit, rl.MaxLimit)
	}
	if rl.FilterParam == "" {
		rl.FilterParam = rl.FilterField
	}
	for _, d := range []struct {
		v   *string
		def string
	}{{&rl.LimitParam, "limit"}, {&rl.ItemKey, "entry"}, {&rl.SeedKey, "seed_id"}} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	return rl
}

// Endpoints returns the endpoints of the active plugins, by plugin name and
// declaration order.
func (m *Manager) Endpoints() []Endpoint {
	var out []Endpoint
	for _, p := range m.list() {
		p.mu.RLock()
		if p.inForce() {
			for _, e := range p.meta.GetEndpoints() {
				out = append(out, Endpoint{Plugin: p.name, Spec: e})
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// CallEndpoint calls a plugin's endpoint. req.Method and req.Path (the
// declared path template) select the endpoint, which must be declared; a
// response without a status is a 200.
func (m *Manager) CallEndpoint(ctx context.Context, plugin string, req *pluginv1.EndpointRequest) (*pluginv1.EndpointResponse, error) {
	p, err := m.get(plugin)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(req.GetMethod())
	if method == "" {
		method = "GET"
	}
	p.mu.RLock()
	declared := false
	if p.inForce() {
		for _, e := range p.meta.GetEndpoints() {
			em := strings.ToUpper(e.GetMethod())
			if em == "" {
				em = "GET"
			}
			if em == method && e.GetPath() == req.GetPath() {
				declared = true
			}
		}
	}
	p.mu.RUnlock()
	if !declared {
		return nil, apperr.New(apperr.NotFound, "plugin %s has no endpoint %s %s", plugin, method, req.GetPath())
	}
	var resp *pluginv1.EndpointResponse
	err = p.call(ctx, "endpoint "+method+" "+req.GetPath(), m.cfg.CallTimeout, func(ctx context.Context, c pluginv1.PluginClient) (err error) {
		resp, err = c.HandleEndpoint(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.GetStatus() == 0 {
		resp.Status = 200
	}
	return resp, nil
}

// EndpointCall is an HTTP request routed to a plugin endpoint, in engine
// terms (the API layer does not speak the plugin protocol).
type EndpointCall struct {
	Method     string
	Path       string // the declared path template
	PathParams map[string]string
	Query      map[string]string
	Headers    map[string]string
	Preview    bool
}

// EndpointResult is a plugin endpoint's answer.
type EndpointResult struct {
	Status      int
	Body        []byte
	CacheTags   []string
	Detail      string
	Diagnostics contenttypes.Diagnostics
}

// Call calls a plugin endpoint (see CallEndpoint).
func (m *Manager) Call(ctx context.Context, plugin string, in EndpointCall) (*EndpointResult, error) {
	resp, err := m.CallEndpoint(ctx, plugin, &pluginv1.EndpointRequest{Method: in.Method, Path: in.Path, PathParams: in.PathParams,
		Query: in.Query, Headers: in.Headers, Preview: in.Preview})
	if err != nil {
		return nil, err
	}
	out := &EndpointResult{Status: int(resp.GetStatus()), Body: resp.GetBody(), CacheTags: resp.GetCacheTags(), Detail: resp.GetDetail()}
	if out.Status == 0 {
		out.Status = 200
	}
	for _, d := range resp.GetDiagnostics() {
		out.Diagnostics = append(out.Diagnostics, contenttypes.Diagnostic{Severity: contenttypes.Severity(d.GetSeverity()), Path: d.GetPath(),
			Code: d.GetCode(), Summary: d.GetSummary(), Detail: d.GetDetail()})
	}
	return out, nil
}
