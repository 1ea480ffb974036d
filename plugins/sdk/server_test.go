package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMetadata(t *testing.T) {
	p := basePlugin()
	p.Validate = append(p.Validate, sdk.ValidateHook{Types: []string{"page"}, Func: p.Validate[0].Func})
	p.Events = append(p.Events,
		sdk.EventHook{Event: sdk.WorkflowState("approved"), Types: []string{"note"}, Func: p.Events[0].Func},
		sdk.EventHook{Event: sdk.Workflow, Types: []string{"page"}, Func: p.Events[0].Func})
	p.Jobs = append(p.Jobs, sdk.Job{Kind: "nightly", Description: "Nightly sweep", Every: 24 * time.Hour, Run: p.Jobs[0].Run})
	p.Endpoints[0].Params = []sdk.Param{{Name: "limit", Description: "at most", Schema: map[string]any{"type": "integer"}}}
	p.Endpoints[0].CacheMaxAge = time.Minute
	p.Endpoints[0].ResponseSchema = map[string]any{"type": "array"}
	h := sdktest.New(t, p, nil)
	md, err := h.Client.GetMetadata(t.Context(), &pluginv1.GetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if md.GetName() != "notes" || md.GetVersion() != "1.0.0" || md.GetSdkVersion() != sdk.Version || md.GetProtocolVersion() != protocol.Version {
		t.Errorf("identity: %v", md)
	}
	if !slices.Equal(md.GetContentTypes(), []string{"note"}) || !slices.Equal(md.GetScopes(), []string{sdk.ScopeEntriesRead}) {
		t.Errorf("types/scopes: %v %v", md.GetContentTypes(), md.GetScopes())
	}
	hooks := map[string][]string{}
	for _, b := range md.GetHooks() {
		hooks[b.GetHook()] = b.GetTypes()
	}
	want := map[string][]string{
		"validate":      {"note", "page"}, // the union of the hooks' types
		"before_save":   nil,              // every type
		"after_publish": nil,
		"workflow":      {"note", "page"}, // workflow.approved binds "workflow"
	}
	if !reflect.DeepEqual(hooks, want) {
		t.Errorf("hooks: got %v, want %v", hooks, want)
	}
	if jk := md.GetJobKinds(); len(jk) != 2 || jk[1].GetKind() != "nightly" || jk[1].GetEverySeconds() != 86400 || jk[0].GetEverySeconds() != 0 {
		t.Errorf("job kinds: %v", jk)
	}
	ep := md.GetEndpoints()[0]
	if ep.GetMethod() != "GET" || ep.GetPath() != "/notes/{id}/related" || ep.GetCacheMaxAgeSeconds() != 60 || string(ep.GetResponseSchemaJson()) != `{"type":"array"}` {
		t.Errorf("endpoint: %v", ep)
	}
	var params []string
	for _, prm := range ep.GetParams() {
		params = append(params, fmt.Sprintf("%s:%s:%t:%s", prm.GetName(), prm.GetIn(), prm.GetRequired(), prm.GetSchemaJson()))
	}
	// The path parameter is added, required, with a default schema.
	wantParams := []string{`limit:query:false:{"type":"integer"}`, `id:path:true:{"type":"string"}`}
	if !slices.Equal(params, wantParams) {
		t.Errorf("params: got %v, want %v", params, wantParams)
	}
	if a := md.GetActions()[0]; a.GetName() != "retag" || a.GetLabel() != "Retag" || !slices.Equal(a.GetTypes(), []string{"note"}) {
		t.Errorf("action: %v", a)
	}
}

// TestMetadataRelatedList: a declared related list travels with its
// defaults filled in and documents its parameters and body in OpenAPI; the
// plugin never serves it itself.
func TestMetadataRelatedList(t *testing.T) {
	p := basePlugin()
	relatedOnly(p, sdk.RelatedList{Type: "note", Field: "tags", FilterField: "rating", ItemKey: "note"})
	h := sdktest.New(t, p, nil)
	md, err := h.Client.GetMetadata(t.Context(), &pluginv1.GetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ep := md.GetEndpoints()[0]
	rl := ep.GetRelated()
	got := fmt.Sprintf("%s %s seed=%s filter=%s/%s limit=%s %d..%d keys=%s,%s", rl.GetType(), rl.GetField(), rl.GetSeedParam(),
		rl.GetFilterField(), rl.GetFilterParam(), rl.GetLimitParam(), rl.GetDefaultLimit(), rl.GetMaxLimit(), rl.GetItemKey(), rl.GetSeedKey())
	if want := "note tags seed=id filter=rating/rating limit=limit 20..50 keys=note,seed_id"; got != want {
		t.Errorf("spec: got %s, want %s", got, want)
	}
	var params []string
	for _, prm := range ep.GetParams() {
		params = append(params, fmt.Sprintf("%s:%s:%t:%s", prm.GetName(), prm.GetIn(), prm.GetRequired(), prm.GetSchemaJson()))
	}
	wantParams := []string{`id:path:true:{"type":"string"}`, `rating:query:false:{"type":"string"}`,
		`limit:query:false:{"default":20,"maximum":50,"minimum":1,"type":"integer"}`}
	if !slices.Equal(params, wantParams) {
		t.Errorf("params: got %v, want %v", params, wantParams)
	}
	var schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(ep.GetResponseSchemaJson(), &schema); err != nil || !slices.Equal(schema.Required, []string{"seed_id", "items"}) ||
		!strings.Contains(string(schema.Properties["items"]), `"note"`) {
		t.Errorf("response schema: %s (%v)", ep.GetResponseSchemaJson(), err)
	}
	_, err = h.Client.HandleEndpoint(t.Context(), &pluginv1.EndpointRequest{Method: "GET", Path: "/notes/{id}/related", PathParams: map[string]string{"id": "n1"}})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "the host serves itself") {
		t.Errorf("HandleEndpoint: got %v, want Unimplemented", err)
	}
}

func TestSchema(t *testing.T) {
	h := sdktest.New(t, basePlugin(), nil)
	types, err := h.Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := noteType()
	if len(types) != 1 || types[0].Hash() != want.Hash() {
		t.Fatalf("got %+v, want %+v", types, want)
	}
}

func TestValidate(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	p := basePlugin()
	p.Validate = []sdk.ValidateHook{
		{Types: []string{"note"}, Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) contenttypes.Diagnostics {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("first %s %s %s %s %t", e.Hook, e.Type, e.EntryID, e.Actor.Role, e.ContentType != nil))
			mu.Unlock()
			var ds contenttypes.Diagnostics
			var steps struct {
				Steps []sdk.Block `json:"steps"`
			}
			if err := e.Decode(&steps); err != nil {
				ds.AppendError("fields.steps", contenttypes.CodeTypeMismatch, err.Error())
				return ds
			}
			for i, b := range steps.Steps {
				var s struct {
					Minutes int `json:"minutes"`
				}
				if err := b.Decode(&s); err == nil && s.Minutes > 60 {
					ds.AppendError(sdk.BlockPath("fields.steps", i, b.ID)+".value.minutes", contenttypes.CodeOutOfRange, "at most an hour")
				}
			}
			e.Fields["body"] = "mutated" // must not leak into the next hook
			return ds
		}},
		{Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) contenttypes.Diagnostics {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("second %s %v", e.Type, e.Fields["body"]))
			mu.Unlock()
			var ds contenttypes.Diagnostics
			ds.AppendWarning("fields.body", "style", "consider a longer body")
			return ds
		}},
	}
	h := sdktest.New(t, p, nil)
	cases := []struct {
		name      string
		save      sdktest.Save
		wantSeen  []string
		wantDiags []string // path code
	}{
		{
			name: "both hooks on a note, merged diagnostics, block paths by id and index",
			// Unprepared: the host would have given the second block an id.
			save: sdktest.Save{Type: "note", EntryID: "e1", Unprepared: true, Fields: `{"body": "hi", "steps": [
				{"type": "step", "id": "s1", "value": {"text": "a", "minutes": 90}},
				{"type": "step", "value": {"text": "b", "minutes": 61}},
				{"type": "step", "id": "s3", "value": {"text": "c", "minutes": 5}}]}`},
			wantSeen:  []string{"first validate note e1 admin true", "second note hi"},
			wantDiags: []string{"fields.steps[s1].value.minutes out_of_range", "fields.steps[1].value.minutes out_of_range", "fields.body style"},
		},
		{
			name:      "only the every-type hook on another type",
			save:      sdktest.Save{Type: "page", Fields: map[string]any{"body": "x"}},
			wantSeen:  []string{"second page x"},
			wantDiags: []string{"fields.body style"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			ds, err := h.Validate(t.Context(), tc.save)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seen, tc.wantSeen) {
				t.Errorf("hooks: got %q, want %q", seen, tc.wantSeen)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Path+" "+d.Code)
			}
			if !slices.Equal(got, tc.wantDiags) {
				t.Errorf("diagnostics: got %q, want %q", got, tc.wantDiags)
			}
		})
	}

	t.Run("malformed request", func(t *testing.T) {
		_, err := h.Validate(t.Context(), sdktest.Save{Type: "note", Fields: `[1]`, Unprepared: true})
		wantCode(t, err, codes.InvalidArgument, "fields_json")
		_, err = h.Validate(t.Context(), sdktest.Save{Fields: `{}`})
		wantCode(t, err, codes.InvalidArgument, "no content type")
		_, err = h.Client.Validate(t.Context(), &pluginv1.HookRequest{Hook: "before_save", Type: "note"})
		wantCode(t, err, codes.InvalidArgument, `names hook "before_save"`)
	})
}

