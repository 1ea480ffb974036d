// Command testplugin is the plugin the pluginhost tests run, implementing
// pluginv1.PluginServer directly on plugins/protocol (no SDK).
//
// Its identity comes from the environment, read at start (GetMetadata and
// GetSchema run before Configure):
//
//	TESTPLUGIN_NAME       plugin name; default: the executable's name without
//	                      "inkling-plugin-" (an executable named
//	                      inkling-plugin-impostor reports "somebody-else")
//	TESTPLUGIN_VERSION    default 1.0.0
//	TESTPLUGIN_PROTOCOL   protocol version to report; default protocol.Version
//	TESTPLUGIN_SCHEMA     v1 (default) or v2 (drops the field "trail": destructive)
//	TESTPLUGIN_UPGRADE    with v2: "fold" declares an upgrade that appends the
//	                      trail to the body; an entry whose trail is "refuse"
//	                      is refused with a diagnostic
//	TESTPLUGIN_SCOPES     requested scopes, comma-separated; default entries:read,jobs:enqueue
//	TESTPLUGIN_HOOK_TYPES types its validate/before_save hooks bind; default its own type
//
// Its behaviour comes from the settings handed over in Configure:
//
//	mode: normal | hang_validate | exit_in_before_save | panic_in_before_save | fail_events
//	max_words: validate refuses more words than this
//
// It declares the content type <name>_note (body, word_count, trail, tags);
// before_save sets word_count and appends its name to trail; validate
// refuses a body containing "forbidden". Endpoint GET /<name>/probe?call=RPC
// calls the Host service and reports the gRPC code and message it got;
// GET /<name>/events lists the events received.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/status"
)

