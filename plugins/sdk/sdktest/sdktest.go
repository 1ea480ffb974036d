// Package sdktest runs a plugin inside a unit test, against an in-memory
// Inkling host, through real gRPC and the real go-plugin broker: the
// plugin's RPCs and its calls back into the Host service travel exactly as
// they do between two processes (minus the process boundary and TLS).
//
//	func TestQuickRecipes(t *testing.T) {
//		h := sdktest.New(t, newPlugin(), nil) // grants the scopes the plugin asks for
//		h.Store.Add(sdk.Entry{Type: "recipe", Title: "Toast", Live: true, Fields: contenttypes.Values{...}})
//		resp, err := h.Get(t.Context(), "/recipes/quick?max_minutes=10")
//		...
//	}
//
// The in-memory host enforces scopes as plugin.proto documents them (a
// call without its scope fails with sdk.ErrPermission; GetSettings is
// always allowed), checks saved values against the plugin's own content
// types with contenttypes.Prepare, and records drafts, enqueued jobs,
// invalidated cache tags and stored media in [Harness.Store]. It does not
// run hooks on the plugin's own saves, and lists entries in the order they
// were added.
package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
	"google.golang.org/grpc"
)

// Options configure the test host. A nil *Options grants the scopes the
// plugin asks for, with no settings and no secrets.
type Options struct {
	// Scopes are the granted scopes. Nil grants exactly what the plugin
	// asks for (Plugin.Scopes); an empty, non-nil slice grants none.
	Scopes []string
	// Settings and Secrets are what the host hands over in Configure
	// (settings only) and GetSettings (both).
	Settings map[string]string
	Secrets  map[string]string
	// HostVersion is sent in Configure; empty means "sdktest".
	HostVersion string
	// Types are content types of other plugins (or the engine) that the
	// in-memory host knows besides the plugin's own, so that a plugin
	// working on another plugin's types saves checked values, e.g.
	// Types: cslewis.Plugin().ContentTypes.
	Types []contenttypes.ContentType
	// NoConfigure leaves the plugin unconfigured: call
	// [Harness.Configure] yourself (to test a failing Configure, or a call
	// made before it).
	NoConfigure bool
}

// Harness is a plugin served to an in-memory host.
type Harness struct {
	// Store is the in-memory host's content and record.
	Store *Store
	// Client is the raw Plugin service client, for calls the Harness
	// methods do not cover.
	Client *protocol.Client
	// Metadata is the plugin's GetMetadata answer, read once by New.
	Metadata *pluginv1.GetMetadataResponse

	t           testing.TB
	maxAttempts map[string]int // per job kind
	brokerID    uint32
	scopes      []string
	version     string
	settings    map[string]string
}