func TestBeforeSave(t *testing.T) {
	lower := sdk.BeforeSaveHook{Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
		body, _ := e.Fields["body"].(string)
		e.Fields["body"] = strings.ToLower(body)
		return e.Fields, nil
	}}
	exclaim := sdk.BeforeSaveHook{Types: []string{"note"}, Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
		body, _ := e.Fields["body"].(string)
		return contenttypes.Values{"body": body + "!", "rating": e.Fields["rating"]}, nil
	}}
	noop := sdk.BeforeSaveHook{Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
		e.Fields["body"] = "ignored: not returned"
		return nil, nil
	}}
	reject := sdk.BeforeSaveHook{Func: func(_ context.Context, _ *sdk.Host, e *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
		var ds contenttypes.Diagnostics
		ds.AppendWarning("fields.body", "style", "shouting")
		if e.Fields["body"] == "stop!" {
			ds.AppendError("fields.body", "forbidden_word", "no stopping")
		}
		return contenttypes.Values{"body": "never seen"}, ds
	}}
	cases := []struct {
		name      string
		hooks     []sdk.BeforeSaveHook
		typ       string
		fields    string
		want      string // JSON of the values, "" for unchanged
		wantDiags []string
	}{
		{"chain: each sees the previous output", []sdk.BeforeSaveHook{lower, exclaim}, "note", `{"body":"HeLLo","rating":3}`, `{"body":"hello!","rating":3}`, nil},
		{"order matters", []sdk.BeforeSaveHook{exclaim, lower}, "note", `{"body":"HeLLo"}`, `{"body":"hello!","rating":null}`, nil},
		{"hooks bound to other types are skipped", []sdk.BeforeSaveHook{exclaim, lower}, "page", `{"body":"HeLLo"}`, `{"body":"hello"}`, nil},
		{"no change without a returned value", []sdk.BeforeSaveHook{noop}, "note", `{"body":"x"}`, "", nil},
		{"no hook for the type", []sdk.BeforeSaveHook{exclaim}, "page", `{"body":"x"}`, "", nil},
		{"warnings pass, values apply", []sdk.BeforeSaveHook{reject}, "note", `{"body":"go"}`, `{"body":"never seen"}`, []string{"warning style"}},
		{"an error stops the chain", []sdk.BeforeSaveHook{exclaim, reject, lower}, "note", `{"body":"stop"}`, "", []string{"warning style", "error forbidden_word"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := basePlugin()
			p.BeforeSave = tc.hooks
			h := sdktest.New(t, p, nil)
			v, ds, err := h.BeforeSave(t.Context(), sdktest.Save{Type: tc.typ, Fields: tc.fields})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if v != nil {
				raw, _ := json.Marshal(v)
				got = string(raw)
			}
			if got != tc.want {
				t.Errorf("values: got %s, want %s", got, tc.want)
			}
			var gotDiags []string
			for _, d := range ds {
				gotDiags = append(gotDiags, string(d.Severity)+" "+d.Code)
			}
			if !slices.Equal(gotDiags, tc.wantDiags) {
				t.Errorf("diagnostics: got %q, want %q", gotDiags, tc.wantDiags)
			}
		})
	}
}

