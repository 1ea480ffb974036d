package pluginhost

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
)

// TestCore runs the core behaviour on both databases.
func TestCore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, backend string)
	}{
		{"StartRegistersTypes", testStartRegistersTypes},
		{"BeforeSaveChainAndValidate", testBeforeSaveChain},
		{"Scopes", testScopes},
		{"ChecksumPin", testChecksumPin},
		{"DestructiveSchemaRefused", testDestructiveSchema},
		{"UpgradeMigratesDestructiveSchema", testUpgrade},
		{"NameMismatchRefused", testNameMismatch},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, backend)
				})
			}
		})
	}
}

func testStartRegistersTypes(t *testing.T, backend string) {
	e := newEnv(t, backend)
	m := e.manager(builtins("alpha"), nil)
	e.start(m)
	st := statusOf(t, m, "alpha")
	if st.Status != StatusRunning || st.Kind != KindBuiltin || !st.Enabled || st.Version != "1.0.0" || st.ProtocolVersion != 1 || st.PID <= 0 {
		t.Fatalf("status = %+v", st)
	}
	if !slices.Equal(st.ContentTypes, []string{"alpha_note"}) {
		t.Errorf("content types = %v", st.ContentTypes)
	}
	if want := []string{"entries:read", "jobs:enqueue"}; !slices.Equal(st.GrantedScopes, want) || !slices.Equal(st.RequestedScopes, want) {
		t.Errorf("scopes: requested %v granted %v, want %v", st.RequestedScopes, st.GrantedScopes, want)
	}
	typ, err := e.Types.Get(context.Background(), "alpha_note")
	if err != nil {
		t.Fatal(err)
	}
	if typ.Source != "alpha" || typ.Version != 1 {
		t.Errorf("type source %q version %d, want alpha 1", typ.Source, typ.Version)
	}
	// The catalog row.
	var r row
	if err := e.DB.NewSelect().Model(&r).Where("name = ?", "alpha").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusRunning || r.Kind != KindBuiltin || !r.Enabled || r.SHA256 != "" || r.Version != "1.0.0" {
		t.Errorf("row = %+v", r)
	}
	var types []string
	_ = json.Unmarshal(r.ContentTypes, &types)
	if !slices.Equal(types, []string{"alpha_note"}) {
		t.Errorf("row content types = %s", r.ContentTypes)
	}
	// Declarations are published.
	if eps := m.Endpoints(); len(eps) != 2 || eps[0].Plugin != "alpha" || eps[0].Spec.GetPath() != "/alpha/probe" {
		t.Errorf("endpoints = %v", eps)
	}
	if jobs := m.Jobs(); len(jobs) != 1 || jobs[0].Kind != "count" || jobs[0].Every.Hours() != 1 {
		t.Errorf("jobs = %+v", jobs)
	}
	if acts := m.Actions(); len(acts) != 1 || acts[0].Name != "echo" || !slices.Equal(acts[0].Types, []string{"alpha_note"}) {
		t.Errorf("actions = %+v", acts)
	}
	// A second server on the same database finds the types unchanged.
	m.Stop()
	m2 := e.manager(builtins("alpha"), nil)
	e.start(m2)
	if typ, _ := e.Types.Get(context.Background(), "alpha_note"); typ.Version != 1 {
		t.Errorf("version after restart = %d, want 1 (unchanged schema)", typ.Version)
	}
}

