package api_test

// The HTTP API tests drive a real server (api.New over real engine services
// and a real, migrated database) through fiber's in-memory App.Test, in the
// style of PocketBase's ApiScenario tables: each scenario names a request
// and what the response must (and must not) hold, with Before/After hooks
// for setup and for checks that need more than substrings.
//
// Every scenario runs against SQLite; the core scenarios (create, save,
// publish, delivery, pagination) also run against PostgreSQL.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/api"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/media/localblobs"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/preview"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/inklingcms/inkling/engine/webhooks"
	"github.com/inklingcms/inkling/engine/workflow"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// testBodyLimit is the server's body limit in these tests (small, so the
// 413 path is cheap to reach).
const testBodyLimit = 64 << 10

type backend struct {
	name string
	open func(testing.TB) *store.DB
}

var (
	sqliteBackend   = backend{"sqlite", testdb.SQLite}
	postgresBackend = backend{"postgres", testdb.Postgres}
)

// cheapArgon keeps password hashing fast in tests.
var cheapArgon = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// fakeClock drives the entries service: it returns now and then advances by
// step (step 0 freezes it, so several actions get the same timestamp).
type fakeClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

// Set makes the next Now return t; step is the advance after each call.
func (c *fakeClock) Set(t time.Time, step time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.step = t, step
}

var clockBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testEnv is one server over one fresh database.
type testEnv struct {
	Backend  string
	DB       *store.DB
	Types    *registry.Registry
	Auth     *auth.Service
	Entries  *entries.Service
	Delivery *delivery.Service
	Workflow *workflow.Service
	Server   *api.Server
	Clock    *fakeClock
	Queue    *jobs.Jobs
	// Vars are substituted for {{name}} in scenario URLs, bodies, headers
	// and expected content: token:<role>, tokenid:<role> and whatever
	// Before hooks add.
	Vars map[string]string
	// Last is the response of the scenario's request (for After hooks).
	Last *testResponse
	// Seed is the delivery fixture (only in the shared delivery env).
	Seed *deliverySeed

	mu       sync.Mutex
	liveOnce sync.Once
	liveAddr string
}

func (env *testEnv) set(name, value string) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.Vars[name] = value
}

func (env *testEnv) get(t testing.TB, name string) string {
	t.Helper()
	env.mu.Lock()
	defer env.mu.Unlock()
	v, ok := env.Vars[name]
	if !ok {
		t.Fatalf("no test variable %q", name)
	}
	return v
}

var placeholder = regexp.MustCompile(`\{\{([a-zA-Z0-9_:.\-]+)\}\}`)

// expand replaces {{name}} by env.Vars[name]; an unknown name fails the test.
func (env *testEnv) expand(t testing.TB, s string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		return env.get(t, placeholder.FindStringSubmatch(m)[1])
	})
}

// Fixture content types. They are registered with source "api", as if
// declared through POST /content-types.
var fixtureTypes = []string{
	`{"key":"author","label":"Author","fields":[{"name":"bio","kind":"text"}]}`,
	`{"key":"article","label":"Article","description":"A news article","fields":[
		{"name":"subtitle","kind":"text","indexed":true},
		{"name":"body","kind":"richtext"},
		{"name":"views","kind":"integer","indexed":true,"min":0},
		{"name":"rating","kind":"decimal","indexed":true},
		{"name":"category","kind":"select","indexed":true,"choices":[{"value":"news"},{"value":"blog"},{"value":"guide"}]},
		{"name":"tags","kind":"tags","indexed":true},
		{"name":"published_on","kind":"date","indexed":true},
		{"name":"featured","kind":"boolean","indexed":true},
		{"name":"author","kind":"reference","indexed":true,"allowed_types":["author"]},
		{"name":"notes","kind":"longtext"}]}`,
	`{"key":"page","label":"Page","is_page":true,"fields":[
		{"name":"summary","kind":"text"},
		{"name":"related","kind":"reference"}]}`,
}

