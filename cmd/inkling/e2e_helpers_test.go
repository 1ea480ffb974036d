//go:build unix

package main

// Helpers of the end-to-end tests (e2e_test.go): they build the real
// binary, run `inkling serve` as a child process on a free loopback port,
// run CLI commands as second processes against the same database, and talk
// to the server over HTTP like any client would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

// TestMain stops the throwaway PostgreSQL server (started on first use by
// testdb.PostgresURL) when the package's tests end.
func TestMain(m *testing.M) { testdb.Main(m) }

const (
	readyTimeout    = 20 * time.Second // serve start → /readyz 200
	shutdownTimeout = 10 * time.Second // SIGTERM → process exit
	cliTimeout      = 30 * time.Second // one CLI command
	requestTimeout  = 30 * time.Second // one HTTP request
)

// buildInkling compiles the command under test (the package in the working
// directory, cmd/inkling) into dir and returns the binary's path.
func buildInkling(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "inkling")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -o %s .: %v\n%s", bin, err, out)
	}
	return bin
}

// backend is a database the binary can run on. env returns the extra
// environment every process of one test gets (nil for the SQLite default).
type backend struct {
	name string
	env  func(t *testing.T) []string
}

var backends = []backend{
	// SQLite is the zero-configuration default: `serve --data DIR` and
	// nothing else.
	{name: "sqlite", env: func(*testing.T) []string { return nil }},
	// Postgres: the same binary and flags, plus INKLING_DATABASE_URL
	// pointing to a fresh database in the package's throwaway server.
	{name: "postgres", env: func(t *testing.T) []string {
		return []string{"INKLING_DATABASE_URL=" + testdb.PostgresURL(t)}
	}},
}

// hermeticEnv is the test process's environment without any INKLING_*
// variable, so a developer's or CI's settings cannot change what is tested.
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INKLING_") {
			env = append(env, kv)
		}
	}
	return env
}

// syncBuffer is a bytes.Buffer safe for a child's writer goroutine and the
// test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is a running `inkling serve` and the admin token of its
// database.
type instance struct {
	backend string
	bin     string
	dataDir string
	workDir string
	env     []string // environment of every process (serve and CLI)
	base    string   // http://127.0.0.1:PORT
	client  *http.Client
	stderr  *syncBuffer
	admin   string // admin API token
}

// startInkling runs `inkling serve --data DIR` on a free loopback port for
// the duration of t, waits until /readyz answers 200, and creates an admin
// token with `inkling tokens create` run as a second process against the
// same database. The listen address is passed as INKLING_ADDR so that the
// command line is exactly `serve --data DIR`: nothing else is needed. On
// cleanup the server gets SIGTERM and must exit with status 0 within
// shutdownTimeout; when the test failed, its stderr is logged.
func startInkling(t *testing.T, bin string, be backend) *instance {
	t.Helper()
	in := &instance{
		backend: be.name,
		bin:     bin,
		dataDir: t.TempDir(),
		workDir: t.TempDir(), // the default ./data would land here, never in the repository
		env:     append(hermeticEnv(), be.env(t)...),
		client:  &http.Client{Timeout: requestTimeout},
	}
	// A port taken between FreePort and the server's listen fails the
	// start; try again on another port.
	for attempt := 1; ; attempt++ {
		port, err := testdb.FreePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		err = in.serve(t, addr)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(in.stderr.String(), "address already in use") {
			t.Fatalf("inkling serve did not become ready: %v\n--- serve stderr ---\n%s", err, in.stderr)
		}
	}
	in.admin = in.createToken(t, "admin", "e2e")
	return in
}