func testBeforeSaveChain(t *testing.T, backend string) {
	e := newEnv(t, backend)
	bs := map[string]func() *exec.Cmd{
		"alpha": builtin("alpha"),
		"beta":  builtin("beta", "TESTPLUGIN_HOOK_TYPES=alpha_note,beta_note"),
	}
	m := e.manager(bs, nil)
	e.start(m)
	ctx := context.Background()
	type diag struct{ sev, path, code string }
	cases := []struct {
		name      string
		typ       string
		body      string
		settings  map[string]string // beta's
		wantTrail string
		wantCount float64
		wantDiags []diag
	}{
		{name: "chained", typ: "alpha_note", body: "one two three", wantTrail: "alpha,beta", wantCount: 3},
		{name: "only beta binds beta_note", typ: "beta_note", body: "one", wantTrail: "beta", wantCount: 1},
		{name: "validate errors from both, with paths", typ: "alpha_note", body: "a forbidden word", wantTrail: "alpha,beta", wantCount: 3,
			wantDiags: []diag{{"error", "fields.body", "forbidden_word"}, {"error", "fields.body", "forbidden_word"}}},
		{name: "warnings", typ: "alpha_note", body: "", wantTrail: "alpha,beta", wantCount: 0,
			wantDiags: []diag{{"warning", "fields.body", "empty"}, {"warning", "fields.body", "empty"}}},
		{name: "validate sees the transformed fields", typ: "alpha_note", body: "one two three", settings: map[string]string{"max_words": "2"},
			wantTrail: "alpha,beta", wantCount: 3, wantDiags: []diag{{"error", "fields.word_count", "too_many_words"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.settings != nil {
				if err := m.SetSettings(ctx, "beta", c.settings); err != nil {
					t.Fatal(err)
				}
			}
			in, _ := json.Marshal(map[string]any{"body": c.body})
			out, diags, err := m.BeforeSave(ctx, HookInput{Actor: admin, Type: c.typ, Title: "T", Fields: in})
			if err != nil {
				t.Fatal(err)
			}
			f := fields(t, out)
			if f["trail"] != c.wantTrail || f["word_count"] != c.wantCount {
				t.Errorf("fields = %s, want trail %q word_count %v", out, c.wantTrail, c.wantCount)
			}
			var got []diag
			for _, d := range diags {
				got = append(got, diag{string(d.Severity), d.Path, d.Code})
			}
			if !slices.Equal(got, c.wantDiags) {
				t.Errorf("diags = %v, want %v", got, c.wantDiags)
			}
		})
	}
	// A type no plugin binds: nothing runs, nothing changes.
	out, diags, err := m.BeforeSave(ctx, HookInput{Actor: admin, Type: "nobody_binds", Fields: json.RawMessage(`{}`)})
	if out != nil || diags != nil || err != nil {
		t.Errorf("unbound type: %s %v %v", out, diags, err)
	}
}

func testScopes(t *testing.T, backend string) {
	e := newEnv(t, backend)
	m := e.manager(builtins("gamma"), func(c *Config) {
		c.Environ = func() []string {
			return []string{"INKLING_PLUGIN_GAMMA_API_KEY=s3cret", "INKLING_PLUGIN_GAMMA_RAY_X=not-mine", "OTHER=1"}
		}
		c.Builtins["gamma-ray"] = builtin("gamma-ray")
	})
	e.start(m)
	ctx := context.Background()
	d, err := e.Entries.Create(ctx, admin, entries.CreateInput{Type: "gamma_note", Title: "Hello", Fields: json.RawMessage(`{"body":"hi"}`)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		call     string
		wantCode string
		wantMsg  string
	}{
		{"get_entry", "OK", ""},
		{"get_settings", "OK", ""},
		{"save_draft", "PermissionDenied", `scope "entries:write"`},
		{"invalidate_cache", "PermissionDenied", `scope "cache:invalidate"`},
		{"put_media", "PermissionDenied", `scope "media:write"`},
		{"enqueue_job", "Unimplemented", "EnqueueJob is not available in this server yet"},
	}
	for _, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			r := probe(t, m, "gamma", map[string]string{"call": c.call, "id": d.ID, "type": "gamma_note", "title": "x"})
			if r.Code != c.wantCode || !strings.Contains(r.Message, c.wantMsg) {
				t.Fatalf("%s: got %s %q, want %s containing %q", c.call, r.Code, r.Message, c.wantCode, c.wantMsg)
			}
			switch c.call {
			case "get_entry":
				if r.Entry.GetTitle() != "Hello" || r.Entry.GetId() != d.ID || r.Entry.GetRevisionId() != d.Revision.ID {
					t.Errorf("entry = %+v", r.Entry)
				}
			case "get_settings":
				if r.Secrets["api_key"] != "s3cret" || len(r.Secrets) != 1 {
					t.Errorf("secrets = %v, want only api_key (gamma-ray's variable is not gamma's)", r.Secrets)
				}
				if r.EnvSecret != "" {
					t.Errorf("the plugin process sees the secret in its environment: %q", r.EnvSecret)
				}
			}
		})
	}
	// Secrets are never stored.
	var r row
	if err := e.DB.NewSelect().Model(&r).Where("name = ?", "gamma").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.Settings), "s3cret") {
		t.Errorf("secret stored in settings: %s", r.Settings)
	}
	// Revoking a scope restarts the plugin with the smaller grant.
	if err := m.SetRevokedScopes(ctx, "gamma", []string{"entries:read"}); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "gamma")
	if !slices.Equal(st.GrantedScopes, []string{"jobs:enqueue"}) || !slices.Equal(st.RevokedScopes, []string{"entries:read"}) {
		t.Errorf("after revoke: granted %v revoked %v", st.GrantedScopes, st.RevokedScopes)
	}
	if r := probe(t, m, "gamma", map[string]string{"call": "get_entry", "id": d.ID}); r.Code != "PermissionDenied" || !strings.Contains(r.Message, "entries:read") {
		t.Errorf("get_entry after revoke: %s %q", r.Code, r.Message)
	}
	if err := m.SetRevokedScopes(ctx, "gamma", []string{"entries:fly"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown scope: %v", err)
	}
}

