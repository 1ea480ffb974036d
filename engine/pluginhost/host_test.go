package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// fakes of the subsystems being built elsewhere.
type fakeSubsystems struct {
	mu    sync.Mutex
	jobs  []PluginJob
	tags  []string
	media []MediaUpload
}

func (f *fakeSubsystems) EnqueuePluginJob(_ context.Context, j PluginJob) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs = append(f.jobs, j)
	return fmt.Sprintf("job-%d", len(f.jobs)), nil
}

func (f *fakeSubsystems) InvalidateTags(_ context.Context, tags []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags = append(f.tags, tags...)
	return nil
}

func (f *fakeSubsystems) PutMedia(_ context.Context, in MediaUpload) (MediaObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media = append(f.media, in)
	return MediaObject{Key: "k/" + in.Filename, URL: "/media/k/" + in.Filename}, nil
}

func (f *fakeSubsystems) EntryMedia(_ context.Context, entryID, role string) ([]MediaObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []MediaObject
	for _, m := range f.media {
		if m.EntryID == entryID && (role == "" || m.Role == role) {
			out = append(out, MediaObject{Key: "k/" + m.Filename, EntryID: m.EntryID, Role: m.Role, SourceHash: m.SourceHash})
		}
	}
	return out, nil
}

func (f *fakeSubsystems) BaseURL() string { return "https://cdn.example.org/" }

func TestHostService(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	fake := &fakeSubsystems{}
	all := "TESTPLUGIN_SCOPES=entries:read,entries:write,jobs:enqueue,cache:invalidate,media:write"
	m := e.manager(map[string]func() *exec.Cmd{"delta": builtin("delta", all)}, func(c *Config) {
		c.Jobs, c.Cache, c.Media = fake, fake, fake
	})
	e.start(m)
	ctx := context.Background()

	// SaveDraft creates as the plugin's principal.
	r := probe(t, m, "delta", map[string]string{"call": "save_draft", "type": "delta_note", "title": "By plugin", "fields": `{"body":"x","tags":["a"]}`})
	if r.Code != "OK" || r.Entry.GetId() == "" || r.Entry.GetTitle() != "By plugin" {
		t.Fatalf("create: %+v", r)
	}
	id := r.Entry.GetId()
	revs, err := e.Entries.Revisions(ctx, admin, id)
	if err != nil {
		t.Fatal(err)
	}
	if revs[0].AuthorKind != string(auth.KindPlugin) || revs[0].AuthorID == nil || *revs[0].AuthorID != "plugin:delta" {
		t.Errorf("author = %s %v", revs[0].AuthorKind, revs[0].AuthorID)
	}
	cases := []struct {
		name  string
		query map[string]string
		check func(t *testing.T, r probeResult)
	}{
		{"invalid fields come back as diagnostics", map[string]string{"call": "save_draft", "id": id, "fields": `{"nope":1}`},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || r.Entry != nil || !slices.Contains(r.Diags, "fields.nope:unknown_field") {
					t.Errorf("got %+v", r)
				}
			}},
		{"save a draft", map[string]string{"call": "save_draft", "id": id, "title": "Renamed"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || r.Entry.GetTitle() != "Renamed" || r.Entry.GetRevisionId() == revs[0].ID {
					t.Errorf("got %+v", r)
				}
			}},
		{"unknown entry", map[string]string{"call": "save_draft", "id": "nope", "title": "x"},
			func(t *testing.T, r probeResult) {
				if r.Code != "NotFound" {
					t.Errorf("got %+v", r)
				}
			}},
		{"get a draft", map[string]string{"call": "get_entry", "id": id},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || r.Entry.GetTitle() != "Renamed" || r.Entry.GetLive() {
					t.Errorf("got %+v", r)
				}
			}},
		{"get an unpublished entry as published", map[string]string{"call": "get_entry", "id": id, "published": "true"},
			func(t *testing.T, r probeResult) {
				if r.Code != "NotFound" || !strings.Contains(r.Message, "not published") {
					t.Errorf("got %+v", r)
				}
			}},
		{"list drafts", map[string]string{"call": "list_entries", "type": "delta_note"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || !slices.Equal(r.EntryIDs, []string{id}) {
					t.Errorf("got %+v", r)
				}
			}},
		{"list published (none)", map[string]string{"call": "list_entries", "type": "delta_note", "published": "true"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || len(r.EntryIDs) != 0 {
					t.Errorf("got %+v", r)
				}
			}},
		{"enqueue a job", map[string]string{"call": "enqueue_job"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || r.JobID != "job-1" || len(fake.jobs) != 1 || fake.jobs[0].Plugin != "delta" || fake.jobs[0].Kind != "count" {
					t.Errorf("got %+v, jobs %+v", r, fake.jobs)
				}
			}},
		{"invalidate the cache", map[string]string{"call": "invalidate_cache"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || !slices.Equal(fake.tags, []string{"t1"}) {
					t.Errorf("got %+v, tags %v", r, fake.tags)
				}
			}},
		{"put media", map[string]string{"call": "put_media"},
			func(t *testing.T, r probeResult) {
				if r.Code != "OK" || len(fake.media) != 1 || fake.media[0].Actor.ID != "plugin:delta" {
					t.Errorf("got %+v, media %+v", r, fake.media)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, probe(t, m, "delta", c.query)) })
	}

	// Published reads, with a filter on an indexed field.
	if _, err := e.Entries.Publish(ctx, admin, id, entries.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	r = probe(t, m, "delta", map[string]string{"call": "get_entry", "id": id, "published": "true"})
	if r.Code != "OK" || !r.Entry.GetLive() || r.Entry.GetRevisionId() != r.Entry.GetLiveRevisionId() || r.Entry.GetFirstPublishedAt() == "" {
		t.Errorf("published get: %+v", r)
	}
	for tag, want := range map[string][]string{"a": {id}, "b": nil} {
		r = probe(t, m, "delta", map[string]string{"call": "list_entries", "type": "delta_note", "published": "true", "tag": tag})
		if r.Code != "OK" || !slices.Equal(r.EntryIDs, want) {
			t.Errorf("published list tag %s: %+v", tag, r)
		}
	}
}

func TestEventsJobsActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("echo", "other"), nil)
	e.start(m)
	ctx := context.Background()
	d, err := e.Entries.Create(ctx, admin, entries.CreateInput{Type: "echo_note", Title: "Draft title", Fields: json.RawMessage(`{"body":"b"}`)})
	if err != nil {
		t.Fatal(err)
	}

	// Events reach the plugins bound to the event and type only.
	if subs := m.Subscribers("after_save", "echo_note"); !slices.Equal(subs, []string{"echo"}) {
		t.Errorf("subscribers = %v", subs)
	}
	ev := Event{ID: "ev-1", Name: "after_save", EntryID: d.ID, Type: "echo_note", Actor: admin, Attempt: 2}
	if err := m.DispatchEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := m.DispatchEvent(ctx, Event{ID: "ev-x", Name: "after_unpublish", EntryID: d.ID, Type: "echo_note"}); err != nil {
		t.Fatal(err) // nobody bound: nothing to do
	}
	if err := m.DispatchEvent(ctx, Event{Name: "before_lunch"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown event: %v", err)
	}
	resp, err := m.CallEndpoint(ctx, "echo", &pluginv1.EndpointRequest{Method: "GET", Path: "/echo/events"})
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Event   string `json:"event"`
		EventID string `json:"event_id"`
		EntryID string `json:"entry_id"`
		Title   string `json:"title"`
		Fields  string `json:"fields"`
		Actor   string `json:"actor"`
		Attempt int    `json:"attempt"`
	}
	if err := json.Unmarshal(resp.GetBody(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].EventID != "ev-1" || got[0].EntryID != d.ID || got[0].Title != "Draft title" || got[0].Attempt != 2 ||
		got[0].Actor != "tok-admin" || !strings.Contains(got[0].Fields, `"body":"b"`) {
		t.Errorf("events = %+v", got)
	}
	if resp.GetStatus() != 200 || !slices.Equal(resp.GetCacheTags(), []string{"probe"}) {
		t.Errorf("endpoint response %d %v", resp.GetStatus(), resp.GetCacheTags())
	}
	// A failing handler makes the dispatch fail, so the queue retries.
	if err := m.SetSettings(ctx, "echo", map[string]string{"mode": "fail_events"}); err != nil {
		t.Fatal(err)
	}
	if err := m.DispatchEvent(ctx, ev); err == nil || !strings.Contains(err.Error(), "testplugin refuses event ev-1") {
		t.Errorf("failing handler: %v", err)
	}
	if err := m.DispatchEventTo(ctx, "other", ev); err != nil {
		t.Errorf("to a plugin not bound: %v", err)
	}

	// Jobs.
	if err := m.RunJob(ctx, "echo", "count", json.RawMessage(`{}`), 1, 10); err != nil {
		t.Errorf("job: %v", err)
	}
	if err := m.RunJob(ctx, "echo", "count", json.RawMessage(`{"fail":true}`), 3, 10); err == nil || !strings.Contains(err.Error(), "failed on attempt 3") {
		t.Errorf("failing job: %v", err)
	}
	if err := m.RunJob(ctx, "echo", "nope", nil, 1, 10); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown job kind: %v", err)
	}

	// Actions.
	res, err := m.RunAction(ctx, "echo", ActionInput{Action: "echo", Actor: admin, EntryID: d.ID, Params: json.RawMessage(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if f := fields(t, res.Result); f["entry_id"] != d.ID || f["actor"] != "tok-admin" || f["plugin"] != "echo" {
		t.Errorf("action result %s", res.Result)
	}
	if _, err := m.RunAction(ctx, "echo", ActionInput{Action: "nope"}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := m.RunAction(ctx, "ghost", ActionInput{Action: "echo"}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown plugin: %v", err)
	}
}

func TestDisableEnable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("sigma"), nil)
	e.start(m)
	ctx := context.Background()
	pid := statusOf(t, m, "sigma").PID
	if err := m.Disable(ctx, "sigma"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "sigma")
	if st.Status != StatusDisabled || st.Enabled || st.PID != 0 || !processGone(pid) {
		t.Fatalf("disabled: %+v", st)
	}
	out, diags, err := m.BeforeSave(ctx, HookInput{Type: "sigma_note", Fields: noteFields})
	if out != nil || diags != nil || err != nil || len(m.Endpoints()) != 0 {
		t.Errorf("a disabled plugin still acts: %s %v %v", out, diags, err)
	}
	if _, err := e.Types.Get(ctx, "sigma_note"); err != nil {
		t.Errorf("its type is gone: %v", err)
	}
	// The next server keeps it disabled.
	m.Stop()
	m2 := e.manager(builtins("sigma"), nil)
	e.start(m2)
	if st := statusOf(t, m2, "sigma"); st.Status != StatusDisabled {
		t.Fatalf("after restart: %+v", st)
	}
	if err := m2.Enable(ctx, "sigma"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m2, "sigma"); st.Status != StatusRunning {
		t.Fatalf("enabled: %+v", st)
	}
	if err := m2.Enable(ctx, "ghost"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown plugin: %v", err)
	}
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		vars     []string
		settings map[string]string
		want     string
	}{
		{"protocol mismatch", []string{"TESTPLUGIN_PROTOCOL=2"}, nil, "speaks plugin protocol 2; this server speaks 1"},
		{"name mismatch", []string{"TESTPLUGIN_NAME=someone"}, nil, `built-in plugin tau reports the plugin name "someone"`},
		{"configuration refused", nil, map[string]string{"mode": "bad_config"}, "refused its configuration: settings.mode: bad_config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "sqlite")
			f := builtin("tau", c.vars...)
			m := e.manager(map[string]func() *exec.Cmd{"tau": func() *exec.Cmd {
				cmd := f()
				if slices.Contains(c.vars, "TESTPLUGIN_NAME=someone") {
					cmd.Env = c.vars // the name comes from the variable alone
				}
				return cmd
			}}, nil)
			if c.settings != nil {
				if err := m.SetSettings(context.Background(), "tau", c.settings); err != nil {
					t.Fatal(err)
				}
			}
			e.start(m)
			st := statusOf(t, m, "tau")
			if st.Status != StatusFailed || st.PID != 0 || !strings.Contains(st.LastError, c.want) {
				t.Fatalf("status %+v, want failed with %q", st, c.want)
			}
			if _, _, err := m.BeforeSave(context.Background(), HookInput{Type: "tau_note", Fields: noteFields}); err != nil {
				t.Errorf("a plugin that never started is bound: %v", err)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	m := New(Config{Environ: func() []string {
		return []string{"INKLING_PLUGIN_HELLO_API_KEY=a", "INKLING_PLUGIN_HELLO_WORLD_TOKEN=b", "INKLING_PLUGIN_HELLO_=x",
			"INKLING_PLUGIN_HELLOX_K=c", "PATH=/bin"}
	}})
	m.plugins = map[string]*instance{"hello": {name: "hello"}, "hello-world": {name: "hello-world"}}
	cases := []struct {
		plugin string
		want   map[string]string
	}{
		{"hello", map[string]string{"api_key": "a"}},
		{"hello-world", map[string]string{"token": "b"}},
	}
	for _, c := range cases {
		got := m.secrets(c.plugin)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("secrets(%s) = %v, want %v", c.plugin, got, c.want)
		}
	}
	if v := SecretEnvVar("hello-world", "api-key"); v != "INKLING_PLUGIN_HELLO_WORLD_API_KEY" {
		t.Errorf("SecretEnvVar = %s", v)
	}
}

func TestMissingExecutable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	path := e.install("mu", nil)
	m := e.manager(nil, nil)
	e.start(m)
	ctx := context.Background()
	if err := m.Enable(ctx, "mu"); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	m2 := e.manager(nil, nil)
	e.start(m2)
	st := statusOf(t, m2, "mu")
	if st.Status != StatusMissing || !strings.Contains(st.LastError, "not found") {
		t.Fatalf("status = %+v", st)
	}
	in := HookInput{Type: "mu_note", Fields: noteFields}
	if _, _, err := m2.BeforeSave(ctx, in); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("save while its plugin is missing: %v", err)
	}
	if err := m2.Enable(ctx, "mu"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("enable a missing plugin: %v", err)
	}
	// Disabling it is the admin's way to save without it.
	if err := m2.Disable(ctx, "mu"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m2.BeforeSave(ctx, in); err != nil {
		t.Errorf("after disable: %v", err)
	}
}

// TestEntriesWiring wires the Manager as the entries service's hooks, as
// the server does, and saves through the service.
func TestEntriesWiring(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("wire"), func(c *Config) { c.Entries = nil })
	es := entries.New(e.DB, e.Types, e.Auth, &entries.Options{Hooks: m})
	m.SetEntries(es)
	e.start(m)
	ctx := context.Background()
	d, err := es.Create(ctx, admin, entries.CreateInput{Type: "wire_note", Title: "T", Fields: json.RawMessage(`{"body":"one two"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if f := fields(t, d.Revision.Fields); f["trail"] != "wire" || f["word_count"] != float64(2) {
		t.Errorf("stored fields %s", d.Revision.Fields)
	}
	_, err = es.Create(ctx, admin, entries.CreateInput{Type: "wire_note", Title: "U", Fields: json.RawMessage(`{"body":"forbidden"}`)})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || len(e.Diagnostics) != 1 || e.Diagnostics[0].Path != "fields.body" {
		t.Errorf("invalid save: %v", err)
	}
	// The plugin saves through the same service (its own hooks run too).
	r := probe(t, m, "wire", map[string]string{"call": "get_entry", "id": d.ID})
	if r.Code != "OK" || r.Entry.GetTitle() != "T" {
		t.Errorf("probe: %+v", r)
	}
	m.Stop()
	if _, err := es.Create(ctx, admin, entries.CreateInput{Type: "wire_note", Title: "V", Fields: json.RawMessage(`{"body":"x"}`)}); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("save while the plugin host is stopped: %v", err)
	}
}