// serve starts the server on addr and waits for readiness. On success it
// registers the cleanup that stops it; on failure the process is gone.
func (in *instance) serve(t *testing.T, addr string) error {
	in.stderr = &syncBuffer{}
	in.base = "http://" + addr
	cmd := exec.Command(in.bin, "serve", "--data", in.dataDir)
	cmd.Env = append(append([]string{}, in.env...), "INKLING_ADDR="+addr)
	cmd.Dir = in.workDir
	cmd.Stdout = in.stderr // serve prints nothing on stdout; keep whatever it prints next to its logs
	cmd.Stderr = in.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	deadline := time.Now().Add(readyTimeout)
	probe := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			return fmt.Errorf("serve exited before it was ready: %v", cmd.ProcessState)
		default:
		}
		if resp, err := probe.Get(in.base + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("/readyz did not answer 200 within %s", readyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	probe.CloseIdleConnections()

	stderr := in.stderr
	t.Cleanup(func() {
		in.client.CloseIdleConnections()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM to inkling serve: %v", err)
		}
		select {
		case <-done:
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("inkling serve exited with %v after SIGTERM; want exit status 0", cmd.ProcessState)
			}
		case <-time.After(shutdownTimeout):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("inkling serve did not exit within %s of SIGTERM; killed it", shutdownTimeout)
		}
		if t.Failed() {
			t.Logf("--- inkling serve (%s) stderr ---\n%s", in.backend, stderr)
		}
	})
	return nil
}

// cli runs the binary as a separate process against the same database
// (same --data directory, same environment) and returns its stdout.
func (in *instance) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	argv := append([]string{"--data", in.dataDir}, args...)
	cmd := exec.CommandContext(ctx, in.bin, argv...)
	cmd.Env = in.env
	cmd.Dir = in.workDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("inkling %s: %v\n--- stdout ---\n%s--- stderr ---\n%s", strings.Join(argv, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

// createToken runs `inkling tokens create` and returns the token, which the
// command prints alone on its last line.
func (in *instance) createToken(t *testing.T, role, name string) string {
	t.Helper()
	out := in.cli(t, "tokens", "create", "--role", role, "--name", name)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	tok := strings.TrimSpace(lines[len(lines)-1])
	if tok == "" || strings.ContainsAny(tok, " \t") {
		t.Fatalf("tokens create: last line of stdout is not a token:\n%s", out)
	}
	return tok
}

// response is a buffered HTTP response.
type response struct {
	req    string // "METHOD path", for messages
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string {
	b := r.body
	if len(b) > 2000 {
		b = append(b[:2000:2000], "…"...)
	}
	return fmt.Sprintf("%s → %d %s\n%s", r.req, r.status, r.header.Get("Content-Type"), b)
}

// mediaType is the response's Content-Type without parameters.
func (r *response) mediaType() string {
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	return mt
}

// reqOption adjusts a request before it is sent.
type reqOption func(*http.Request)

// withAuth replaces the Authorization header ("" sends none).
func withAuth(h string) reqOption {
	return func(r *http.Request) {
		if h == "" {
			r.Header.Del("Authorization")
		} else {
			r.Header.Set("Authorization", h)
		}
	}
}

// withToken authenticates as the holder of token.
func withToken(token string) reqOption { return withAuth("Bearer " + token) }

// withContentType replaces the request's Content-Type.
func withContentType(ct string) reqOption {
	return func(r *http.Request) { r.Header.Set("Content-Type", ct) }
}

// newRequest builds a request. body is nil (no body), a string or []byte
// (sent as is), an io.Reader (streamed, chunked) or any other value
// (encoded as JSON). Management API requests carry the admin token unless
// an option says otherwise.
func (in *instance) newRequest(t *testing.T, method, path string, body any, opts ...reqOption) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = struct{ io.Reader }{b} // hide the length: Transfer-Encoding: chunked
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, in.base+path, rd)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/api/admin/") {
		req.Header.Set("Authorization", "Bearer "+in.admin)
	}
	for _, o := range opts {
		o(req)
	}
	return req
}

// do sends a request (see newRequest) and buffers the response.
func (in *instance) do(t *testing.T, method, path string, body any, opts ...reqOption) *response {
	t.Helper()
	req := in.newRequest(t, method, path, body, opts...)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	return &response{req: method + " " + path, status: resp.StatusCode, header: resp.Header, body: b}
}