func testChecksumPin(t *testing.T, backend string) {
	e := newEnv(t, backend)
	path := e.install("ext", nil)
	sum, _ := fileSHA256(path)
	ctx := context.Background()

	m := e.manager(nil, nil)
	e.start(m)
	if st := statusOf(t, m, "ext"); st.Status != StatusDisabled || st.Enabled || st.Kind != KindExternal || st.Path != path {
		t.Fatalf("discovered: %+v", st)
	}
	if _, _, err := m.BeforeSave(ctx, HookInput{Type: "ext_note"}); err != nil {
		t.Fatalf("a plugin never enabled is not bound: %v", err)
	}
	if err := m.Enable(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "ext")
	if st.Status != StatusRunning || st.SHA256 != sum || st.EnabledAt == nil || !slices.Equal(st.GrantedScopes, []string{"entries:read", "jobs:enqueue"}) {
		t.Fatalf("enabled: %+v", st)
	}
	m.Stop()

	// The binary changes: the next server does not start it.
	e.install("ext", []byte("tampered"))
	newSum, _ := fileSHA256(path)
	m2 := e.manager(nil, nil)
	e.start(m2)
	st = statusOf(t, m2, "ext")
	if st.Status != StatusChecksumMismatch || st.PID != 0 || !st.Enabled {
		t.Fatalf("after tampering: %+v", st)
	}
	for _, want := range []string{"checksum mismatch: pinned " + sum[:12], "file " + newSum[:12], "re-enable to trust the new binary"} {
		if !strings.Contains(st.LastError, want) {
			t.Errorf("last error %q lacks %q", st.LastError, want)
		}
	}
	var r row
	if err := e.DB.NewSelect().Model(&r).Where("name = ?", "ext").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusChecksumMismatch || r.SHA256 != sum {
		t.Errorf("row: status %s sha %s", r.Status, r.SHA256)
	}
	if _, _, err := m2.BeforeSave(ctx, HookInput{Type: "ext_note", Fields: noteFields}); !apperr.Is(err, apperr.Unavailable) ||
		!strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("save of a mismatched plugin's type: %v", err)
	}
	// Re-enabling trusts the new binary.
	if err := m2.Enable(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m2, "ext"); st.Status != StatusRunning || st.SHA256 != newSum {
		t.Fatalf("re-enabled: %+v", st)
	}
}