func TestPanicsAndErrorsDoNotKillThePlugin(t *testing.T) {
	p := basePlugin()
	p.Validate[0].Func = func(context.Context, *sdk.Host, *sdk.SaveEvent) contenttypes.Diagnostics { panic("validate exploded") }
	p.BeforeSave[0].Func = func(context.Context, *sdk.Host, *sdk.SaveEvent) (contenttypes.Values, contenttypes.Diagnostics) {
		var m map[string]any
		m["x"] = 1 // nil map: a runtime panic
		return nil, nil
	}
	p.Events[0].Func = func(context.Context, *sdk.Host, *sdk.Event) error { panic(errors.New("event exploded")) }
	p.Jobs[0].Run = func(context.Context, *sdk.Host, *sdk.JobRun) error { panic("job exploded") }
	p.Endpoints[0].Handle = func(context.Context, *sdk.Host, *sdk.Request) (*sdk.Response, error) { panic("endpoint exploded") }
	p.Actions[0].Run = func(context.Context, *sdk.Host, *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
		panic("action exploded")
	}
	p.Configure = func(context.Context, *sdk.Host) error { panic("configure exploded") }
	h := sdktest.New(t, p, &sdktest.Options{NoConfigure: true})
	ctx := t.Context()
	h.Store.Add(sdk.Entry{ID: "n1", Type: "note", Title: "N", Fields: contenttypes.Values{"body": "b"}, Live: true})

	calls := []struct {
		name string
		call func() error
		msg  string
	}{
		{"configure", func() error { _, err := h.Configure(ctx); return err }, "configure exploded"},
		{"validate", func() error {
			_, err := h.Validate(ctx, sdktest.Save{Type: "note", Fields: `{"body":"b"}`})
			return err
		}, "validate exploded"},
		{"before_save", func() error {
			_, _, err := h.BeforeSave(ctx, sdktest.Save{Type: "note", Fields: `{"body":"b"}`})
			return err
		}, "nil map"},
		{"event", func() error { return h.Event(ctx, sdktest.Event{Name: sdk.AfterPublish, EntryID: "n1"}) }, "event exploded"},
		{"job", func() error { return h.RunJob(ctx, "reindex", nil) }, "job exploded"},
		{"endpoint", func() error { _, err := h.Get(ctx, "/notes/n1/related"); return err }, "endpoint exploded"},
		{"action", func() error { _, _, err := h.RunAction(ctx, sdktest.Action{Name: "retag", EntryID: "n1"}); return err }, "action exploded"},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.call(), codes.Internal, c.msg, "panic")
		})
	}
	// Still serving.
	if _, err := h.Client.GetMetadata(ctx, &pluginv1.GetMetadataRequest{}); err != nil {
		t.Fatalf("the plugin died: %v", err)
	}
}