// decode decodes a JSON response into a T, failing the test when the
// response is not JSON.
func decode[T any](t *testing.T, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response is not the expected JSON: %v\n%s", err, r)
	}
	return v
}

// expect fails the test unless the response has the wanted status.
func expect(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want status %d, got:\n%s", status, r)
	}
}

// problem is an application/problem+json error body.
type problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Detail      string `json:"detail"`
	Instance    string `json:"instance"`
	Code        string `json:"code"`
	RequestID   string `json:"request_id"`
	Diagnostics []struct {
		Severity string `json:"severity"`
		Path     string `json:"path"`
		Code     string `json:"code"`
		Summary  string `json:"summary"`
	} `json:"diagnostics"`
}

func (p problem) paths() []string {
	var out []string
	for _, d := range p.Diagnostics {
		out = append(out, d.Path)
	}
	return out
}

// expectProblem checks that r is an RFC 9457 problem with status and code
// that says what is wrong and, when diagPath is set, has an error
// diagnostic at diagPath.
func expectProblem(t *testing.T, r *response, status int, code, diagPath string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("want status %d (%s), got:\n%s", status, code, r)
	}
	if mt := r.mediaType(); mt != "application/problem+json" {
		t.Fatalf("want Content-Type application/problem+json, got %q:\n%s", r.header.Get("Content-Type"), r)
	}
	p := decode[problem](t, r)
	if p.Status != status || p.Code != code || p.Title == "" || p.Detail == "" {
		t.Fatalf("want a problem with status %d, code %q, a title and a detail; got:\n%s", status, code, r)
	}
	if diagPath != "" {
		found := false
		for _, d := range p.Diagnostics {
			if d.Path == diagPath {
				found = true
				if d.Severity != "error" || d.Code == "" || d.Summary == "" {
					t.Errorf("diagnostic at %s is not a complete error: %+v", diagPath, d)
				}
			}
		}
		if !found {
			t.Fatalf("want a diagnostic at %q, got paths %q:\n%s", diagPath, p.paths(), r)
		}
	}
	return p
}

// entry is an entry as the management API returns it.
type entry struct {
	ID                    string  `json:"id"`
	Type                  string  `json:"type"`
	Title                 string  `json:"title"`
	DraftTitle            string  `json:"draft_title"`
	Slug                  string  `json:"slug"`
	Live                  bool    `json:"live"`
	HasUnpublishedChanges bool    `json:"has_unpublished_changes"`
	LatestRevisionID      *string `json:"latest_revision_id"`
	LiveRevisionID        *string `json:"live_revision_id"`
	LatestRevision        *struct {
		ID     string         `json:"id"`
		Number int            `json:"number"`
		Title  string         `json:"title"`
		Slug   string         `json:"slug"`
		Fields map[string]any `json:"fields"`
	} `json:"latest_revision"`
}

// item is a published entry as the delivery API returns it.
type item struct {
	ID               string         `json:"id"`
	Type             string         `json:"type"`
	Title            string         `json:"title"`
	Slug             string         `json:"slug"`
	FirstPublishedAt time.Time      `json:"first_published_at"`
	PublishedAt      time.Time      `json:"published_at"`
	Fields           map[string]any `json:"fields"`
}

// page is one page of a delivery list.
type page struct {
	Items      []item  `json:"items"`
	NextCursor *string `json:"next_cursor"`
	Limit      int     `json:"limit"`
}

// eventType is the content type the tests register over HTTP: no title
// field (every entry has a title), an indexed required text, an indexed
// integer, indexed tags, a reference to another event and a stream with a
// richtext block and a struct block.
const eventType = `{
  "key": "event",
  "label": "Event",
  "fields": [
    {"name": "venue", "kind": "text", "required": true, "indexed": true},
    {"name": "year", "kind": "integer", "indexed": true},
    {"name": "tags", "kind": "tags", "indexed": true},
    {"name": "related", "kind": "reference", "allowed_types": ["event"]},
    {"name": "body", "kind": "stream", "children": [
      {"name": "para", "kind": "richtext"},
      {"name": "quote", "kind": "struct", "children": [
        {"name": "text", "kind": "text", "required": true},
        {"name": "caption", "kind": "text", "max_length": 20}
      ]}
    ]}
  ]
}`