// newEnv builds a server like cmd/inkling/serve.go does, over a fresh
// database of backend b, with the fixture types and one token per role.
func newEnv(t testing.TB, b backend) *testEnv {
	t.Helper()
	ctx := context.Background()
	db := b.open(t)
	types := registry.New(db)
	if err := types.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, def := range fixtureTypes {
		var ct contenttypes.ContentType
		if err := json.Unmarshal([]byte(def), &ct); err != nil {
			t.Fatalf("fixture type: %v", err)
		}
		if _, err := types.Register(ctx, ct, &registry.RegisterOptions{Source: "api"}); err != nil {
			t.Fatalf("register %s: %v", ct.Key, err)
		}
	}
	clock := &fakeClock{now: clockBase, step: time.Second}
	authSvc := auth.New(db, &auth.Options{Argon2: cheapArgon})
	env := &testEnv{
		Backend:  b.name,
		DB:       db,
		Types:    types,
		Auth:     authSvc,
		Workflow: workflow.New(db, authSvc, &workflow.Options{Now: clock.Now}),
		Delivery: delivery.New(db, types),
		Clock:    clock,
		Vars:     map[string]string{},
	}
	env.Entries = entries.New(db, types, authSvc, &entries.Options{Now: clock.Now, PublishGate: env.Workflow})
	signer, err := preview.NewSigner([]byte("0123456789abcdef0123456789abcdef"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := localblobs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The job queue is not migrated nor started here (that costs a second
	// per test): tests of the jobs API call env.startJobs.
	queue, err := jobs.New(jobs.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	env.Queue = queue
	env.Server = api.New(api.Deps{DB: db, Types: types, Entries: env.Entries, Delivery: env.Delivery, Auth: authSvc, Workflow: env.Workflow, Preview: signer,
		Webhooks: webhooks.New(db, authSvc, nil), Plugins: pluginhost.New(pluginhost.Config{DB: db, Types: types}),
		Media: media.New(db, blobs, authSvc, media.Options{MaxBytes: testBodyLimit / 2, Now: clock.Now}), Jobs: queue,
		Version: "test", BodyLimit: testBodyLimit})
	for _, role := range auth.Roles {
		tok, plain, err := authSvc.CreateToken(ctx, auth.TokenInput{Name: "test " + string(role), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		env.Vars["token:"+string(role)] = plain
		env.Vars["tokenid:"+string(role)] = tok.ID
	}
	return env
}

// testResponse is a buffered response.
type testResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *testResponse) String() string {
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}

// JSON decodes the body into a generic value.
func (r *testResponse) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *testResponse) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode response: %v: %s", err, r.Body)
	}
}

// send runs req through the app.
func (env *testEnv) send(t testing.TB, req *http.Request) *testResponse {
	t.Helper()
	res, err := env.Server.App.Test(req, fiber.TestConfig{Timeout: 30 * time.Second, FailOnTimeout: true})
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &testResponse{Status: res.StatusCode, Header: res.Header, Body: body}
}

// liveURL serves the app on a loopback port (started on first use) and
// returns its base URL. App.Test cannot show responses that fasthttp writes
// itself before the app sees the request (413 for an oversized body: its
// ServeConn returns ErrBodyTooLarge, which App.Test reports as an error).
func (env *testEnv) liveURL(t testing.TB) string {
	t.Helper()
	env.liveOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			// As cmd/inkling/serve.go does.
			_ = env.Server.App.Listener(api.LingeringListener(ln), fiber.ListenConfig{DisableStartupMessage: true})
		}()
		t.Cleanup(func() {
			_ = env.Server.App.ShutdownWithTimeout(5 * time.Second)
			<-done
		})
		env.liveAddr = "http://" + ln.Addr().String()
	})
	return env.liveAddr
}

// sendLive sends a client request to the live listener.
func (env *testEnv) sendLive(t testing.TB, req *http.Request) *testResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &testResponse{Status: res.StatusCode, Header: res.Header, Body: body}
}

