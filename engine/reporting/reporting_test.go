package reporting_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/reporting"
	"github.com/riverqueue/river/rivertype"
)

// sentryServer speaks Sentry's envelope endpoint
// (POST /api/<project>/envelope/): a header line, then item header and
// payload lines; events are items of type "event".
type sentryServer struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
	auth   []string
}

func newSentry(t *testing.T) *sentryServer {
	s := &sentryServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/42/envelope/" {
			http.Error(w, "not found", 404)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sc.Scan() // envelope header
		for sc.Scan() {
			var item struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(sc.Bytes(), &item); err != nil || !sc.Scan() {
				http.Error(w, "bad envelope", 400)
				return
			}
			if item.Type == "event" {
				var ev map[string]any
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					http.Error(w, "bad event", 400)
					return
				}
				s.mu.Lock()
				s.events = append(s.events, ev)
				s.auth = append(s.auth, r.Header.Get("X-Sentry-Auth"))
				s.mu.Unlock()
			}
		}
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"id":"x"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sentryServer) dsn() string {
	return strings.Replace(s.URL, "http://", "http://public@", 1) + "/42"
}

func (s *sentryServer) received() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.events...)
}

func TestReports(t *testing.T) {
	srv := newSentry(t)
	rep, err := reporting.New(reporting.Config{DSN: srv.dsn(), Environment: "test", Release: "v9"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		send  func()
		check func(t *testing.T, ev map[string]any)
	}{
		{"5xx with its request", func() {
			rep.RequestError(errors.New("database on fire"), reporting.Request{Method: "GET", Path: "/api/v1/today?preview=secret-token", RequestID: "req-1", Status: 500, Principal: "tok_1"})
		}, func(t *testing.T, ev map[string]any) {
			req, _ := ev["request"].(map[string]any)
			tags, _ := ev["tags"].(map[string]any)
			if req["url"] != "/api/v1/today" || req["method"] != "GET" || tags["request_id"] != "req-1" || tags["http.status_code"] != "500" {
				t.Errorf("request context: %v %v", req, tags)
			}
			// The query string (a preview token, say) is not sent; the
			// stack frames' source lines are, so look outside them.
			for _, part := range []any{ev["request"], ev["contexts"], ev["tags"], ev["user"], ev["extra"]} {
				if b, _ := json.Marshal(part); bytes.Contains(b, []byte("secret-token")) {
					t.Errorf("the query string was sent: %s", b)
				}
			}
			if !strings.Contains(mustJSON(ev["exception"]), "database on fire") {
				t.Errorf("exception: %s", mustJSON(ev["exception"]))
			}
			if ev["environment"] != "test" || ev["release"] != "v9" {
				t.Errorf("environment/release: %v %v", ev["environment"], ev["release"])
			}
		}},
		{"panic", func() {
			rep.Panic("index out of range", reporting.Request{Method: "POST", Path: "/api/admin/v1/entries", RequestID: "req-2", Status: 500})
		}, func(t *testing.T, ev map[string]any) {
			if ev["level"] != "fatal" || !strings.Contains(mustJSON(ev), "index out of range") {
				t.Errorf("panic event: %s", mustJSON(ev))
			}
		}},
		{"job failure to be retried", func() {
			rep.JobFailure(errors.New("ElevenLabs 503"), &rivertype.JobRow{ID: 7, Kind: "inkling.plugin_job", Attempt: 1, MaxAttempts: 5,
				Tags: []string{"plugin-elevenlabs", "elevenlabs-generate_audio"}}, false)
		}, func(t *testing.T, ev map[string]any) {
			tags := ev["tags"].(map[string]any)
			if ev["level"] != "warning" || tags["job.kind"] != "inkling.plugin_job" || tags["job.tags"] != "plugin-elevenlabs,elevenlabs-generate_audio" {
				t.Errorf("job event: %s", mustJSON(ev))
			}
		}},
		{"final job failure", func() {
			rep.JobFailure(errors.New("ElevenLabs 500"), &rivertype.JobRow{ID: 8, Kind: "inkling.plugin_job", Attempt: 5, MaxAttempts: 5}, true)
		}, func(t *testing.T, ev map[string]any) {
			if ev["level"] != "error" {
				t.Errorf("final job event level %v", ev["level"])
			}
		}},
	}
	for i, tc := range cases {
		tc.send()
		if !rep.Flush(5 * time.Second) {
			t.Fatalf("%s: not flushed", tc.name)
		}
		evs := srv.received()
		if len(evs) != i+1 {
			t.Fatalf("%s: %d events received", tc.name, len(evs))
		}
		tc.check(t, evs[i])
	}
	if !strings.Contains(srv.auth[0], "sentry_key=public") {
		t.Errorf("auth header %q", srv.auth[0])
	}
}

// TestUnreachableSentry: reporting never blocks the caller, whether Sentry
// refuses connections or accepts them and never answers.
func TestUnreachableSentry(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hanging.Close()
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := "http://public@" + ln.Addr().String() + "/42"
	ln.Close() // nothing listens there now: connections are refused

	for _, dsn := range []string{refusing, strings.Replace(hanging.URL, "http://", "http://public@", 1) + "/42"} {
		rep, err := reporting.New(reporting.Config{DSN: dsn, Timeout: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 500; i++ {
				rep.RequestError(errors.New("boom"), reporting.Request{Method: "GET", Path: "/x", Status: 500})
				rep.JobFailure(errors.New("boom"), &rivertype.JobRow{ID: int64(i), Kind: "k", Attempt: 1, MaxAttempts: 3}, false)
			}
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: reporting blocked the caller", dsn)
		}
		// Flush gives up at its deadline instead of waiting for Sentry.
		rep.Flush(100 * time.Millisecond)
	}
}

func TestNoDSN(t *testing.T) {
	rep, err := reporting.New(reporting.Config{})
	if err != nil || rep != nil {
		t.Fatalf("no DSN: %v %v", rep, err)
	}
	// A nil reporter is a no-op.
	rep.RequestError(errors.New("x"), reporting.Request{})
	rep.Panic("x", reporting.Request{})
	rep.JobFailure(errors.New("x"), &rivertype.JobRow{Kind: "k"}, true)
	if !rep.Flush(time.Millisecond) {
		t.Error("nil Flush")
	}
	if _, err := reporting.New(reporting.Config{DSN: "not a dsn"}); err == nil {
		t.Error("a malformed DSN was accepted")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
