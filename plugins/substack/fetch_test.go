package substack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/plugins/sdk"

	"github.com/inklingcms/inkling/plugins/substack/substackfake"
)

func TestFetch(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantTitle string // of the first item; "" expects an error
		wantErr   string
	}{
		{"latin-1 feed", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>x</title>" +
			"<item><title>Caf\xe9</title><guid>g</guid></item></channel></rss>", "Café", ""},
		{"HTML entities in text", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>` +
			`<item><title>A&nbsp;B &amp; C</title></item></channel></rss>`, "A\u00a0B & C", ""},
		{"mismatched tags", `<rss version="2.0"><channel><title>x</title><item><title>a</titl></item></channel></rss>`, "", "parsing: XML syntax error"},
		{"two roots", `<rss version="2.0"><channel></channel></rss><rss/>`, "", "parsing"},
		{"Atom is accepted", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>` +
			`<entry><title>Atom entry</title><id>urn:1</id></entry></feed>`, "Atom entry", ""},
		{"JSON Feed is accepted", `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","title":"JSON item"}]}`, "JSON item", ""},
		{"text after the root", `<rss version="2.0"><channel></channel></rss>junk`, "", "text outside the root element"},
		{"empty document", ``, "", "parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := substackfake.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.ServeRaw([]byte(tt.raw))
			got, err := newFetcher(nil, nil).fetch(t.Context(), srv.FeedURL(), false, retryPolicy{})
			if tt.wantErr != "" {
				var fe *FeedError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a FeedError saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Feed.Items) == 0 || got.Feed.Items[0].Title != tt.wantTitle {
				t.Errorf("items %+v, want the first titled %q", got.Feed.Items, tt.wantTitle)
			}
		})
	}
}

func TestFetchSendsRememberedValidators(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetItems(substackfake.SampleItems()...)
	f := newFetcher(nil, nil)
	first, err := f.fetch(t.Context(), srv.FeedURL(), true, retryPolicy{})
	if err != nil || first.Feed == nil {
		t.Fatalf("first fetch: %v", err)
	}
	// Not remembered yet: a full answer again.
	if again, err := f.fetch(t.Context(), srv.FeedURL(), true, retryPolicy{}); err != nil || again.Feed == nil {
		t.Fatalf("second fetch: %v, %+v", err, again)
	}
	f.remember(srv.FeedURL(), first.validators)
	got, err := f.fetch(t.Context(), srv.FeedURL(), true, retryPolicy{})
	if err != nil || got.Feed != nil {
		t.Fatalf("conditional fetch: %v, feed %v; want a 304", err, got)
	}
	if srv.LastRequestHeader("If-Modified-Since") != first.validators.lastModified || srv.LastRequestHeader("If-None-Match") != first.validators.etag {
		t.Error("validators not sent back")
	}
	// Unconditional fetches ignore them.
	if got, err := f.fetch(t.Context(), srv.FeedURL(), false, retryPolicy{}); err != nil || got.Feed == nil {
		t.Fatalf("unconditional fetch: %v", err)
	}
	if srv.LastRequestHeader("If-None-Match") != "" || srv.NotModified() != 1 {
		t.Error("an unconditional fetch sent validators")
	}
	if accept := srv.LastRequestHeader("Accept"); !strings.Contains(accept, "application/rss+xml") {
		t.Errorf("Accept = %q", accept)
	}
}