// call sends a request as role ("" for none). body is sent as is when it
// is a string, else JSON-encoded; nil sends no body. URL placeholders are
// expanded.
func (env *testEnv) call(t testing.TB, role, method, url string, body any) *testResponse {
	t.Helper()
	var r io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(env.expand(t, b))
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(js))
	}
	req := httptest.NewRequest(method, env.expand(t, url), r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+env.get(t, "token:"+role))
	}
	return env.send(t, req)
}

// must sends a request and fails unless the status is want; it returns the
// decoded JSON object (nil for an empty body).
func (env *testEnv) must(t testing.TB, want int, role, method, url string, body any) map[string]any {
	t.Helper()
	res := env.call(t, role, method, url, body)
	if res.Status != want {
		t.Fatalf("%s %s as %q: status %d, want %d: %s", method, url, role, res.Status, want, res.Body)
	}
	if len(res.Body) == 0 {
		return nil
	}
	return res.JSON(t)
}

// createEntry creates an entry as role and returns its id; the id and the
// first revision id are stored as vars name and name:rev1 when name != "".
func (env *testEnv) createEntry(t testing.TB, role, name string, in map[string]any) string {
	t.Helper()
	m := env.must(t, http.StatusCreated, role, http.MethodPost, "/api/admin/v1/entries", in)
	id := str(t, m, "id")
	if name != "" {
		env.set(name, id)
		env.set(name+":rev1", str(t, m, "latest_revision.id"))
	}
	return id
}

func (env *testEnv) publish(t testing.TB, role, id string) map[string]any {
	t.Helper()
	return env.must(t, http.StatusOK, role, http.MethodPost, "/api/admin/v1/entries/"+id+"/publish", nil)
}

// lookup walks a dotted path through decoded JSON objects.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func str(t testing.TB, m map[string]any, path string) string {
	t.Helper()
	v, ok := lookup(m, path)
	s, isStr := v.(string)
	if !ok || !isStr {
		t.Fatalf("%s: want a string, got %#v in %v", path, v, m)
	}
	return s
}

func items(t testing.TB, m map[string]any) []map[string]any {
	t.Helper()
	raw, ok := m["items"].([]any)
	if !ok {
		t.Fatalf("no items array in %v", m)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		if out[i], ok = it.(map[string]any); !ok {
			t.Fatalf("item %d is not an object: %#v", i, it)
		}
	}
	return out
}

// apiScenario is one request and what its response must hold.
type apiScenario struct {
	Name   string
	Method string
	URL    string // {{var}} placeholders are expanded
	// Body is sent as is ({{var}} expanded); with no Content-Type header,
	// application/json is sent.
	Body    string
	Headers map[string]string // values are expanded

	ExpectedStatus     int
	ExpectedContent    []string // substrings of the body (expanded)
	NotExpectedContent []string // substrings that must be absent (expanded)
	ExpectedHeaders    map[string]string
	// ExpectedProblemCode is the problem+json code of an error response;
	// it is required for every 4xx expectation.
	ExpectedProblemCode string
	// ExpectedDiagPaths must each be the path of a diagnostic.
	ExpectedDiagPaths []string

	// Live sends the request over a real loopback connection instead of
	// App.Test (see liveURL).
	Live bool

	Before func(t *testing.T, env *testEnv)
	After  func(t *testing.T, env *testEnv)
}

// Authorization headers for the fixture tokens.
var (
	asAdmin    = map[string]string{"Authorization": "Bearer {{token:admin}}"}
	asEditor   = map[string]string{"Authorization": "Bearer {{token:editor}}"}
	asReviewer = map[string]string{"Authorization": "Bearer {{token:reviewer}}"}
)

func withHeader(h map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for hk, hv := range h {
		out[hk] = hv
	}
	return out
}

