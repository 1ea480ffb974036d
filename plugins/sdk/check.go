package sdk

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// Check checks the declaration the way [Serve] does before serving, and
// returns every problem as a diagnostic (code invalid_definition) whose
// path names the declaration at fault: "name", "content_types[recipe].
// fields.servings.min", "scopes[1]", "validate[0].func",
// "events[2].event", "jobs[1].kind", "endpoints[0].path",
// "actions[0].label"... A plugin whose Check has an error does not start.
//
// Run it from a unit test (sdktest.New does) to catch mistakes before a
// build.
func (p *Plugin) Check() contenttypes.Diagnostics {
	_, diags := compile(p)
	return diags
}

// compiled is a checked declaration, ready to serve.
type compiled struct {
	p         *Plugin
	metadata  *pluginv1.GetMetadataResponse
	schema    [][]byte
	types     map[string]*contenttypes.ContentType
	jobs      map[string]*Job
	endpoints map[string]*route // by method + " " + declared path
	actions   map[string]*Action
	tasks     map[string]*TaskKind
	upgrades  map[string]*Upgrade
}

// route is a checked endpoint.
type route struct {
	ep       *Endpoint
	method   string
	segments []string // literal text, or "{name}"
	params   []Param  // with In and Schema filled in
}

const (
	reservedContent = "content"
	reservedMedia   = "media"
	reservedOpenAPI = "openapi.json"
)