func testDestructiveSchema(t *testing.T, backend string) {
	e := newEnv(t, backend)
	ctx := context.Background()
	m := e.manager(map[string]func() *exec.Cmd{"omega": builtin("omega")}, nil)
	e.start(m)
	if err := m.SetSettings(ctx, "omega", map[string]string{"max_words": "9"}); err != nil {
		t.Fatal(err)
	}
	m.Stop()

	// Version 2 drops a field: the registry refuses, the plugin is failed
	// and not started, and the rest of its state is unchanged.
	m2 := e.manager(map[string]func() *exec.Cmd{"omega": builtin("omega", "TESTPLUGIN_SCHEMA=v2", "TESTPLUGIN_VERSION=2.0.0")}, nil)
	e.start(m2)
	st := statusOf(t, m2, "omega")
	if st.Status != StatusFailed || st.PID != 0 || !st.Enabled || st.Version != "1.0.0" || st.Settings["max_words"] != "9" {
		t.Fatalf("status = %+v", st)
	}
	for _, want := range []string{"refusing destructive changes", "fields.trail"} {
		if !strings.Contains(st.LastError, want) {
			t.Errorf("last error %q lacks %q", st.LastError, want)
		}
	}
	typ, _ := e.Types.Get(ctx, "omega_note")
	if _, ok := typ.Field("trail"); !ok || typ.Version != 1 {
		t.Errorf("the stored type changed: version %d", typ.Version)
	}
	// Its last good bindings stay in force: saves of its type fail rather
	// than skip its validation.
	if _, _, err := m2.BeforeSave(ctx, HookInput{Type: "omega_note", Fields: json.RawMessage(`{}`)}); !apperr.Is(err, apperr.Unavailable) ||
		!strings.Contains(err.Error(), "plugin omega is not running (failed)") {
		t.Errorf("save of a failed plugin's type: %v", err)
	}
	if err := m2.Reload(ctx, "omega"); !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "refusing destructive changes") {
		t.Errorf("Reload = %v", err)
	}
}

func testNameMismatch(t *testing.T, backend string) {
	e := newEnv(t, backend)
	e.install("impostor", nil)
	m := e.manager(nil, nil)
	e.start(m)
	err := m.Enable(context.Background(), "impostor")
	if err == nil {
		t.Fatal("an impostor was enabled without error")
	}
	st := statusOf(t, m, "impostor")
	want := `executable inkling-plugin-impostor reports the plugin name "somebody-else"`
	if st.Status != StatusFailed || st.PID != 0 || !strings.Contains(st.LastError, want) || !strings.Contains(err.Error(), want) {
		t.Fatalf("status %+v, error %v; want failed with %q", st, err, want)
	}
	if _, err := e.Types.Get(context.Background(), "somebody_else_note"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the impostor's type was registered: %v", err)
	}
}