// runScenarios runs each scenario as a parallel subtest on the env that
// envFor returns (a fresh one, or a shared read-only one).
func runScenarios(t *testing.T, envFor func(t *testing.T) *testEnv, scenarios []apiScenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, sc := range scenarios {
		if seen[sc.Name] {
			t.Fatalf("duplicate scenario name %q", sc.Name)
		}
		seen[sc.Name] = true
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, envFor(t))
		})
	}
}

func (sc apiScenario) run(t *testing.T, env *testEnv) {
	t.Helper()
	if sc.ExpectedStatus == 0 || sc.Method == "" || sc.URL == "" {
		t.Fatalf("scenario %q: Method, URL and ExpectedStatus are required", sc.Name)
	}
	if sc.ExpectedStatus >= 400 && sc.ExpectedProblemCode == "" {
		t.Fatalf("scenario %q: an error expectation needs ExpectedProblemCode", sc.Name)
	}
	if sc.Before != nil {
		sc.Before(t, env)
	}
	var body io.Reader = http.NoBody
	if sc.Body != "" {
		body = strings.NewReader(env.expand(t, sc.Body))
	}
	var req *http.Request
	if sc.Live {
		var err error
		if req, err = http.NewRequest(sc.Method, env.liveURL(t)+env.expand(t, sc.URL), body); err != nil {
			t.Fatal(err)
		}
	} else {
		req = httptest.NewRequest(sc.Method, env.expand(t, sc.URL), body)
	}
	for k, v := range sc.Headers {
		req.Header.Set(k, env.expand(t, v))
	}
	if sc.Body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	var res *testResponse
	if sc.Live {
		res = env.sendLive(t, req)
	} else {
		res = env.send(t, req)
	}
	env.Last = res
	text := string(res.Body)

	if res.Status >= 500 {
		t.Fatalf("server error: %s", res)
	}
	if res.Status != sc.ExpectedStatus {
		t.Fatalf("status %d, want %d: %s", res.Status, sc.ExpectedStatus, res.Body)
	}
	for _, c := range sc.ExpectedContent {
		if c = env.expand(t, c); !strings.Contains(text, c) {
			t.Errorf("body lacks %q: %s", c, text)
		}
	}
	for _, c := range sc.NotExpectedContent {
		if c = env.expand(t, c); strings.Contains(text, c) {
			t.Errorf("body holds %q: %s", c, text)
		}
	}
	for k, v := range sc.ExpectedHeaders {
		if got := res.Header.Get(k); !strings.Contains(got, env.expand(t, v)) {
			t.Errorf("header %s = %q, want it to contain %q", k, got, v)
		}
	}
	if res.Status >= 400 {
		p := checkProblem(t, res)
		if string(p.Code) != sc.ExpectedProblemCode {
			t.Errorf("problem code %q, want %q: %s", p.Code, sc.ExpectedProblemCode, text)
		}
		var paths []string
		for _, d := range p.Diagnostics {
			paths = append(paths, d.Path)
		}
		for _, want := range sc.ExpectedDiagPaths {
			if !slices.Contains(paths, want) {
				t.Errorf("no diagnostic at %q; paths %q: %s", want, paths, text)
			}
		}
	} else if sc.ExpectedProblemCode != "" || len(sc.ExpectedDiagPaths) > 0 {
		t.Errorf("scenario expects a problem, but the response succeeded")
	}
	if sc.After != nil && !t.Failed() {
		sc.After(t, env)
	}
}

// checkProblem asserts res is a well-formed RFC 9457 problem and returns it.
func checkProblem(t testing.TB, res *testResponse) api.Problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, api.ProblemContentType) {
		t.Errorf("error Content-Type %q, want %s", ct, api.ProblemContentType)
	}
	var p api.Problem
	if err := json.Unmarshal(res.Body, &p); err != nil {
		t.Fatalf("error body is not a problem: %v: %s", err, res.Body)
	}
	if p.Status != res.Status || p.Title == "" || p.Type == "" || p.Code == "" {
		t.Errorf("incomplete problem (status %d): %+v", res.Status, p)
	}
	return p
}