// registerEventType registers eventType through the management API.
func (in *instance) registerEventType(t *testing.T) {
	t.Helper()
	r := in.do(t, "POST", "/api/admin/v1/content-types", eventType)
	expect(t, r, http.StatusCreated)
	res := decode[struct {
		Type    struct{ Key string } `json:"type"`
		Created bool                 `json:"created"`
	}](t, r)
	if !res.Created || res.Type.Key != "event" {
		t.Fatalf("register event: want created type event, got:\n%s", r)
	}
}

// createEntry creates a draft through the management API.
func (in *instance) createEntry(t *testing.T, body map[string]any) entry {
	t.Helper()
	r := in.do(t, "POST", "/api/admin/v1/entries", body)
	expect(t, r, http.StatusCreated)
	e := decode[entry](t, r)
	if e.ID == "" || e.Live || e.LatestRevision == nil {
		t.Fatalf("create: want a new draft with its revision, got:\n%s", r)
	}
	if loc := r.header.Get("Location"); loc != "/api/admin/v1/entries/"+e.ID {
		t.Errorf("create: Location = %q, want /api/admin/v1/entries/%s", loc, e.ID)
	}
	return e
}

// saveEntry saves a new draft (PUT).
func (in *instance) saveEntry(t *testing.T, id string, body map[string]any) entry {
	t.Helper()
	r := in.do(t, "PUT", "/api/admin/v1/entries/"+id, body)
	expect(t, r, http.StatusOK)
	return decode[entry](t, r)
}

// getEntry reads an entry (with its latest revision) from the management API.
func (in *instance) getEntry(t *testing.T, id string) entry {
	t.Helper()
	r := in.do(t, "GET", "/api/admin/v1/entries/"+id, nil)
	expect(t, r, http.StatusOK)
	return decode[entry](t, r)
}

// publish publishes an entry's latest revision.
func (in *instance) publish(t *testing.T, id string) entry {
	t.Helper()
	r := in.do(t, "POST", "/api/admin/v1/entries/"+id+"/publish", nil)
	expect(t, r, http.StatusOK)
	e := decode[entry](t, r)
	if !e.Live {
		t.Fatalf("publish: entry is not live:\n%s", r)
	}
	return e
}

// entryIDs lists the ids of every entry (draft or live) of a type through
// the management API.
func (in *instance) entryIDs(t *testing.T, typ string) []string {
	t.Helper()
	r := in.do(t, "GET", "/api/admin/v1/entries?limit=200&type="+typ, nil)
	expect(t, r, http.StatusOK)
	l := decode[struct {
		Items []entry `json:"items"`
	}](t, r)
	ids := make([]string, len(l.Items))
	for i, e := range l.Items {
		ids[i] = e.ID
	}
	sort.Strings(ids)
	return ids
}

// revisionIDs lists an entry's revisions through the management API.
func (in *instance) revisionIDs(t *testing.T, id string) []string {
	t.Helper()
	r := in.do(t, "GET", "/api/admin/v1/entries/"+id+"/revisions", nil)
	expect(t, r, http.StatusOK)
	l := decode[struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}](t, r)
	ids := make([]string, len(l.Items))
	for i, rev := range l.Items {
		ids[i] = rev.ID
	}
	return ids
}

// deliveryGet reads a published entry by id or slug.
func (in *instance) deliveryGet(t *testing.T, idOrSlug string) *response {
	t.Helper()
	return in.do(t, "GET", "/api/v1/content/event/"+idOrSlug, nil)
}

// slugsOf returns the slugs of items, in order.
func slugsOf(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Slug
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
