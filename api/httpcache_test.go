package api_test

import (
	"net/http"
	"testing"
)

func TestHTTPCaching(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	id := env.createEntry(t, "editor", "", map[string]any{"type": "article", "title": "Cached"})
	env.publish(t, "editor", id)
	for _, url := range []string{"/api/v1/content/article/" + id, "/api/v1/content/article?limit=5"} {
		t.Run(url, func(t *testing.T) {
			first := env.call(t, "", "GET", url, nil)
			etag := first.Header.Get("ETag")
			if first.Status != 200 || len(etag) < 10 || etag[0] != '"' {
				t.Fatalf("first: %d ETag %q", first.Status, etag)
			}
			if cc := first.Header.Get("Cache-Control"); cc != "public, max-age=60, stale-while-revalidate=300" {
				t.Fatalf("Cache-Control %q", cc)
			}
			tests := []struct {
				inm    string
				status int
			}{
				{etag, http.StatusNotModified},
				{`"other", ` + etag, http.StatusNotModified},
				{"W/" + etag, http.StatusNotModified},
				{"*", http.StatusNotModified},
				{`"stale"`, http.StatusOK},
			}
			for _, tc := range tests {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("If-None-Match", tc.inm)
				res := env.send(t, req)
				if res.Status != tc.status {
					t.Fatalf("If-None-Match %s: %d, want %d", tc.inm, res.Status, tc.status)
				}
				if tc.status == http.StatusNotModified && (len(res.Body) != 0 || res.Header.Get("ETag") != etag) {
					t.Fatalf("304 with body %q or ETag %q", res.Body, res.Header.Get("ETag"))
				}
			}
		})
	}
	// A publish changes the representation and so the tag.
	before := env.call(t, "", "GET", "/api/v1/content/article/"+id, nil).Header.Get("ETag")
	env.must(t, http.StatusOK, "editor", "PUT", "/api/admin/v1/entries/"+id, map[string]any{"title": "Cached again"})
	env.publish(t, "editor", id)
	if after := env.call(t, "", "GET", "/api/v1/content/article/"+id, nil).Header.Get("ETag"); after == before {
		t.Fatal("ETag did not change after publish")
	}
}
