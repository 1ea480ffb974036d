package substackfake

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed/rss"
)

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestFeedHasSubstacksShape(t *testing.T) {
	s := start(t)
	items := SampleItems()
	items[0].Body += "<p>a ]]> inside CDATA</p>"
	s.SetItems(items...)
	resp, body := get(t, s.FeedURL(), nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, w := range []string{`<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"`,
		`<generator>Substack</generator>`, `<title><![CDATA[Till We Have Faces, revisited]]></title>`,
		`<guid isPermaLink="false">https://inklingsdaily.substack.com/p/till-we-have-faces-revisited</guid>`,
		`<dc:creator><![CDATA[Joy Davidman]]></dc:creator>`, `<pubDate>Fri, 20 Nov 2026 09:30:00 GMT</pubDate>`,
		`<content:encoded><![CDATA[<p>Lewis thought`} {
		if !strings.Contains(body, w) {
			t.Errorf("feed lacks %s", w)
		}
	}
	feed, err := (&rss.Parser{}).Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if feed.Title != "The Inklings Daily" || feed.Link != SampleLink || feed.Generator != "Substack" || len(feed.Items) != len(items) {
		t.Fatalf("channel %q %q %q with %d items", feed.Title, feed.Link, feed.Generator, len(feed.Items))
	}
	first := feed.Items[0]
	if first.GUID == nil || first.GUID.IsPermalink != "false" || first.GUID.Value != items[0].Link {
		t.Errorf("guid = %+v", first.GUID)
	}
	if len(first.Enclosures) != 1 || first.Enclosures[0].Type != "image/jpeg" || first.Enclosures[0].URL != items[0].ImageURL {
		t.Errorf("enclosures = %+v", first.Enclosures)
	}
	if first.Content != items[0].Body {
		t.Errorf("content:encoded did not round-trip:\n got %q\nwant %q", first.Content, items[0].Body)
	}
	if first.DublinCoreExt == nil || len(first.DublinCoreExt.Creator) != 1 || first.DublinCoreExt.Creator[0] != "Joy Davidman" {
		t.Errorf("dc:creator = %+v", first.DublinCoreExt)
	}
}

func TestConditionalGet(t *testing.T) {
	s := start(t)
	s.SetItems(SampleItems()...)
	resp, _ := get(t, s.FeedURL(), nil)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") != "Fri, 20 Nov 2026 09:30:00 GMT" {
		t.Fatalf("ETag %q, Last-Modified %q", etag, resp.Header.Get("Last-Modified"))
	}
	if resp, _ := get(t, s.FeedURL(), map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("status %d for a matching ETag, want 304", resp.StatusCode)
	}
	s.UpdateItem(SampleLink+"/p/a-short-note", func(it *Item) { it.Title = "A longer note" })
	if resp, _ := get(t, s.FeedURL(), map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d after an edit, want 200", resp.StatusCode)
	}
	s.DisableETag(true)
	if resp, _ := get(t, s.FeedURL(), nil); resp.Header.Get("ETag") != "" {
		t.Error("ETag sent while disabled")
	}
	if s.Requests() != 4 || s.NotModified() != 1 {
		t.Errorf("requests, 304s = %d, %d; want 4, 1", s.Requests(), s.NotModified())
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*Server)
		wantStatus int
		wantBody   string
	}{
		{"status", func(s *Server) { s.FailWith(http.StatusBadGateway) }, http.StatusBadGateway, "failing with 502"},
		{"raw body", func(s *Server) { s.ServeRaw([]byte("<rss><channel>")) }, http.StatusOK, "<rss><channel>"},
		{"back to normal", func(s *Server) { s.FailWith(http.StatusBadGateway); s.FailWith(0) }, http.StatusOK, "<generator>Substack</generator>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t)
			tt.setup(s)
			resp, body := get(t, s.FeedURL(), nil)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("status %d body %q, want %d containing %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	s := start(t)
	if resp, _ := get(t, s.URL()+"/archive", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d for another path, want 404", resp.StatusCode)
	}
	if got := s.UpdateItem("nope", func(*Item) {}); got {
		t.Error("UpdateItem found an item in an empty feed")
	}
	s.SetItems(Item{Title: "x", Link: SampleLink + "/p/x", PubDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if len(s.Items()) != 1 {
		t.Errorf("Items() = %v", s.Items())
	}
}

func TestFailNext(t *testing.T) {
	type answer struct {
		status     int
		retryAfter string
	}
	tests := []struct {
		name  string
		setup func(*Server)
		want  []answer
	}{
		{"queued in order, then the feed", func(s *Server) {
			s.FailNext(1, http.StatusTooManyRequests)
			s.FailNext(2, http.StatusInternalServerError)
		}, []answer{{429, ""}, {500, ""}, {500, ""}, {200, ""}}},
		{"Retry-After on 429 and 503 only", func(s *Server) {
			s.SetRetryAfter("7")
			s.FailNext(1, http.StatusTooManyRequests)
			s.FailNext(1, http.StatusBadGateway)
			s.FailNext(1, http.StatusServiceUnavailable)
		}, []answer{{429, "7"}, {502, ""}, {503, "7"}, {200, ""}}},
		{"queued failures before FailWith", func(s *Server) {
			s.FailWith(http.StatusNotFound)
			s.FailNext(1, http.StatusServiceUnavailable)
		}, []answer{{503, ""}, {404, ""}, {404, ""}}},
		{"zero requests", func(s *Server) { s.FailNext(0, http.StatusInternalServerError) }, []answer{{200, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t)
			tt.setup(s)
			for i, w := range tt.want {
				resp, _ := get(t, s.FeedURL(), nil)
				if resp.StatusCode != w.status || resp.Header.Get("Retry-After") != w.retryAfter {
					t.Errorf("request %d: status %d, Retry-After %q; want %d, %q", i+1, resp.StatusCode,
						resp.Header.Get("Retry-After"), w.status, w.retryAfter)
				}
			}
			if s.Requests() != len(tt.want) {
				t.Errorf("%d requests counted, want %d", s.Requests(), len(tt.want))
			}
		})
	}
}