// New serves p to a fresh in-memory host over gRPC and, unless
// opts.NoConfigure, configures it. A declaration that does not pass
// p.Check, or a Configure that fails, fails the test. Everything is shut
// down when the test ends.
func New(t testing.TB, p *sdk.Plugin, opts *Options) *Harness {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	pc := *p
	if pc.Logger == nil {
		w := &testWriter{t: t}
		t.Cleanup(w.close)
		pc.Logger = slog.New(slog.NewTextHandler(w, nil))
	}
	set, err := sdk.PluginSet(&pc)
	if err != nil {
		t.Fatalf("sdktest: the plugin declaration is invalid: %v", err)
	}
	client, server := plugin.TestPluginGRPCConn(t, false, set)
	t.Cleanup(func() {
		// Stop the server first: client.Close asks a live server to stop
		// itself, which would race with a Stop of our own.
		server.Stop()
		_ = client.Close()
	})
	raw, err := client.Dispense(protocol.PluginKey)
	if err != nil {
		t.Fatalf("sdktest: dispensing the plugin: %v", err)
	}
	pcl, ok := raw.(*protocol.Client)
	if !ok {
		t.Fatalf("sdktest: dispensed %T, expected *protocol.Client", raw)
	}
	ctx := context.Background()
	md, err := pcl.GetMetadata(ctx, &pluginv1.GetMetadataRequest{})
	if err != nil {
		t.Fatalf("sdktest: GetMetadata: %v", err)
	}
	types, err := schema(ctx, pcl)
	if err != nil {
		t.Fatalf("sdktest: GetSchema: %v", err)
	}
	scopes := opts.Scopes
	if scopes == nil {
		scopes = md.GetScopes()
	}
	version := opts.HostVersion
	if version == "" {
		version = "sdktest"
	}
	h := &Harness{
		Store: newStore(t, append(slices.Clone(opts.Types), types...), opts.Settings, opts.Secrets), Client: pcl, Metadata: md,
		t: t, scopes: scopes, version: version, settings: opts.Settings,
	}
	hs := &hostServer{plugin: md.GetName(), store: h.Store, scopes: scopes}
	for _, k := range md.GetJobKinds() {
		hs.jobKinds = append(hs.jobKinds, k.GetKind())
	}
	h.maxAttempts = map[string]int{}
	for _, k := range md.GetJobKinds() {
		if h.maxAttempts[k.GetKind()] = int(k.GetMaxAttempts()); k.GetMaxAttempts() == 0 {
			h.maxAttempts[k.GetKind()] = DefaultMaxAttempts
		}
	}
	h.brokerID = pcl.Broker.NextId()
	go pcl.Broker.AcceptAndServe(h.brokerID, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		pluginv1.RegisterHostServer(s, hs)
		return s
	})
	if !opts.NoConfigure {
		diags, err := h.Configure(ctx)
		if err != nil {
			t.Fatalf("sdktest: Configure: %v", err)
		}
		if diags.HasError() {
			t.Fatalf("sdktest: Configure: %v", diags)
		}
	}
	return h
}

// Configure hands the plugin its settings, granted scopes and the broker
// id of the in-memory Host service, as the host does once per start.
func (h *Harness) Configure(ctx context.Context) (contenttypes.Diagnostics, error) {
	resp, err := h.Client.Configure(ctx, &pluginv1.ConfigureRequest{
		HostBrokerId: h.brokerID, Settings: h.settings, GrantedScopes: h.scopes, HostVersion: h.version,
	})
	if err != nil {
		return nil, err
	}
	return diagsFromProto(resp.GetDiagnostics()), nil
}

// Schema returns the content types the plugin declares (GetSchema).
func (h *Harness) Schema(ctx context.Context) ([]contenttypes.ContentType, error) {
	return schema(ctx, h.Client)
}

func schema(ctx context.Context, c *protocol.Client) ([]contenttypes.ContentType, error) {
	resp, err := c.GetSchema(ctx, &pluginv1.GetSchemaRequest{})
	if err != nil {
		return nil, err
	}
	out := make([]contenttypes.ContentType, 0, len(resp.GetContentTypesJson()))
	for _, raw := range resp.GetContentTypesJson() {
		var ct contenttypes.ContentType
		if err := json.Unmarshal(raw, &ct); err != nil {
			return nil, fmt.Errorf("decoding a content type: %w", err)
		}
		out = append(out, ct)
	}
	return out, nil
}

// Save is an entry being saved, for [Harness.Save], [Harness.Validate]
// and [Harness.BeforeSave].
type Save struct {
	Type string
	// EntryID is empty for a create.
	EntryID string
	Title   string
	Slug    string
	// Fields are the field values: anything JSON-encodable, or a string
	// (or json.RawMessage) holding the JSON object itself.
	Fields any
	// Unprepared sends Fields as they are. By default, when the plugin
	// declares Type, they are first prepared with contenttypes.Prepare
	// (defaults applied on create, block ids assigned) as the host does,
	// and values that fail it never reach the hooks.
	Unprepared bool
	// Actor defaults to an admin user.
	Actor sdk.Principal
}