func TestFetchRetries(t *testing.T) {
	const base = 10 * time.Millisecond
	// between reports whether d is base·2^retry ±25%.
	between := func(d time.Duration, retry int) bool {
		b := base << retry
		return d >= b-b/4 && d <= b+b/4
	}
	tests := []struct {
		name      string
		retries   int
		setup     func(*substackfake.Server)
		wantReqs  int
		wantErr   string // "" expects the feed
		permanent bool
		// waits checks the delays slept between tries.
		waits func([]time.Duration) bool
	}{
		{"429 then 500 then the feed", 3, func(s *substackfake.Server) {
			s.FailNext(1, http.StatusTooManyRequests)
			s.FailNext(1, http.StatusInternalServerError)
		}, 3, "", false, func(w []time.Duration) bool { return len(w) == 2 && between(w[0], 0) && between(w[1], 1) }},
		{"408 is retried", 3, func(s *substackfake.Server) { s.FailNext(1, http.StatusRequestTimeout) },
			2, "", false, func(w []time.Duration) bool { return len(w) == 1 }},
		{"Retry-After seconds", 3, func(s *substackfake.Server) {
			s.SetRetryAfter("7")
			s.FailNext(1, http.StatusTooManyRequests)
		}, 2, "", false, func(w []time.Duration) bool { return len(w) == 1 && w[0] == 7*time.Second }},
		{"Retry-After as an HTTP date", 3, func(s *substackfake.Server) {
			s.SetRetryAfter(time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat))
			s.FailNext(1, http.StatusServiceUnavailable)
		}, 2, "", false, func(w []time.Duration) bool { return len(w) == 1 && w[0] > 28*time.Second && w[0] <= 30*time.Second }},
		{"Retry-After capped", 3, func(s *substackfake.Server) {
			s.SetRetryAfter("86400")
			s.FailNext(1, http.StatusTooManyRequests)
		}, 2, "", false, func(w []time.Duration) bool { return len(w) == 1 && w[0] == MaxRetryWait }},
		{"exhausted 503", 3, func(s *substackfake.Server) { s.FailWith(http.StatusServiceUnavailable) },
			4, "HTTP 503 Service Unavailable (gave up after 4 tries)", false,
			func(w []time.Duration) bool { return len(w) == 3 && between(w[2], 2) }},
		{"no retries", 0, func(s *substackfake.Server) { s.FailWith(http.StatusBadGateway) },
			1, "HTTP 502 Bad Gateway", false, func(w []time.Duration) bool { return len(w) == 0 }},
		{"404 is permanent", 3, func(s *substackfake.Server) { s.FailWith(http.StatusNotFound) },
			1, "HTTP 404 Not Found (not retried: check the feed_url setting)", true, func(w []time.Duration) bool { return len(w) == 0 }},
		{"410 is permanent", 3, func(s *substackfake.Server) { s.FailWith(http.StatusGone) },
			1, "HTTP 410 Gone", true, func(w []time.Duration) bool { return len(w) == 0 }},
		{"401 is permanent", 3, func(s *substackfake.Server) { s.FailWith(http.StatusUnauthorized) },
			1, "HTTP 401 Unauthorized", true, func(w []time.Duration) bool { return len(w) == 0 }},
		{"malformed XML is not retried", 3, func(s *substackfake.Server) { s.ServeRaw([]byte(`<rss><channel></rss>`)) },
			1, "parsing", false, func(w []time.Duration) bool { return len(w) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := substackfake.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.SetItems(substackfake.SampleItems()...)
			tt.setup(srv)
			f := newFetcher(nil, nil)
			var waits []time.Duration
			f.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			got, err := f.fetch(t.Context(), srv.FeedURL(), false, retryPolicy{retries: tt.retries, backoff: base})
			if tt.wantErr == "" {
				if err != nil || got.Feed == nil || len(got.Feed.Items) != len(substackfake.SampleItems()) {
					t.Fatalf("fetch: %v, %+v; want the feed", err, got)
				}
			} else {
				var fe *FeedError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a FeedError saying %q", err, tt.wantErr)
				}
				if sdk.IsPermanent(err) != tt.permanent {
					t.Errorf("permanent = %v, want %v", sdk.IsPermanent(err), tt.permanent)
				}
			}
			if srv.Requests() != tt.wantReqs {
				t.Errorf("%d requests, want %d", srv.Requests(), tt.wantReqs)
			}
			if !tt.waits(waits) {
				t.Errorf("waits %v", waits)
			}
		})
	}
}

func TestFetchRetriesConnectionErrors(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	url := srv.FeedURL()
	srv.Close() // connections are refused
	f := newFetcher(nil, nil)
	tries := 0
	f.sleep = func(context.Context, time.Duration) error { tries++; return nil }
	_, err = f.fetch(t.Context(), url, false, retryPolicy{retries: 2, backoff: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 tries") || sdk.IsPermanent(err) || tries != 2 {
		t.Errorf("error %v after %d waits; want a plain error after 3 tries", err, tries)
	}
}

func TestFetchRespectsTheDeadline(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		rp         retryPolicy
		maxReqs    int
		wantErr    string
	}{
		// The server asks for more time than is left: give up at once.
		{"Retry-After past the deadline", "5", retryPolicy{retries: 3, backoff: time.Millisecond}, 1, "would pass the sync's deadline"},
		// Backoffs of 150, 300, 600 ms… against 400 ms: the second retry
		// would end past it.
		{"backoff past the deadline", "", retryPolicy{retries: 10, backoff: 150 * time.Millisecond}, 3, "would pass the sync's deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := substackfake.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.FailWith(http.StatusServiceUnavailable)
			srv.SetRetryAfter(tt.retryAfter)
			const budget = 400 * time.Millisecond
			ctx, cancel := context.WithTimeout(t.Context(), budget)
			defer cancel()
			began := time.Now()
			_, err = newFetcher(nil, nil).fetch(ctx, srv.FeedURL(), false, tt.rp)
			took := time.Since(began)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "HTTP 503") || sdk.IsPermanent(err) {
				t.Errorf("error %v, want a plain one saying %q", err, tt.wantErr)
			}
			if took >= budget {
				t.Errorf("took %s, past the %s deadline", took, budget)
			}
			if n := srv.Requests(); n < 1 || n > tt.maxReqs {
				t.Errorf("%d requests, want 1 to %d", n, tt.maxReqs)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{" 3 ", 3 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{"Fri, 20 Nov 2026 09:30:45 GMT", 45 * time.Second},
		{"Fri, 20 Nov 2026 09:29:00 GMT", 0}, // past
		{"Friday, 20-Nov-26 09:31:00 GMT", time.Minute},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}