var (
	literalSegment = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	paramSegment   = regexp.MustCompile(`^\{([A-Za-z_][A-Za-z0-9_]{0,62})\}$`)
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
	// namePattern is the host's plugin name (engine/pluginhost.ValidName).
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// checker collects declaration problems.
type checker struct{ diags contenttypes.Diagnostics }

func (c *checker) errorf(path, format string, args ...any) {
	c.diags.AppendErrorf(path, contenttypes.CodeInvalidDefinition, format, args...)
}

func compile(p *Plugin) (*compiled, contenttypes.Diagnostics) {
	c := &checker{}
	if p == nil {
		c.errorf("", "the plugin declaration is nil")
		return nil, c.diags
	}
	out := &compiled{
		p:         p,
		types:     map[string]*contenttypes.ContentType{},
		jobs:      map[string]*Job{},
		endpoints: map[string]*route{},
		actions:   map[string]*Action{},
		tasks:     map[string]*TaskKind{},
		upgrades:  map[string]*Upgrade{},
	}
	md := &pluginv1.GetMetadataResponse{
		Name: p.Name, Version: p.Version, SdkVersion: Version, ProtocolVersion: protocol.Version,
	}

	if !namePattern.MatchString(p.Name) {
		c.errorf("name", "plugin name %q is invalid; expected lowercase letters, digits, '_' and '-', starting with a letter or digit (the executable is named inkling-plugin-<name>)", p.Name)
	}
	if !versionPattern.MatchString(p.Version) {
		c.errorf("version", "plugin version %q is invalid; expected a version such as \"1.0.0\"", p.Version)
	}

	// Content types.
	for i := range p.ContentTypes {
		ct := &p.ContentTypes[i]
		at := fmt.Sprintf("content_types[%d]", i)
		if contenttypes.ValidKey(ct.Key) {
			at = "content_types[" + ct.Key + "]"
		}
		for _, d := range ct.Validate() {
			d.Path = joinPath(at, d.Path)
			c.diags.Append(d)
		}
		if _, dup := out.types[ct.Key]; dup {
			c.errorf(at+".key", "content type %q is declared twice", ct.Key)
			continue
		}
		out.types[ct.Key] = ct
		md.ContentTypes = append(md.ContentTypes, ct.Key)
		raw, err := json.Marshal(ct)
		if err != nil {
			c.errorf(at, "content type %q cannot be encoded: %v", ct.Key, err)
			continue
		}
		out.schema = append(out.schema, raw)
	}

	// Scopes.
	known := AllScopes()
	for i, s := range p.Scopes {
		at := fmt.Sprintf("scopes[%d]", i)
		switch {
		case !slices.Contains(known, s):
			c.errorf(at, "unknown scope %q; expected one of %s", s, strings.Join(known, ", "))
		case slices.Contains(p.Scopes[:i], s):
			c.errorf(at, "scope %q is listed twice", s)
		default:
			md.Scopes = append(md.Scopes, s)
		}
	}

	// Hooks.
	bindings := map[string]*pluginv1.HookBinding{}
	var order []string
	bind := func(hook string, types []string) {
		b, ok := bindings[hook]
		if !ok {
			b = &pluginv1.HookBinding{Hook: hook, Types: slices.Clone(types)}
			bindings[hook] = b
			order = append(order, hook)
			if len(types) == 0 {
				b.Types = nil
			}
			return
		}
		if len(b.Types) == 0 {
			return // already every type
		}
		if len(types) == 0 {
			b.Types = nil
			return
		}
		for _, t := range types {
			if !slices.Contains(b.Types, t) {
				b.Types = append(b.Types, t)
			}
		}
	}
	for i, h := range p.Validate {
		at := fmt.Sprintf("validate[%d]", i)
		c.types(at, h.Types)
		if h.Func == nil {
			c.errorf(at+".func", "validate hook has no Func")
		}
		bind(protocol.HookValidate, h.Types)
	}
	for i, h := range p.BeforeSave {
		at := fmt.Sprintf("before_save[%d]", i)
		c.types(at, h.Types)
		if h.Func == nil {
			c.errorf(at+".func", "before_save hook has no Func")
		}
		bind(protocol.HookBeforeSave, h.Types)
	}
	for i, h := range p.Events {
		at := fmt.Sprintf("events[%d]", i)
		c.types(at, h.Types)
		if h.Func == nil {
			c.errorf(at+".func", "event hook has no Func")
		}
		hook, ok := eventHook(h.Event)
		if !ok {
			c.errorf(at+".event", "unknown event %q; expected %s, %s, %s, %s or %s",
				h.Event, AfterSave, AfterPublish, AfterUnpublish, Workflow, WorkflowState("<state>"))
			continue
		}
		bind(hook, h.Types)
	}
	for _, hook := range order {
		md.Hooks = append(md.Hooks, bindings[hook])
	}

	// Jobs.
	for i := range p.Jobs {
		j := &p.Jobs[i]
		at := fmt.Sprintf("jobs[%d]", i)
		if !contenttypes.ValidKey(j.Kind) {
			c.errorf(at+".kind", "job kind %q is invalid; expected lowercase letters, digits and underscores, starting with a letter", j.Kind)
		} else if _, dup := out.jobs[j.Kind]; dup {
			c.errorf(at+".kind", "job kind %q is declared twice", j.Kind)
		}
		if j.Run == nil {
			c.errorf(at+".run", "job %q has no Run", j.Kind)
		}
		if j.MaxAttempts < 0 || j.MaxAttempts > 100 {
			c.errorf(at+".max_attempts", "job %q: MaxAttempts must be between 0 (the host's default) and 100, got %d", j.Kind, j.MaxAttempts)
		}
		if j.Timeout < 0 || j.Timeout > time.Hour || j.Timeout%time.Second != 0 {
			c.errorf(at+".timeout", "job %q: Timeout must be 0 (the host's default) or a whole number of seconds up to 1h, got %s", j.Kind, j.Timeout)
		}
		if j.Every < 0 || j.Every%time.Second != 0 {
			c.errorf(at+".every", "job %q: Every must be 0 or a whole number of seconds, got %s", j.Kind, j.Every)
		}
		out.jobs[j.Kind] = j
		md.JobKinds = append(md.JobKinds, &pluginv1.JobKind{
			Kind: j.Kind, Description: j.Description, EverySeconds: int64(j.Every / time.Second), MaxAttempts: int32(j.MaxAttempts),
			TimeoutSeconds: int64(j.Timeout / time.Second),
		})
	}

	// Endpoints.
	shapes := map[string]int{}
	for i := range p.Endpoints {
		ep := &p.Endpoints[i]
		at := fmt.Sprintf("endpoints[%d]", i)
		r, spec := c.endpoint(at, ep, out.types)
		if r == nil {
			continue
		}
		shape := r.method + " " + routeShape(r.segments)
		if j, dup := shapes[shape]; dup {
			c.errorf(at+".path", "endpoint %s %s collides with endpoints[%d] (%s %s)", r.method, ep.Path, j, p.Endpoints[j].methodOrGet(), p.Endpoints[j].Path)
			continue
		}
		shapes[shape] = i
		out.endpoints[r.method+" "+ep.Path] = r
		md.Endpoints = append(md.Endpoints, spec)
	}

	// Actions.
	for i := range p.Actions {
		a := &p.Actions[i]
		at := fmt.Sprintf("actions[%d]", i)
		if !contenttypes.ValidKey(a.Name) {
			c.errorf(at+".name", "action name %q is invalid; expected lowercase letters, digits and underscores, starting with a letter", a.Name)
		} else if _, dup := out.actions[a.Name]; dup {
			c.errorf(at+".name", "action %q is declared twice", a.Name)
		}
		if strings.TrimSpace(a.Label) == "" {
			c.errorf(at+".label", "action %q has no Label", a.Name)
		}
		c.types(at, a.Types)
		if a.Run == nil {
			c.errorf(at+".run", "action %q has no Run", a.Name)
		}
		out.actions[a.Name] = a
		md.Actions = append(md.Actions, &pluginv1.ActionSpec{Name: a.Name, Label: a.Label, Types: slices.Clone(a.Types)})
	}

	// Workflow task kinds.
	for i := range p.TaskKinds {
		k := &p.TaskKinds[i]
		at := fmt.Sprintf("task_kinds[%d]", i)
		if !contenttypes.ValidKey(k.Name) {
			c.errorf(at+".name", "task kind name %q is invalid; expected lowercase letters, digits and underscores, starting with a letter", k.Name)
		} else if _, dup := out.tasks[k.Name]; dup {
			c.errorf(at+".name", "task kind %q is declared twice", k.Name)
		}
		if k.Run == nil {
			c.errorf(at+".run", "task kind %q has no Run", k.Name)
		}
		out.tasks[k.Name] = k
		md.TaskKinds = append(md.TaskKinds, &pluginv1.TaskKindSpec{Name: k.Name, Label: k.Label, Description: k.Description})
	}

	// Upgrades of the plugin's own content types.
	own := map[string]bool{}
	for _, ct := range p.ContentTypes {
		own[ct.Key] = true
	}
	for i := range p.Upgrades {
		u := &p.Upgrades[i]
		at := fmt.Sprintf("upgrades[%d]", i)
		switch {
		case !own[u.Type]:
			c.errorf(at+".type", "upgrade of %q: the plugin declares no such content type", u.Type)
		case out.upgrades[u.Type] != nil:
			c.errorf(at+".type", "content type %q has two upgrades", u.Type)
		}
		if u.Func == nil {
			c.errorf(at+".func", "upgrade of %q has no Func", u.Type)
		}
		out.upgrades[u.Type] = u
		md.UpgradeTypes = append(md.UpgradeTypes, u.Type)
	}

	if c.diags.HasError() {
		return nil, c.diags
	}
	out.metadata = md
	return out, c.diags
}

// types checks the Types of a hook or action at path at.
func (c *checker) types(at string, types []string) {
	for j, t := range types {
		switch {
		case !contenttypes.ValidKey(t):
			c.errorf(fmt.Sprintf("%s.types[%d]", at, j), "content type key %q is invalid", t)
		case slices.Contains(types[:j], t):
			c.errorf(fmt.Sprintf("%s.types[%d]", at, j), "content type %q is listed twice", t)
		}
	}
}

// eventHook returns the hook binding of an event name.
func eventHook(e EventName) (string, bool) {
	switch e {
	case AfterSave, AfterPublish, AfterUnpublish, Workflow:
		return string(e), true
	}
	if state, ok := strings.CutPrefix(string(e), string(Workflow)+"."); ok && contenttypes.ValidKey(state) {
		return protocol.HookWorkflow, true
	}
	return "", false
}

func (ep *Endpoint) methodOrGet() string {
	if ep.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(ep.Method)
}

// endpoint checks one endpoint and returns its route and spec (nil when
// unusable).
func (c *checker) endpoint(at string, ep *Endpoint, types map[string]*contenttypes.ContentType) (*route, *pluginv1.EndpointSpec) {
	n := len(c.diags)
	r := &route{ep: ep, method: ep.methodOrGet()}
	if r.method != http.MethodGet {
		c.errorf(at+".method", "method %q is not supported; delivery endpoints are read-only (GET)", ep.Method)
	}
	switch {
	case ep.Handle == nil && ep.Related == nil:
		c.errorf(at+".handle", "endpoint %s has neither Handle nor Related", ep.Path)
	case ep.Handle != nil && ep.Related != nil:
		c.errorf(at+".related", "endpoint %s has both Handle and Related; the host serves a Related endpoint itself, so drop Handle", ep.Path)
	}
	if ep.CacheMaxAge < 0 || ep.CacheMaxAge%time.Second != 0 {
		c.errorf(at+".cache_max_age", "CacheMaxAge must be 0 or a whole number of seconds, got %s", ep.CacheMaxAge)
	}

	pathParams := map[string]bool{}
	switch {
	case !strings.HasPrefix(ep.Path, "/"):
		c.errorf(at+".path", "path %q must start with \"/\" (it is below /api/v1)", ep.Path)
	case ep.Path == "/":
		c.errorf(at+".path", "path \"/\" is reserved")
	case strings.HasSuffix(ep.Path, "/"):
		c.errorf(at+".path", "path %q must not end with \"/\"", ep.Path)
	default:
		r.segments = strings.Split(ep.Path[1:], "/")
		for j, seg := range r.segments {
			if m := paramSegment.FindStringSubmatch(seg); m != nil {
				if j == 0 {
					c.errorf(at+".path", "path %q: the first segment must be literal", ep.Path)
				}
				if pathParams[m[1]] {
					c.errorf(at+".path", "path %q: parameter %q appears twice", ep.Path, m[1])
				}
				pathParams[m[1]] = true
				continue
			}
			if !literalSegment.MatchString(seg) || seg == "." || seg == ".." {
				c.errorf(at+".path", "path %q: segment %q is invalid; expected letters, digits, '.', '_', '~', '-' or a parameter {name}", ep.Path, seg)
			}
		}
		if first := r.segments[0]; first == reservedContent || first == reservedMedia || ep.Path == "/"+reservedOpenAPI {
			c.errorf(at+".path", "path %q collides with the built-in delivery API (/api/v1/content, /api/v1/media, /api/v1/openapi.json)", ep.Path)
		}
	}

	spec := &pluginv1.EndpointSpec{
		Method: r.method, Path: ep.Path, Summary: ep.Summary, Description: ep.Description,
		CacheMaxAgeSeconds: int32(min(ep.CacheMaxAge/time.Second, 1<<31-1)),
	}
	if ep.ResponseSchema != nil {
		raw, err := json.Marshal(ep.ResponseSchema)
		if err != nil {
			c.errorf(at+".response_schema", "response schema cannot be encoded: %v", err)
		}
		spec.ResponseSchemaJson = raw
	}

	params := ep.Params
	if ep.Related != nil {
		spec.Related = c.relatedList(at+".related", ep, pathParams, types)
		if spec.Related != nil && len(params) == 0 {
			params = relatedParams(spec.Related)
		}
		if spec.Related != nil && ep.ResponseSchema == nil {
			spec.ResponseSchemaJson, _ = json.Marshal(relatedSchema(spec.Related))
		}
	}

	seen := map[string]bool{}
	for j, prm := range params {
		pat := at + ".params[" + strconv.Itoa(j) + "]"
		if prm.In == "" {
			prm.In = InQuery
			if pathParams[prm.Name] {
				prm.In = InPath
			}
		}
		switch {
		case strings.TrimSpace(prm.Name) == "":
			c.errorf(pat+".name", "parameter has no name")
		case prm.In != InQuery && prm.In != InPath:
			c.errorf(pat+".in", "parameter %q: In must be %q or %q, got %q", prm.Name, InQuery, InPath, prm.In)
		case seen[prm.In+" "+prm.Name]:
			c.errorf(pat+".name", "parameter %q (%s) is declared twice", prm.Name, prm.In)
		case prm.In == InPath && !pathParams[prm.Name]:
			c.errorf(pat+".name", "path parameter %q does not appear in path %q", prm.Name, ep.Path)
		}
		if prm.In == InPath {
			prm.Required = true
		}
		seen[prm.In+" "+prm.Name] = true
		r.params = append(r.params, prm)
	}
	for _, seg := range r.segments {
		if m := paramSegment.FindStringSubmatch(seg); m != nil && !seen[InPath+" "+m[1]] {
			r.params = append(r.params, Param{Name: m[1], In: InPath, Required: true})
			seen[InPath+" "+m[1]] = true
		}
	}
	for j, prm := range r.params {
		schema := prm.Schema
		if schema == nil {
			schema = map[string]any{"type": "string"}
		}
		raw, err := json.Marshal(schema)
		if err != nil {
			c.errorf(at+".params["+strconv.Itoa(j)+"].schema", "parameter %q: schema cannot be encoded: %v", prm.Name, err)
		}
		spec.Params = append(spec.Params, &pluginv1.ParamSpec{
			Name: prm.Name, In: prm.In, Required: prm.Required, Description: prm.Description, SchemaJson: raw,
		})
	}
	if len(c.diags) > n {
		return nil, nil
	}
	return r, spec
}

// routeShape is a path with its parameter names erased: "/a/{}/b".
func routeShape(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		if paramSegment.MatchString(s) {
			b.WriteString("{}")
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// joinPath prefixes a diagnostic path.
func joinPath(prefix, path string) string {
	switch {
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}