// prepare returns the fields the host would send for s, or the errors
// that would stop the save before any hook.
func (h *Harness) prepare(s Save) ([]byte, contenttypes.Diagnostics, error) {
	raw, err := encode(s.Fields)
	if err != nil {
		return nil, nil, err
	}
	ct, ok := h.Store.types[s.Type]
	if s.Unprepared || !ok {
		return raw, nil, nil
	}
	v, ds := ct.Prepare(raw, &contenttypes.PrepareOptions{ApplyDefaults: s.EntryID == ""})
	if ds.HasError() {
		return nil, ds.Errors(), nil
	}
	raw, err = json.Marshal(v)
	return raw, nil, err
}

func (s Save) request(hook string, fields []byte) *pluginv1.HookRequest {
	return &pluginv1.HookRequest{
		Hook: hook, Actor: actor(s.Actor), Type: s.Type, EntryId: s.EntryID,
		Title: s.Title, Slug: s.Slug, FieldsJson: fields,
	}
}

// Validate runs the plugin's validate hooks on s, as the host does before
// a save. When the values do not pass the content type, the hooks do not
// run and the diagnostics are the content type's errors.
func (h *Harness) Validate(ctx context.Context, s Save) (contenttypes.Diagnostics, error) {
	fields, ds, err := h.prepare(s)
	if err != nil || ds != nil {
		return ds, err
	}
	return h.validate(ctx, s, fields)
}

func (h *Harness) validate(ctx context.Context, s Save, fields []byte) (contenttypes.Diagnostics, error) {
	resp, err := h.Client.Validate(ctx, s.request(protocol.HookValidate, fields))
	if err != nil {
		return nil, err
	}
	return diagsFromProto(resp.GetDiagnostics()), nil
}

// BeforeSave runs the plugin's before_save hooks on s. The values are nil
// when no hook changed them. When the values do not pass the content
// type, the hooks do not run and the diagnostics are the content type's
// errors.
func (h *Harness) BeforeSave(ctx context.Context, s Save) (contenttypes.Values, contenttypes.Diagnostics, error) {
	fields, ds, err := h.prepare(s)
	if err != nil || ds != nil {
		return nil, ds, err
	}
	out, ds, err := h.beforeSave(ctx, s, fields)
	if err != nil || out == nil {
		return nil, ds, err
	}
	v, err := contenttypes.DecodeValues(out)
	return v, ds, err
}

func (h *Harness) beforeSave(ctx context.Context, s Save, fields []byte) ([]byte, contenttypes.Diagnostics, error) {
	resp, err := h.Client.BeforeSave(ctx, s.request(protocol.HookBeforeSave, fields))
	if err != nil {
		return nil, nil, err
	}
	return resp.GetFieldsJson(), diagsFromProto(resp.GetDiagnostics()), nil
}

// Save runs the host's save pipeline on s without storing anything:
// prepare the values, run the before_save hooks, then the validate hooks
// on their result, then prepare the result again. It returns the values
// that would be stored and every diagnostic; the save would be refused
// when they hold an error.
func (h *Harness) Save(ctx context.Context, s Save) (contenttypes.Values, contenttypes.Diagnostics, error) {
	fields, ds, err := h.prepare(s)
	if err != nil || ds != nil {
		return nil, ds, err
	}
	out, diags, err := h.beforeSave(ctx, s, fields)
	if err != nil || diags.HasError() {
		return nil, diags, err
	}
	if out != nil {
		fields = out
	}
	vds, err := h.validate(ctx, s, fields)
	if err != nil {
		return nil, nil, err
	}
	diags = append(diags, vds...)
	if out != nil {
		again := s
		again.Fields, again.Unprepared = json.RawMessage(out), false
		if fields, ds, err = h.prepare(again); err != nil || ds != nil {
			return nil, append(diags, ds...), err
		}
	}
	if diags.HasError() {
		return nil, diags, nil
	}
	v, err := contenttypes.DecodeValues(fields)
	return v, diags, err
}