// testUpgrade: version 2 drops a field and declares an upgrade that folds
// it into another. An entry the upgrade refuses refuses the whole version,
// with nothing changed; once fixed, every entry is migrated: drafts stay
// drafts, live entries are published again, a pending draft stays on top,
// and old revisions are kept as they were.
func testUpgrade(t *testing.T, backend string) {
	e := newEnv(t, backend)
	ctx := context.Background()
	admin := auth.Principal{Kind: auth.KindToken, ID: "admin", Role: auth.RoleAdmin}
	m := e.manager(map[string]func() *exec.Cmd{"rho": builtin("rho")}, nil)
	e.start(m)
	mk := func(title, body, trail string, publish bool) string {
		t.Helper()
		d, err := e.Entries.Create(ctx, admin, entries.CreateInput{Type: "rho_note", Title: title,
			Fields: json.RawMessage(fmt.Sprintf(`{"body":%q,"trail":%q}`, body, trail))})
		if err != nil {
			t.Fatal(err)
		}
		if publish {
			if _, err := e.Entries.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
				t.Fatal(err)
			}
		}
		return d.ID
	}
	draft := mk("Draft", "Draft body", "draft trail", false)
	live := mk("Live", "Live body", "live trail", true)
	pending := mk("Pending", "Old body", "old trail", true)
	if _, err := e.Entries.Save(ctx, admin, pending, entries.SaveInput{Fields: json.RawMessage(`{"body":"New body","trail":"new trail"}`)}); err != nil {
		t.Fatal(err)
	}
	bad := mk("Bad", "Bad body", "refuse", true)
	m.Stop()
	revisionsOf := func(id string) int {
		revs, err := e.Entries.Revisions(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return len(revs)
	}
	before := map[string]int{draft: revisionsOf(draft), live: revisionsOf(live), pending: revisionsOf(pending), bad: revisionsOf(bad)}

	// One entry cannot be migrated: nothing changes, and the plugin says
	// which entry and why.
	v2 := builtin("rho", "TESTPLUGIN_SCHEMA=v2", "TESTPLUGIN_VERSION=2.0.0", "TESTPLUGIN_UPGRADE=fold")
	m2 := e.manager(map[string]func() *exec.Cmd{"rho": v2}, nil)
	e.start(m2)
	st := statusOf(t, m2, "rho")
	for _, want := range []string{"upgrade of content type \"rho_note\" refused, nothing changed", bad, "this trail cannot be folded"} {
		if st.Status != StatusFailed || !strings.Contains(st.LastError, want) {
			t.Fatalf("status %s, last error %q lacks %q", st.Status, st.LastError, want)
		}
	}
	if typ, _ := e.Types.Get(ctx, "rho_note"); typ.Version != 1 {
		t.Fatalf("the type changed to version %d", typ.Version)
	}
	for id, n := range before {
		if got := revisionsOf(id); got != n {
			t.Errorf("entry %s has %d revisions, had %d", id, got, n)
		}
	}
	m2.Stop()

	// Fixed by an editor under version 1; version 2 then migrates all.
	m3 := e.manager(map[string]func() *exec.Cmd{"rho": builtin("rho")}, nil)
	e.start(m3)
	if _, err := e.Entries.Save(ctx, admin, bad, entries.SaveInput{Fields: json.RawMessage(`{"body":"Bad body","trail":"fixed"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Entries.Publish(ctx, admin, bad, entries.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	before[bad] = revisionsOf(bad)
	m3.Stop()
	m4 := e.manager(map[string]func() *exec.Cmd{"rho": v2}, nil)
	e.start(m4)
	if st := statusOf(t, m4, "rho"); st.Status != StatusRunning || st.Version != "2.0.0" {
		t.Fatalf("after the upgrade: %+v", st)
	}
	typ, _ := e.Types.Get(ctx, "rho_note")
	if _, ok := typ.Field("trail"); ok || typ.Version != 2 {
		t.Fatalf("type version %d still has trail: %v", typ.Version, ok)
	}
	cases := []struct {
		id            string
		latest, liveV string // expected bodies ("" = not live)
		newRevisions  int
	}{
		{draft, "Draft body\n\ndraft trail", "", 1},
		{live, "Live body\n\nlive trail", "Live body\n\nlive trail", 1},
		{pending, "New body\n\nnew trail", "Old body\n\nold trail", 2},
		{bad, "Bad body\n\nfixed", "Bad body\n\nfixed", 1},
	}
	for _, tc := range cases {
		d, err := e.Entries.Get(ctx, admin, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		var latest, liveFields map[string]any
		_ = json.Unmarshal(d.Revision.Fields, &latest)
		_ = json.Unmarshal(d.Fields, &liveFields)
		if latest["body"] != tc.latest || latest["trail"] != nil {
			t.Errorf("%s: latest values %v", d.Title, latest)
		}
		if tc.liveV != "" && (!d.Live || liveFields["body"] != tc.liveV || liveFields["trail"] != nil) {
			t.Errorf("%s: live values %v (live %v)", d.Title, liveFields, d.Live)
		}
		if tc.liveV == "" && d.Live {
			t.Errorf("%s: a draft was published", d.Title)
		}
		if tc.id == pending && !d.HasUnpublishedChanges {
			t.Errorf("%s: the pending draft is no longer pending", d.Title)
		}
		if got := revisionsOf(tc.id); got != before[tc.id]+tc.newRevisions {
			t.Errorf("%s: %d revisions, want %d", d.Title, got, before[tc.id]+tc.newRevisions)
		}
		// The history is kept: the first revision still has its trail.
		revs, _ := e.Entries.Revisions(ctx, admin, tc.id)
		first := revs[len(revs)-1]
		if !strings.Contains(string(first.Fields), "trail") {
			t.Errorf("%s: the first revision was rewritten: %s", d.Title, first.Fields)
		}
	}
}