func TestEvents(t *testing.T) {
	var mu sync.Mutex
	var got []string
	record := func(tag string) func(context.Context, *sdk.Host, *sdk.Event) error {
		return func(_ context.Context, _ *sdk.Host, e *sdk.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, fmt.Sprintf("%s:%s:%s:%s:%d:%s:%t", tag, e.Name, e.ID, e.Entry.ID, e.Attempt, e.WorkflowState, e.Entry.Live))
			if e.Entry.Title == "fail" {
				return fmt.Errorf("%s failed", tag)
			}
			return nil
		}
	}
	p := basePlugin()
	p.Events = []sdk.EventHook{
		{Event: sdk.AfterPublish, Types: []string{"note"}, Func: record("pub-note")},
		{Event: sdk.AfterPublish, Func: record("pub-any")},
		{Event: sdk.AfterSave, Func: record("save")},
		{Event: sdk.AfterUnpublish, Func: record("unpub")},
		{Event: sdk.Workflow, Func: record("wf-any")},
		{Event: sdk.WorkflowState("approved"), Func: record("wf-approved")},
	}
	h := sdktest.New(t, p, nil)
	h.Store.Add(sdk.Entry{ID: "n1", Type: "note", Title: "N", Fields: contenttypes.Values{"body": "b"}, Live: true})
	page := &sdk.Entry{ID: "p1", Type: "page", Title: "P"}
	failing := &sdk.Entry{ID: "f1", Type: "note", Title: "fail"}
	cases := []struct {
		name string
		ev   sdktest.Event
		want []string
		err  codes.Code
	}{
		{"after_publish of a note", sdktest.Event{Name: sdk.AfterPublish, EntryID: "n1", ID: "ev1", Attempt: 2},
			[]string{"pub-note:after_publish:ev1:n1:2::true", "pub-any:after_publish:ev1:n1:2::true"}, codes.OK},
		{"after_publish of another type", sdktest.Event{Name: sdk.AfterPublish, Entry: page, ID: "ev2"},
			[]string{"pub-any:after_publish:ev2:p1:1::false"}, codes.OK},
		{"after_save", sdktest.Event{Name: sdk.AfterSave, EntryID: "n1", ID: "ev3"}, []string{"save:after_save:ev3:n1:1::true"}, codes.OK},
		{"after_unpublish", sdktest.Event{Name: sdk.AfterUnpublish, Entry: page, ID: "ev4"}, []string{"unpub:after_unpublish:ev4:p1:1::false"}, codes.OK},
		{"workflow.approved", sdktest.Event{Name: sdk.WorkflowState("approved"), Entry: page, ID: "ev5"},
			[]string{"wf-any:workflow.approved:ev5:p1:1:approved:false", "wf-approved:workflow.approved:ev5:p1:1:approved:false"}, codes.OK},
		{"workflow.rejected", sdktest.Event{Name: sdk.WorkflowState("rejected"), Entry: page, ID: "ev6"},
			[]string{"wf-any:workflow.rejected:ev6:p1:1:rejected:false"}, codes.OK},
		{"every handler runs; errors make the host retry", sdktest.Event{Name: sdk.AfterPublish, Entry: failing, ID: "ev7"},
			[]string{"pub-note:after_publish:ev7:f1:1::false", "pub-any:after_publish:ev7:f1:1::false"}, codes.Internal},
		{"unknown event", sdktest.Event{Name: "after_delete", Entry: page}, nil, codes.InvalidArgument},
		{"bare workflow", sdktest.Event{Name: sdk.Workflow, Entry: page}, nil, codes.InvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			err := h.Event(t.Context(), tc.ev)
			if tc.err == codes.OK && err != nil {
				t.Fatal(err)
			}
			if tc.err != codes.OK {
				wantCode(t, err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("both errors are reported", func(t *testing.T) {
		err := h.Event(t.Context(), sdktest.Event{Name: sdk.AfterPublish, Entry: failing})
		wantCode(t, err, codes.Internal, "pub-note failed", "pub-any failed")
	})
	t.Run("no entry", func(t *testing.T) {
		_, err := h.Client.HandleEvent(t.Context(), &pluginv1.EventRequest{Event: "after_save"})
		wantCode(t, err, codes.InvalidArgument, "no entry")
	})
}

func TestEndpoints(t *testing.T) {
	p := basePlugin()
	p.Endpoints = []sdk.Endpoint{
		{Path: "/notes/{id}/related", Params: []sdk.Param{{Name: "limit"}, {Name: "register", Required: true}},
			Handle: func(ctx context.Context, _ *sdk.Host, r *sdk.Request) (*sdk.Response, error) {
				limit, err := r.QueryInt("limit", 5)
				if err != nil {
					return nil, err
				}
				switch r.PathParam("id") {
				case "missing":
					return nil, sdk.NotFound("note %q is not published", r.PathParam("id"))
				case "bad":
					return nil, sdk.BadRequest("bad note id", contenttypes.Diagnostic{Path: "id", Code: "invalid_format", Summary: "nope"})
				case "conflict":
					return nil, fmt.Errorf("wrapped: %w", sdk.Conflict("two notes share this slug"))
				case "boom":
					return nil, errors.New("database on fire")
				case "nil":
					return nil, nil
				case "teapot":
					return &sdk.Response{Status: http.StatusTeapot}, nil
				case "5xx":
					return nil, &sdk.Error{Status: 503, Detail: "later"}
				case "raw":
					return &sdk.Response{Body: json.RawMessage(`{"raw":true}`), CacheTags: []string{"x"}}, nil
				case "rawbad":
					return &sdk.Response{Body: json.RawMessage(`{"raw":`)}, nil
				case "slow":
					select {
					case <-ctx.Done():
						return nil, ctx.Err()
					case <-time.After(2 * time.Second):
					}
				}
				return sdk.OK(map[string]any{
					"id": r.PathParam("id"), "limit": limit, "register": r.QueryParam("register", ""),
					"template": r.Path, "lang": r.Header("accept-language"), "preview": r.Preview,
				}, "n1", "n2"), nil
			}},
		{Path: "/notes/latest", Handle: func(context.Context, *sdk.Host, *sdk.Request) (*sdk.Response, error) {
			return &sdk.Response{Status: http.StatusAccepted, Body: []int{1, 2}}, nil
		}},
	}
	h := sdktest.New(t, p, nil)
	cases := []struct {
		name     string
		req      sdktest.Request
		status   int
		body     string
		tags     []string
		detail   string
		diags    []string // path code
		grpcCode codes.Code
		grpcMsg  string
	}{
		{name: "ok", req: sdktest.Request{Target: "/api/v1/notes/n%201/related?register=a,b&limit=3", Headers: map[string]string{"Accept-Language": "fr"}, Preview: true},
			status: 200, body: `{"id":"n 1","lang":"fr","limit":3,"preview":true,"register":"a,b","template":"/notes/{id}/related"}`, tags: []string{"n1", "n2"}},
		{name: "literal route", req: sdktest.Request{Target: "/notes/latest"}, status: 202, body: `[1,2]`},
		{name: "raw body", req: sdktest.Request{Target: "/notes/raw/related?register=a"}, status: 200, body: `{"raw":true}`, tags: []string{"x"}},
		{name: "missing required query parameter", req: sdktest.Request{Target: "/notes/n1/related"},
			status: 422, detail: "the request is invalid", diags: []string{"register required"}},
		{name: "malformed integer", req: sdktest.Request{Target: "/notes/n1/related?register=a&limit=ten"},
			status: 422, detail: "the request is invalid", diags: []string{"limit invalid_format"}},
		{name: "not found", req: sdktest.Request{Target: "/notes/missing/related?register=a"}, status: 404, detail: `note "missing" is not published`},
		{name: "bad request", req: sdktest.Request{Target: "/notes/bad/related?register=a"}, status: 400, detail: "bad note id", diags: []string{"id invalid_format"}},
		{name: "wrapped conflict", req: sdktest.Request{Target: "/notes/conflict/related?register=a"}, status: 409, detail: "two notes share this slug"},
		{name: "unrouted path", req: sdktest.Request{Target: "/notes"}, status: 404, detail: "no route GET /api/v1/notes"},
		{name: "unexpected error", req: sdktest.Request{Target: "/notes/boom/related?register=a"}, grpcCode: codes.Internal, grpcMsg: "database on fire"},
		{name: "no response", req: sdktest.Request{Target: "/notes/nil/related?register=a"}, grpcCode: codes.Internal, grpcMsg: "neither a response nor an error"},
		{name: "non-2xx response", req: sdktest.Request{Target: "/notes/teapot/related?register=a"}, grpcCode: codes.Internal, grpcMsg: "status 418"},
		{name: "5xx sdk.Error", req: sdktest.Request{Target: "/notes/5xx/related?register=a"}, grpcCode: codes.Internal, grpcMsg: "503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.Endpoint(t.Context(), tc.req)
			if tc.grpcCode != codes.OK {
				wantCode(t, err, tc.grpcCode, tc.grpcMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status || string(resp.Body) != tc.body || !slices.Equal(resp.CacheTags, tc.tags) || !strings.Contains(resp.Detail, tc.detail) {
				t.Errorf("got %d %s tags=%v detail=%q", resp.Status, resp.Body, resp.CacheTags, resp.Detail)
			}
			var diags []string
			for _, d := range resp.Diagnostics {
				diags = append(diags, d.Path+" "+d.Code)
			}
			if !slices.Equal(diags, tc.diags) {
				t.Errorf("diagnostics: got %q, want %q", diags, tc.diags)
			}
		})
	}

	t.Run("a raw body that is not JSON", func(t *testing.T) {
		// Sent unchecked, as the host checks it (500); sdktest does too.
		_, err := h.Get(t.Context(), "/notes/rawbad/related?register=a")
		if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the host's deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := h.Get(ctx, "/notes/slow/related?register=a")
		wantCode(t, err, codes.DeadlineExceeded)
	})
	t.Run("raw calls", func(t *testing.T) {
		_, err := h.Client.HandleEndpoint(t.Context(), &pluginv1.EndpointRequest{Method: "GET", Path: "/nope"})
		wantCode(t, err, codes.NotFound, "no endpoint GET /nope", "GET /notes/latest")
		_, err = h.Client.HandleEndpoint(t.Context(), &pluginv1.EndpointRequest{Path: "/notes/{id}/related", Query: map[string]string{"register": "a"}})
		wantCode(t, err, codes.InvalidArgument, `path parameter "id" is missing`)
	})
}

func TestJobs(t *testing.T) {
	var mu sync.Mutex
	var runs []string
	p := basePlugin()
	p.Scopes = []string{sdk.ScopeJobsEnqueue}
	p.Jobs = []sdk.Job{
		{Kind: "fanout", Run: func(ctx context.Context, h *sdk.Host, j *sdk.JobRun) error {
			var args struct{ N int }
			if err := j.Decode(&args); err != nil {
				return err
			}
			for i := range args.N {
				if _, err := h.EnqueueJob(ctx, "leaf", map[string]int{"i": i}, time.Minute); err != nil {
					return err
				}
			}
			return nil
		}},
		{Kind: "leaf", Run: func(_ context.Context, _ *sdk.Host, j *sdk.JobRun) error {
			mu.Lock()
			defer mu.Unlock()
			runs = append(runs, fmt.Sprintf("%s %s %d", j.Kind, j.Args, j.Attempt))
			return nil
		}},
		{Kind: "failing", Run: func(context.Context, *sdk.Host, *sdk.JobRun) error { return errors.New("upstream 502") }},
		{Kind: "missing", Run: func(context.Context, *sdk.Host, *sdk.JobRun) error { return sdk.NotFound("gone") }},
	}
	h := sdktest.New(t, p, nil)
	ctx := t.Context()
	if err := h.RunJob(ctx, "fanout", map[string]int{"N": 2}); err != nil {
		t.Fatal(err)
	}
	jobs := h.Store.Jobs()
	if len(jobs) != 2 || jobs[0].Kind != "leaf" || string(jobs[1].Args) != `{"i":1}` || jobs[0].Delay != time.Minute {
		t.Fatalf("enqueued: %+v", jobs)
	}
	n, err := h.RunEnqueued(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RunEnqueued: %d, %v", n, err)
	}
	if want := []string{`leaf {"i":0} 1`, `leaf {"i":1} 1`}; !slices.Equal(runs, want) {
		t.Errorf("runs: got %q, want %q", runs, want)
	}
	wantCode(t, h.RunJob(ctx, "failing", nil), codes.Internal, "upstream 502")
	wantCode(t, h.RunJob(ctx, "missing", nil), codes.NotFound, "gone")
	wantCode(t, h.RunJob(ctx, "nope", nil), codes.NotFound, `no job kind "nope"`, "fanout")
}

func TestActions(t *testing.T) {
	p := basePlugin()
	p.Actions = []sdk.Action{
		{Name: "retag", Label: "Retag", Types: []string{"note"}, Run: func(_ context.Context, _ *sdk.Host, a *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
			var params struct{ Max int }
			if err := a.Decode(&params); err != nil {
				return nil, nil, err
			}
			var ds contenttypes.Diagnostics
			if params.Max > 3 {
				ds.AppendWarning("max", "clamped", "at most 3 tags")
			}
			return map[string]any{"entry": a.EntryID, "by": a.Actor.Name, "max": min(params.Max, 3)}, ds, nil
		}},
		{Name: "sweep", Label: "Sweep", Run: func(context.Context, *sdk.Host, *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
			return nil, nil, errors.New("sweeper broken")
		}},
	}
	h := sdktest.New(t, p, nil)
	ctx := t.Context()
	res, ds, err := h.RunAction(ctx, sdktest.Action{Name: "retag", EntryID: "n1", Params: map[string]int{"Max": 5}, Actor: sdk.Principal{Kind: "user", Name: "Ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != `{"by":"Ann","entry":"n1","max":3}` || len(ds) != 1 || ds[0].Code != "clamped" {
		t.Errorf("got %s %v", res, ds)
	}
	_, _, err = h.RunAction(ctx, sdktest.Action{Name: "retag"})
	wantCode(t, err, codes.InvalidArgument, "no entry_id")
	_, _, err = h.RunAction(ctx, sdktest.Action{Name: "sweep"})
	wantCode(t, err, codes.Internal, "sweeper broken")
	_, _, err = h.RunAction(ctx, sdktest.Action{Name: "nope"})
	wantCode(t, err, codes.NotFound, `no action "nope"`)
}

func TestConfigure(t *testing.T) {
	cases := []struct {
		name      string
		configure func(context.Context, *sdk.Host) error
		wantDiags []string // path code
	}{
		{"ok", func(_ context.Context, h *sdk.Host) error {
			if h.Setting("greeting") != "hi" || !h.HasScope(sdk.ScopeEntriesRead) || h.HostVersion() != "9.9" {
				return fmt.Errorf("got %q %v %q", h.Setting("greeting"), h.Scopes(), h.HostVersion())
			}
			return nil
		}, nil},
		{"plain error", func(context.Context, *sdk.Host) error { return errors.New("no API key") }, []string{" configure_failed"}},
		{"diagnostics", func(context.Context, *sdk.Host) error {
			var ds contenttypes.Diagnostics
			ds.AppendError("settings.greeting", "required", "greeting is required")
			return ds
		}, []string{"settings.greeting required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := basePlugin()
			p.Configure = tc.configure
			h := sdktest.New(t, p, &sdktest.Options{NoConfigure: true, Settings: map[string]string{"greeting": "hi"}, HostVersion: "9.9"})
			ds, err := h.Configure(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Path+" "+d.Code)
			}
			if !slices.Equal(got, tc.wantDiags) {
				t.Errorf("got %q (%v), want %q", got, ds, tc.wantDiags)
			}
		})
	}
}

// TestUpgrade: the Upgrade RPC runs the declared function on one entry's
// values, answers diagnostics the function returns as diagnostics, and
// refuses an undeclared type.
func TestUpgrade(t *testing.T) {
	p := basePlugin()
	p.Upgrades = []sdk.Upgrade{{Type: "note", Func: func(_ context.Context, u *sdk.UpgradeInput) (contenttypes.Values, error) {
		if u.FromVersion != 3 || u.From.Key != "note" {
			return nil, fmt.Errorf("from %q version %d", u.From.Key, u.FromVersion)
		}
		v := u.Fields
		if v["legacy"] == "bad" {
			var d contenttypes.Diagnostics
			d.AppendError("fields.legacy", "cannot_migrate", "no room for it")
			return nil, d
		}
		v["body"] = fmt.Sprint(v["legacy"])
		delete(v, "legacy")
		return v, nil
	}}}
	h := sdktest.New(t, p, nil)
	if got := h.Metadata.GetUpgradeTypes(); !slices.Equal(got, []string{"note"}) {
		t.Fatalf("upgrade types %v", got)
	}
	from, _ := json.Marshal(noteType())
	cases := []struct {
		name   string
		typ    string
		fields string
		want   string // fields JSON, or "" when diagnostics/error
		diag   string
		code   codes.Code
	}{
		{"migrated", "note", `{"legacy":"hello"}`, `{"body":"hello"}`, "", codes.OK},
		{"refused with diagnostics", "note", `{"legacy":"bad"}`, "", "fields.legacy", codes.OK},
		{"undeclared type", "recipe", `{}`, "", "", codes.NotFound},
		{"malformed values", "note", `[1]`, "", "", codes.InvalidArgument},
	}
	for _, tc := range cases {
		resp, err := h.Client.Upgrade(t.Context(), &pluginv1.UpgradeRequest{Type: tc.typ, EntryId: "e1", FieldsJson: []byte(tc.fields),
			FromDefinitionJson: from, FromVersion: 3})
		if status.Code(err) != tc.code {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if err != nil {
			continue
		}
		if tc.want != "" && string(resp.GetFieldsJson()) != tc.want {
			t.Errorf("%s: %s", tc.name, resp.GetFieldsJson())
		}
		if tc.diag != "" && (len(resp.GetDiagnostics()) != 1 || resp.GetDiagnostics()[0].GetPath() != tc.diag) {
			t.Errorf("%s: diagnostics %v", tc.name, resp.GetDiagnostics())
		}
	}
}