// Event is an after-commit event to deliver with [Harness.Event].
type Event struct {
	// Name is sdk.AfterSave, sdk.AfterPublish, sdk.AfterUnpublish or
	// sdk.WorkflowState(state).
	Name sdk.EventName
	// Entry is the entry the event is about. When nil, EntryID is looked
	// up in the Store: its live version for after_publish, its latest
	// draft otherwise.
	Entry   *sdk.Entry
	EntryID string
	// ID defaults to a fresh id; Attempt defaults to 1; Actor to an admin
	// user.
	ID      string
	Attempt int
	Actor   sdk.Principal
}

// Event delivers an event to the plugin, as the host does after commit.
func (h *Harness) Event(ctx context.Context, ev Event) error {
	e := ev.Entry
	if e == nil {
		var ok bool
		if ev.Name == sdk.AfterPublish {
			e, ok = h.Store.LiveEntry(ev.EntryID)
		} else {
			e, ok = h.Store.Entry(ev.EntryID)
		}
		if !ok {
			return fmt.Errorf("sdktest: Event %s: no entry %q in the store (live: %t)", ev.Name, ev.EntryID, ev.Name == sdk.AfterPublish)
		}
	}
	if ev.ID == "" {
		h.Store.mu.Lock()
		ev.ID = h.Store.next("ev")
		h.Store.mu.Unlock()
	}
	if ev.Attempt == 0 {
		ev.Attempt = 1
	}
	_, err := h.Client.HandleEvent(ctx, &pluginv1.EventRequest{
		Event: string(ev.Name), EventId: ev.ID, Actor: actor(ev.Actor), Entry: entryToProto(e), Attempt: int32(ev.Attempt),
	})
	return err
}

// Request is a delivery request for [Harness.Endpoint].
type Request struct {
	// Method defaults to GET.
	Method string
	// Target is the path below /api/v1 with its query string, e.g.
	// "/recipes/quick?max_minutes=30" (a leading "/api/v1" is dropped).
	Target  string
	Headers map[string]string
	Preview bool
}

