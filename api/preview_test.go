package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPreviewTokens: a signed, short-lived token lets the delivery API
// return a draft or a given revision, privately; nothing else does.
func TestPreviewTokens(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	id := env.createEntry(t, "editor", "doc", map[string]any{"type": "article", "title": "First", "fields": map[string]any{"body": "v1 **bold**"}})
	rev1 := env.get(t, "doc:rev1")
	env.publish(t, "editor", id)
	env.must(t, http.StatusOK, "editor", "PUT", entriesURL+"/"+id, map[string]any{"title": "Second", "fields": map[string]any{"body": "v2"}})

	// Without a token: the published version.
	pub := env.must(t, http.StatusOK, "", "GET", "/api/v1/content/article/"+id, nil)
	if pub["title"] != "First" {
		t.Fatalf("published title %v", pub["title"])
	}
	// Reviewers may mint tokens (read access); the draft is served privately.
	tok := env.must(t, http.StatusCreated, "reviewer", "POST", entriesURL+"/"+id+"/preview", nil)
	url := tok["url"].(string)
	res := env.call(t, "", "GET", url, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"title":"Second"`) {
		t.Fatalf("draft preview: %d %s", res.Status, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	// The header form, a given revision, and the rich text rendering.
	tok1 := env.must(t, http.StatusCreated, "editor", "POST", entriesURL+"/"+id+"/preview", map[string]any{"revision_id": rev1})
	req, _ := http.NewRequest("GET", "/api/v1/content/article/first", nil)
	req.Header.Set("X-Inkling-Preview", tok1["token"].(string))
	res = env.send(t, req)
	if res.Status != 200 || !strings.Contains(string(res.Body), "<strong>bold</strong>") {
		t.Fatalf("revision preview: %d %s", res.Status, res.Body)
	}
	// A token for another entry, a forged token, an expired token.
	other := env.createEntry(t, "editor", "", map[string]any{"type": "article", "title": "Other"})
	res = env.call(t, "", "GET", "/api/v1/content/article/"+other+"?preview="+tok["token"].(string), nil)
	if res.Status != http.StatusForbidden {
		t.Fatalf("token used on another entry: %d %s", res.Status, res.Body)
	}
	res = env.call(t, "", "GET", "/api/v1/content/article/"+id+"?preview=abc.def", nil)
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("forged token: %d", res.Status)
	}
	env.Clock.Set(env.Clock.Now().Add(2*time.Hour), time.Second)
	res = env.call(t, "", "GET", url, nil)
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d %s", res.Status, res.Body)
	}
	bad := env.call(t, "editor", "POST", entriesURL+"/"+id+"/preview", map[string]any{"ttl_seconds": 10 * 24 * 3600})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("ttl too long: %d", bad.Status)
	}
}
