package pluginhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/storetest"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// testBin is the test plugin (testdata/testplugin), built by TestMain.
var testBin string

func TestMain(m *testing.M) {
	// A fixed directory, rebuilt on every run (go build caches), so test
	// runs leave no binaries behind: testdb.Main exits without returning.
	dir := filepath.Join(os.TempDir(), "inkling-pluginhost-test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp.Close()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", tmp.Name(), "./testdata/testplugin")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp.Name())
		fmt.Fprintln(os.Stderr, "building the test plugin:", err)
		os.Exit(1)
	}
	testBin = filepath.Join(dir, "testplugin")
	if err := os.Rename(tmp.Name(), testBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testdb.Main(m)
}

var admin = auth.Principal{Kind: auth.KindToken, ID: "tok-admin", Role: auth.RoleAdmin}

// logSink collects a test's log and prints it when the test fails.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// env is a database with the engine's services and a plugins directory.
type env struct {
	*storetest.Env
	t    testing.TB
	dir  string
	logs *logSink
}

func newEnv(t testing.TB, backend string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), logs: &logSink{}}
	if backend == "postgres" {
		e.Env = storetest.NewEnv(t, testdb.Postgres(t))
	} else {
		e.Env = storetest.NewEnv(t, testdb.SQLite(t))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of the plugin host:\n%s", e.logs.String())
		}
	})
	return e
}

// manager returns a Manager on the environment, stopped at cleanup.
func (e *env) manager(builtins map[string]func() *exec.Cmd, mod func(*Config)) *Manager {
	cfg := Config{
		DB: e.DB, Types: e.Types, Entries: e.Entries, Delivery: e.Delivery,
		Builtins: builtins, Dir: e.dir, HostVersion: "test",
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Environ: func() []string { return nil },
	}
	if mod != nil {
		mod(&cfg)
	}
	m := New(cfg)
	e.t.Cleanup(m.Stop)
	return m
}

// start starts m and fails the test on error.
func (e *env) start(m *Manager) {
	e.t.Helper()
	if err := m.Start(context.Background()); err != nil {
		e.t.Fatalf("Start: %v", err)
	}
}

// install copies the test plugin into the plugins directory as
// inkling-plugin-<name> and returns its path.
func (e *env) install(name string, extra []byte) string {
	e.t.Helper()
	b, err := os.ReadFile(testBin)
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.dir, ExternalPrefix+name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, extra...), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// builtin is a built-in plugin factory running the test plugin as name.
func builtin(name string, vars ...string) func() *exec.Cmd {
	return func() *exec.Cmd {
		c := exec.Command(testBin)
		c.Env = append([]string{"TESTPLUGIN_NAME=" + name}, vars...)
		return c
	}
}

func builtins(names ...string) map[string]func() *exec.Cmd {
	out := map[string]func() *exec.Cmd{}
	for _, n := range names {
		out[n] = builtin(n)
	}
	return out
}

// status returns a plugin's status.
func statusOf(t testing.TB, m *Manager, name string) Status {
	t.Helper()
	st, err := m.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%s): %v", name, err)
	}
	return *st
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probeResult mirrors the test plugin's probe endpoint.
type probeResult struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Entry     *pluginv1.Entry   `json:"entry"`
	EntryIDs  []string          `json:"entry_ids"`
	Diags     []string          `json:"diags"`
	Settings  map[string]string `json:"settings"`
	Secrets   map[string]string `json:"secrets"`
	EnvSecret string            `json:"env_secret"`
	Scopes    []string          `json:"scopes"`
	JobID     string            `json:"job_id"`
}

// probe makes the plugin call a Host RPC and returns what it got.
func probe(t testing.TB, m *Manager, plugin string, query map[string]string) probeResult {
	t.Helper()
	resp, err := m.CallEndpoint(context.Background(), plugin, &pluginv1.EndpointRequest{Method: "GET", Path: "/" + plugin + "/probe", Query: query})
	if err != nil {
		t.Fatalf("probe %v: %v", query, err)
	}
	var r probeResult
	if err := json.Unmarshal(resp.GetBody(), &r); err != nil {
		t.Fatalf("probe %v: %v: %s", query, err, resp.GetBody())
	}
	return r
}

// fields decodes a JSON object.
func fields(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return f
}

// processGone reports whether pid no longer runs.
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// A zombie (state Z) has exited.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}