// Response is an endpoint's answer.
type Response struct {
	Status int
	// Body is the JSON body of a 2xx.
	Body      json.RawMessage
	CacheTags []string
	// Detail and Diagnostics describe a 4xx (the problem response).
	Detail      string
	Diagnostics contenttypes.Diagnostics
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Get requests target (e.g. "/recipes/quick?max_minutes=30") with GET.
func (h *Harness) Get(ctx context.Context, target string) (*Response, error) {
	return h.Endpoint(ctx, Request{Target: target})
}

// Endpoint routes r to the plugin's endpoint as the host does: it matches
// the path against the declared templates (literal segments before
// parameters) and sends the template, the path parameters and the query.
// A path no endpoint declares is a 404 response, as from the host.
func (h *Harness) Endpoint(ctx context.Context, r Request) (*Response, error) {
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(r.Target)
	if err != nil {
		return nil, fmt.Errorf("sdktest: target %q: %w", r.Target, err)
	}
	p := strings.TrimPrefix(u.EscapedPath(), "/api/v1")
	tmpl, params, ok := route(h.Metadata.GetEndpoints(), method, p)
	if !ok {
		return &Response{Status: http.StatusNotFound, Detail: fmt.Sprintf("no route %s /api/v1%s", method, p)}, nil
	}
	query := map[string]string{}
	for k, vs := range u.Query() {
		if len(vs) > 0 {
			query[k] = vs[len(vs)-1]
		}
	}
	resp, err := h.Client.HandleEndpoint(ctx, &pluginv1.EndpointRequest{
		Method: method, Path: tmpl, PathParams: params, Query: query, Headers: r.Headers, Preview: r.Preview,
	})
	if err != nil {
		return nil, err
	}
	if st := resp.GetStatus(); st >= 200 && st < 300 && !json.Valid(resp.GetBody()) && len(bytes.TrimSpace(resp.GetBody())) > 0 {
		// The host fails the request (500) on such a body.
		return nil, fmt.Errorf("sdktest: %s %s returned a body that is not valid JSON (the host refuses it with a 500): %.80q", method, tmpl, resp.GetBody())
	}
	return &Response{
		Status: int(resp.GetStatus()), Body: resp.GetBody(), CacheTags: resp.GetCacheTags(),
		Detail: resp.GetDetail(), Diagnostics: diagsFromProto(resp.GetDiagnostics()),
	}, nil
}

// RunJob runs a job of the plugin (attempt 1) with args encoded as JSON.
func (h *Harness) RunJob(ctx context.Context, kind string, args any) error {
	return h.RunJobAttempt(ctx, kind, args, 1)
}

// DefaultMaxAttempts is the host's default bound on the runs of one job,
// for job kinds that do not declare MaxAttempts.
const DefaultMaxAttempts = 10

// RunJobAttempt runs a job as its attempt-th run (from 1), with the
// MaxAttempts the plugin declared for the kind (DefaultMaxAttempts when
// none), as the host's retries do: use it to test a job's last attempt.
func (h *Harness) RunJobAttempt(ctx context.Context, kind string, args any, attempt int) error {
	raw, err := encode(args)
	if err != nil {
		return err
	}
	_, err = h.Client.RunJob(ctx, &pluginv1.JobRequest{Kind: kind, ArgsJson: raw, Attempt: int32(attempt),
		MaxAttempts: int32(h.maxAttempts[kind])})
	return err
}

// RunEnqueued runs the jobs the plugin enqueued, in order and ignoring
// their delays, including jobs those jobs enqueue, until none is left. It
// stops at the first failing job and returns how many jobs succeeded.
func (h *Harness) RunEnqueued(ctx context.Context) (int, error) {
	n := 0
	for {
		jobs := h.Store.takeJobs()
		if len(jobs) == 0 {
			return n, nil
		}
		for _, j := range jobs {
			if _, err := h.Client.RunJob(ctx, &pluginv1.JobRequest{Kind: j.Kind, ArgsJson: j.Args, Attempt: 1,
				MaxAttempts: int32(h.maxAttempts[j.Kind])}); err != nil {
				return n, fmt.Errorf("job %s (%s): %w", j.ID, j.Kind, err)
			}
			n++
		}
	}
}

// Action is an admin action run for [Harness.RunAction].
type Action struct {
	Name    string
	EntryID string
	// Params are encoded as JSON (a string or json.RawMessage is the JSON
	// itself).
	Params any
	// Actor defaults to an admin user.
	Actor sdk.Principal
}

// RunAction runs an admin action and returns its JSON result and
// diagnostics.
func (h *Harness) RunAction(ctx context.Context, a Action) (json.RawMessage, contenttypes.Diagnostics, error) {
	raw, err := encode(a.Params)
	if err != nil {
		return nil, nil, err
	}
	resp, err := h.Client.RunAction(ctx, &pluginv1.ActionRequest{
		Action: a.Name, Actor: actor(a.Actor), EntryId: a.EntryID, ParamsJson: raw,
	})
	if err != nil {
		return nil, nil, err
	}
	return resp.GetResultJson(), diagsFromProto(resp.GetDiagnostics()), nil
}

// encode encodes v as JSON; a string or json.RawMessage is the JSON
// itself, and nil is no value.
func encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	case json.RawMessage:
		return x, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sdktest: encoding %T: %w", v, err)
	}
	return raw, nil
}

// actor fills in the default principal.
func actor(p sdk.Principal) *pluginv1.Principal {
	if p == (sdk.Principal{}) {
		p = sdk.Principal{Kind: "user", ID: "u-test", Name: "Test Admin", Role: "admin"}
	}
	return &pluginv1.Principal{Kind: p.Kind, Id: p.ID, Name: p.Name, Role: p.Role}
}

// testWriter sends the plugin's log lines to t.Log until the test ends.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

var _ io.Writer = (*testWriter)(nil)