func main() {
	name := os.Getenv("TESTPLUGIN_NAME")
	if name == "" {
		name = strings.TrimPrefix(filepath.Base(os.Args[0]), "inkling-plugin-")
		if name == "impostor" {
			name = "somebody-else"
		}
	}
	impl := &protocol.GRPCPlugin{Impl: func(b *plugin.GRPCBroker) pluginv1.PluginServer {
		return &server{name: name, broker: b}
	}}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins:         plugin.PluginSet{protocol.PluginKey: impl},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

type event struct {
	Event   string `json:"event"`
	EventID string `json:"event_id"`
	EntryID string `json:"entry_id"`
	Title   string `json:"title"`
	Fields  string `json:"fields"`
	Attempt int32  `json:"attempt"`
	Actor   string `json:"actor"`
}

type server struct {
	pluginv1.UnimplementedPluginServer
	name   string
	broker *plugin.GRPCBroker

	mu       sync.Mutex
	settings map[string]string
	scopes   []string
	host     pluginv1.HostClient
	events   []event
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (s *server) typeKey() string { return strings.ReplaceAll(s.name, "-", "_") + "_note" }

func (s *server) setting(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings[k]
}

func (s *server) GetMetadata(context.Context, *pluginv1.GetMetadataRequest) (*pluginv1.GetMetadataResponse, error) {
	proto, _ := strconv.Atoi(env("TESTPLUGIN_PROTOCOL", strconv.Itoa(protocol.Version)))
	hookTypes := strings.Split(env("TESTPLUGIN_HOOK_TYPES", s.typeKey()), ",")
	return &pluginv1.GetMetadataResponse{
		Name: s.name, Version: env("TESTPLUGIN_VERSION", "1.0.0"), SdkVersion: "none", ProtocolVersion: int32(proto),
		ContentTypes: []string{s.typeKey()},
		Hooks: []*pluginv1.HookBinding{
			{Hook: protocol.HookBeforeSave, Types: hookTypes},
			{Hook: protocol.HookValidate, Types: hookTypes},
			{Hook: protocol.HookAfterSave, Types: []string{s.typeKey()}},
			{Hook: protocol.HookAfterPublish, Types: []string{s.typeKey()}},
		},
		JobKinds: []*pluginv1.JobKind{{Kind: "count", Description: "counts", EverySeconds: 3600}},
		Endpoints: []*pluginv1.EndpointSpec{
			{Method: "GET", Path: "/" + s.name + "/probe", Summary: "calls a Host RPC"},
			{Method: "GET", Path: "/" + s.name + "/events", Summary: "events received"},
		},
		Actions:      []*pluginv1.ActionSpec{{Name: "echo", Label: "Echo", Types: []string{s.typeKey()}}},
		Scopes:       strings.Split(env("TESTPLUGIN_SCOPES", protocol.ScopeEntriesRead+","+protocol.ScopeJobsEnqueue), ","),
		UpgradeTypes: upgradeTypes(s.typeKey()),
	}, nil
}

func upgradeTypes(key string) []string {
	if env("TESTPLUGIN_UPGRADE", "") == "fold" {
		return []string{key}
	}
	return nil
}

// Upgrade folds the dropped trail into the body.
func (s *server) Upgrade(_ context.Context, req *pluginv1.UpgradeRequest) (*pluginv1.UpgradeResponse, error) {
	var v map[string]any
	if err := json.Unmarshal(req.GetFieldsJson(), &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	trail, _ := v["trail"].(string)
	if trail == "refuse" {
		return &pluginv1.UpgradeResponse{Diagnostics: []*pluginv1.Diagnostic{{Severity: "error", Path: "fields.trail", Code: "cannot_fold",
			Summary: "this trail cannot be folded"}}}, nil
	}
	if trail != "" {
		body, _ := v["body"].(string)
		v["body"] = strings.TrimSpace(body + "\n\n" + trail)
	}
	delete(v, "trail")
	out, err := json.Marshal(v)
	return &pluginv1.UpgradeResponse{FieldsJson: out}, err
}

func (s *server) GetSchema(context.Context, *pluginv1.GetSchemaRequest) (*pluginv1.GetSchemaResponse, error) {
	fields := []map[string]any{
		{"name": "body", "kind": "longtext"},
		{"name": "word_count", "kind": "integer"},
		{"name": "tags", "kind": "tags", "indexed": true},
	}
	if env("TESTPLUGIN_SCHEMA", "v1") != "v2" {
		fields = append(fields, map[string]any{"name": "trail", "kind": "text"})
	}
	ct, err := json.Marshal(map[string]any{"key": s.typeKey(), "label": s.name + " note", "fields": fields})
	if err != nil {
		return nil, err
	}
	return &pluginv1.GetSchemaResponse{ContentTypesJson: [][]byte{ct}}, nil
}

func (s *server) Configure(_ context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	conn, err := s.broker.Dial(req.GetHostBrokerId())
	if err != nil {
		return nil, fmt.Errorf("dial host: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings, s.scopes, s.host = req.GetSettings(), req.GetGrantedScopes(), pluginv1.NewHostClient(conn)
	if s.settings["mode"] == "bad_config" {
		return &pluginv1.ConfigureResponse{Diagnostics: []*pluginv1.Diagnostic{{Severity: "error", Path: "settings.mode", Code: "invalid", Summary: "bad_config"}}}, nil
	}
	return &pluginv1.ConfigureResponse{}, nil
}

func (s *server) BeforeSave(_ context.Context, req *pluginv1.HookRequest) (*pluginv1.HookResponse, error) {
	switch s.setting("mode") {
	case "exit_in_before_save":
		os.Exit(3)
	case "panic_in_before_save":
		panic("testplugin: panic in before_save")
	}
	var f map[string]any
	if err := json.Unmarshal(req.GetFieldsJson(), &f); err != nil {
		return &pluginv1.HookResponse{Diagnostics: []*pluginv1.Diagnostic{{Severity: "error", Path: "fields", Code: "invalid_json", Summary: err.Error()}}}, nil
	}
	body, _ := f["body"].(string)
	f["word_count"] = len(strings.Fields(body))
	trail, _ := f["trail"].(string)
	if trail != "" {
		trail += ","
	}
	f["trail"] = trail + s.name
	out, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return &pluginv1.HookResponse{FieldsJson: out}, nil
}

func (s *server) Validate(_ context.Context, req *pluginv1.HookRequest) (*pluginv1.HookResponse, error) {
	if s.setting("mode") == "hang_validate" {
		select {} // ignores its deadline, as a stuck plugin would
	}
	var f struct {
		Body      string `json:"body"`
		WordCount int    `json:"word_count"`
	}
	_ = json.Unmarshal(req.GetFieldsJson(), &f)
	var diags []*pluginv1.Diagnostic
	if strings.Contains(f.Body, "forbidden") {
		diags = append(diags, &pluginv1.Diagnostic{Severity: "error", Path: "fields.body", Code: "forbidden_word",
			Summary: s.name + " refuses the word forbidden"})
	}
	if lim, err := strconv.Atoi(s.setting("max_words")); err == nil && f.WordCount > lim {
		diags = append(diags, &pluginv1.Diagnostic{Severity: "error", Path: "fields.word_count", Code: "too_many_words",
			Summary: fmt.Sprintf("%d words; at most %d", f.WordCount, lim)})
	}
	if f.Body == "" {
		diags = append(diags, &pluginv1.Diagnostic{Severity: "warning", Path: "fields.body", Code: "empty", Summary: "empty body"})
	}
	return &pluginv1.HookResponse{Diagnostics: diags}, nil
}

func (s *server) HandleEvent(_ context.Context, req *pluginv1.EventRequest) (*pluginv1.EventResponse, error) {
	if s.setting("mode") == "fail_events" {
		return nil, fmt.Errorf("testplugin refuses event %s", req.GetEventId())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, event{Event: req.GetEvent(), EventID: req.GetEventId(), EntryID: req.GetEntry().GetId(),
		Title: req.GetEntry().GetTitle(), Fields: string(req.GetEntry().GetFieldsJson()), Attempt: req.GetAttempt(), Actor: req.GetActor().GetId()})
	return &pluginv1.EventResponse{}, nil
}

func (s *server) HandleEndpoint(ctx context.Context, req *pluginv1.EndpointRequest) (*pluginv1.EndpointResponse, error) {
	var body any
	switch req.GetPath() {
	case "/" + s.name + "/events":
		s.mu.Lock()
		body = append([]event{}, s.events...)
		s.mu.Unlock()
	case "/" + s.name + "/probe":
		body = s.probe(ctx, req.GetQuery())
	default:
		return &pluginv1.EndpointResponse{Status: 404, Detail: "no such endpoint"}, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return &pluginv1.EndpointResponse{Status: 200, Body: b, CacheTags: []string{"probe"}}, nil
}

// probeResult is what the probe endpoint reports about a Host call.
type probeResult struct {
	Code      string            `json:"code"`
	Message   string            `json:"message,omitempty"`
	Entry     *pluginv1.Entry   `json:"entry,omitempty"`
	EntryIDs  []string          `json:"entry_ids,omitempty"`
	Diags     []string          `json:"diags,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
	Secrets   map[string]string `json:"secrets,omitempty"`
	EnvSecret string            `json:"env_secret"`
	Scopes    []string          `json:"scopes"`
	JobID     string            `json:"job_id,omitempty"`
}

func (s *server) probe(ctx context.Context, q map[string]string) probeResult {
	s.mu.Lock()
	host, scopes := s.host, s.scopes
	s.mu.Unlock()
	res := probeResult{Scopes: scopes, EnvSecret: os.Getenv("INKLING_PLUGIN_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_")) + "_API_KEY")}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var err error
	switch q["call"] {
	case "get_entry":
		var r *pluginv1.GetEntryResponse
		r, err = host.GetEntry(ctx, &pluginv1.GetEntryRequest{Id: q["id"], Published: q["published"] == "true"})
		res.Entry = r.GetEntry()
	case "list_entries":
		var r *pluginv1.ListEntriesResponse
		filters := map[string]string{}
		if q["tag"] != "" {
			filters["tags"] = q["tag"]
		}
		r, err = host.ListEntries(ctx, &pluginv1.ListEntriesRequest{Type: q["type"], Published: q["published"] == "true", Filters: filters})
		for _, e := range r.GetEntries() {
			res.EntryIDs = append(res.EntryIDs, e.GetId())
		}
	case "save_draft":
		var r *pluginv1.SaveDraftResponse
		r, err = host.SaveDraft(ctx, &pluginv1.SaveDraftRequest{EntryId: q["id"], Type: q["type"], Title: q["title"], FieldsJson: []byte(q["fields"])})
		res.Entry = r.GetEntry()
		for _, d := range r.GetDiagnostics() {
			res.Diags = append(res.Diags, d.GetPath()+":"+d.GetCode())
		}
	case "get_settings":
		var r *pluginv1.GetSettingsResponse
		r, err = host.GetSettings(ctx, &pluginv1.GetSettingsRequest{})
		res.Settings, res.Secrets = r.GetSettings(), r.GetSecrets()
	case "enqueue_job":
		var r *pluginv1.EnqueueJobResponse
		r, err = host.EnqueueJob(ctx, &pluginv1.EnqueueJobRequest{Kind: "count", ArgsJson: []byte(`{"n":1}`)})
		res.JobID = r.GetJobId()
	case "invalidate_cache":
		_, err = host.InvalidateCache(ctx, &pluginv1.InvalidateCacheRequest{Tags: []string{"t1"}})
	case "put_media":
		_, err = host.PutMedia(ctx, &pluginv1.PutMediaRequest{Filename: "a.txt", Data: []byte("hi")})
	default:
		return probeResult{Code: "BadProbe", Message: "unknown call " + q["call"]}
	}
	st := status.Convert(err)
	res.Code, res.Message = st.Code().String(), st.Message()
	return res
}

func (s *server) RunJob(_ context.Context, req *pluginv1.JobRequest) (*pluginv1.JobResponse, error) {
	var args struct {
		Fail bool `json:"fail"`
	}
	_ = json.Unmarshal(req.GetArgsJson(), &args)
	if args.Fail {
		return nil, fmt.Errorf("job %s failed on attempt %d", req.GetKind(), req.GetAttempt())
	}
	return &pluginv1.JobResponse{}, nil
}

func (s *server) RunAction(_ context.Context, req *pluginv1.ActionRequest) (*pluginv1.ActionResponse, error) {
	out, err := json.Marshal(map[string]any{"action": req.GetAction(), "entry_id": req.GetEntryId(),
		"params": json.RawMessage(orNull(req.GetParamsJson())), "actor": req.GetActor().GetId(), "plugin": s.name})
	if err != nil {
		return nil, err
	}
	return &pluginv1.ActionResponse{ResultJson: out}, nil
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}
