//go:build unix

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/inklingcms/inkling/plugins/aitags/anthropicfake"
	"github.com/inklingcms/inkling/plugins/elevenlabs/elevenlabsfake"
	"github.com/inklingcms/inkling/plugins/substack/substackfake"
)

// TestE2EIntegrations drives the customer's flow on the real binary
// (PostgreSQL, media in S3 on versitygw) with the three providers played by
// local servers that speak their wire formats: an editor saves a passage,
// AI-drafted tags appear with confidences, the editor accepts some and
// publishes, narration appears in S3 and in /api/v1/today for a work with
// audio rights and not for one without, and a Substack sync imports a feed
// twice without duplicates. Provider failures are retried, and a permanent
// one leaves the passage publishable, shows through the management API
// and can be re-triggered.
func TestE2EIntegrations(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	s3 := testdb.S3(t)
	claude, err := anthropicfake.Start("sk-ant-e2e")
	if err != nil {
		t.Fatal(err)
	}
	defer claude.Close()
	voice := elevenlabsfake.Start(t, "xi-e2e")
	feed, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	feed.SetChannel(substackfake.SampleChannel())
	feed.SetItems(substackfake.SampleItems()...)

	// Sentry is configured but hangs: nothing may wait for it.
	release := make(chan struct{})
	sentry := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer sentry.Close()
	defer close(release)

	env := append(hermeticEnv(),
		"INKLING_SENTRY_DSN="+strings.Replace(sentry.URL, "http://", "http://public@", 1)+"/1",
		"INKLING_LOG_FORMAT=text",
		"INKLING_DATABASE_URL="+testdb.PostgresURL(t),
		"INKLING_S3_BUCKET="+s3.Bucket, "INKLING_S3_ENDPOINT="+s3.Endpoint, "INKLING_S3_PATH_STYLE=true", "INKLING_S3_REGION="+s3.Region,
		"INKLING_S3_PREFIX=site/", "INKLING_S3_ACCESS_KEY_ID="+s3.AccessKey, "INKLING_S3_SECRET_ACCESS_KEY="+s3.SecretKey,
		"INKLING_MEDIA_BASE_URL=https://cdn.example.org/",
		// Failed jobs retry after 10 ms, 160 ms, 810 ms, 2.6 s: the five
		// attempts of a doomed job take seconds, not minutes.
		"INKLING_JOB_RETRY_BASE=10ms",
		"INKLING_PLUGIN_AITAGS_API_KEY=sk-ant-e2e", "INKLING_PLUGIN_AITAGS_BASE_URL="+claude.URL,
		"INKLING_PLUGIN_ELEVENLABS_API_KEY=xi-e2e", "INKLING_PLUGIN_ELEVENLABS_BASE_URL="+voice.URL,
	)
	dataDir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "e2e")), "\n")
	admin := lines[len(lines)-1]
	lines = strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "editor", "--name", "editor")), "\n")
	editor := lines[len(lines)-1]
	p := startProc(t, bin, dataDir, env)

	settings := map[string]map[string]string{
		"aitags":     {"vocabulary": "joy, longing, grace, grief, myth, heaven, choice, pride"},
		"elevenlabs": {"voice_id": "lewis-voice", "retry_backoff": "10ms"},
		"substack":   {"feed_url": feed.FeedURL(), "retry_backoff": "10ms"},
	}
	for name, s := range settings {
		if code, m := p.call(t, admin, "PUT", "/api/admin/v1/plugins/"+name+"/settings", s); code != 200 {
			t.Fatalf("settings of %s: %d %v", name, code, m)
		}
	}
	for name := range settings {
		waitUntil(t, name+" running", 30*time.Second, func() bool {
			code, st := p.call(t, admin, "GET", "/api/admin/v1/plugins/"+name, nil)
			return code == 200 && st["status"] == "running"
		})
	}

	create := func(token string, body map[string]any) string {
		t.Helper()
		code, m := p.call(t, token, "POST", "/api/admin/v1/entries", body)
		if code != 201 {
			t.Fatalf("create %v: %d %v", body["title"], code, m)
		}
		return m["id"].(string)
	}
	publish := func(id string) {
		t.Helper()
		if code, m := p.call(t, editor, "POST", "/api/admin/v1/entries/"+id+"/publish", nil); code != 200 {
			t.Fatalf("publish %s: %d %v", id, code, m)
		}
	}
	fields := func(id string) map[string]any {
		t.Helper()
		code, m := p.call(t, editor, "GET", "/api/admin/v1/entries/"+id, nil)
		if code != 200 {
			t.Fatalf("get %s: %d %v", id, code, m)
		}
		return m["latest_revision"].(map[string]any)["fields"].(map[string]any)
	}
	audio := func(id string) []any {
		t.Helper()
		code, m := p.call(t, editor, "GET", "/api/admin/v1/entries/"+id+"/media?role=audio", nil)
		if code != 200 {
			t.Fatalf("media of %s: %d %v", id, code, m)
		}
		return m["items"].([]any)
	}

	withRights := create(editor, map[string]any{"type": "work", "title": "Letters to an American Lady", "fields": map[string]any{
		"year": 1967, "kind": "letters", "rights": map[string]any{"audio_allowed": true}}})
	noRights := create(editor, map[string]any{"type": "work", "title": "A Narnian Chronicle", "fields": map[string]any{
		"year": 1950, "kind": "book", "rights": map[string]any{"audio_allowed": false}}})
	publish(withRights)
	publish(noRights)

	// 1. The editor saves a passage; the first two calls to the model meet
	// a 429 and a 500, which the Anthropic client retries with backoff.
	claude.FailNext(1, anthropicfake.RateLimited(0))
	claude.FailNext(1, anthropicfake.ServerError())
	text := "Joy is the serious business of Heaven; the longing for it is itself a kind of grace."
	passage := create(editor, map[string]any{"type": "passage", "title": "The serious business", "fields": map[string]any{
		"work": withRights, "register": "devotional", "body": []any{map[string]any{"type": "paragraph", "value": text}}}})
	var review map[string]any
	waitUntil(t, "AI-drafted tags", 60*time.Second, func() bool {
		review, _ = fields(passage)["tag_review"].(map[string]any)
		return review["status"] == "draft"
	})
	suggestions := review["suggestions"].([]any)
	var tags []string
	for _, s := range suggestions {
		v := s.(map[string]any)["value"].(map[string]any)
		if v["source"] != "ai" || v["confidence"] == nil {
			t.Errorf("suggestion %v", v)
		}
		tags = append(tags, v["tag"].(string))
	}
	if !slices.Contains(tags, "joy") || !slices.Contains(tags, "heaven") || !slices.Contains(tags, "longing") {
		t.Fatalf("suggested tags %v for %q", tags, text)
	}
	if n := len(claude.Requests()); n != 3 {
		t.Errorf("the model was called %d times; want 3 (a 429, a 500, then success)", n)
	}

	// 2. The editor accepts two of them and publishes.
	f := fields(passage)
	f["motifs"] = []string{"joy", "heaven"}
	review["status"] = "reviewed"
	f["tag_review"] = review
	if code, m := p.call(t, editor, "PUT", "/api/admin/v1/entries/"+passage, map[string]any{"fields": f}); code != 200 {
		t.Fatalf("accept tags: %d %v", code, m)
	}
	publish(passage)
	if got := fields(passage)["motifs"]; fmt.Sprint(got) != "[joy heaven]" {
		t.Errorf("accepted motifs became %v", got)
	}

	// 3. Narration is generated on publish, stored in S3 and served with
	// today's drop. The first request meets a 429, retried.
	voice.FailNext(1, http.StatusTooManyRequests)
	var att map[string]any
	waitUntil(t, "narration of the passage", 60*time.Second, func() bool {
		items := audio(passage)
		if len(items) == 1 {
			att = items[0].(map[string]any)
		}
		return att != nil
	})
	key := att["key"].(string)
	if !strings.HasSuffix(key, ".mp3") || att["content_type"] != "audio/mpeg" || att["url"] != "https://cdn.example.org/"+key {
		t.Errorf("attachment %v", att)
	}
	if _, err := os.Stat(filepath.Join(s3.Dir, s3.Bucket, "site", key)); err != nil {
		t.Errorf("the narration is not in the S3 bucket: %v", err)
	}
	if ok := voice.Successful(); len(ok) != 1 || !strings.Contains(ok[0].Text(), "serious business of Heaven") {
		t.Errorf("text-to-speech requests: %d successful", len(ok))
	}

	other := create(editor, map[string]any{"type": "passage", "title": "The wardrobe", "fields": map[string]any{
		"work": noRights, "register": "narrative", "motifs": []string{"myth"}, "tag_review": map[string]any{"status": "reviewed"},
		"body": []any{map[string]any{"type": "paragraph", "value": "It was only a wardrobe, and yet it was a door."}}}})
	publish(other)
	today := time.Now().UTC().Format("2006-01-02")
	for _, d := range []struct{ register, passage string }{{"devotional", passage}, {"narrative", other}} {
		publish(create(editor, map[string]any{"type": "daily_drop", "title": d.register + " " + today, "fields": map[string]any{
			"date": today, "register": d.register, "passage": d.passage}}))
	}
	waitUntil(t, "audio in today's devotional drop", 30*time.Second, func() bool {
		code, m := p.call(t, "", "GET", "/api/v1/today?register=devotional&date="+today, nil)
		return code == 200 && m["audio_url"] == "https://cdn.example.org/"+key
	})
	if code, m := p.call(t, "", "GET", "/api/v1/today?register=narrative&date="+today, nil); code != 200 || m["audio_url"] != nil {
		t.Errorf("a drop whose work has no audio rights: %d audio_url=%v", code, m["audio_url"])
	}
	time.Sleep(2 * time.Second) // give a (wrong) narration job for the Narnian passage time to run
	if len(audio(other)) != 0 {
		t.Error("narration was generated for a work without audio rights")
	}
	for _, r := range voice.Requests() {
		if strings.Contains(r.Text(), "wardrobe") {
			t.Error("the voice API was called for a work without audio rights")
		}
	}

	// 4. A permanent narration failure: the passage stays published with
	// text only, the failed job shows through the management API, and a
	// retry of that job produces the narration.
	voice.FailAlways(http.StatusInternalServerError)
	third := create(editor, map[string]any{"type": "passage", "title": "On the third day", "fields": map[string]any{
		"work": withRights, "register": "devotional", "motifs": []string{"grace"}, "tag_review": map[string]any{"status": "reviewed"},
		"body": []any{map[string]any{"type": "paragraph", "value": "Grace is not a reward but a beginning."}}}})
	publish(third)
	var failed map[string]any
	waitUntil(t, "the failed narration job", 60*time.Second, func() bool {
		code, m := p.call(t, admin, "GET", "/api/admin/v1/jobs/failures?plugin=elevenlabs", nil)
		if code != 200 {
			t.Fatalf("failures: %d %v", code, m)
		}
		for _, it := range m["items"].([]any) {
			j := it.(map[string]any)
			if strings.Contains(fmt.Sprint(j["args"]), third) && j["state"] == "discarded" {
				failed = j
			}
		}
		return failed != nil
	})
	if errs := failed["errors"].([]any); len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), "500") || strings.Contains(fmt.Sprint(errs), "xi-e2e") {
		t.Errorf("job errors: %v", errs)
	}
	if code, m := p.call(t, "", "GET", "/api/v1/content/passage/"+third, nil); code != 200 {
		t.Errorf("the passage is not readable after the narration failed: %d %v", code, m)
	}
	voice.Reset()
	if code, m := p.call(t, admin, "POST", fmt.Sprintf("/api/admin/v1/jobs/%v/retry", failed["id"]), nil); code != 200 {
		t.Fatalf("retry: %d %v", code, m)
	}
	waitUntil(t, "narration after the retry", 60*time.Second, func() bool { return len(audio(third)) == 1 })

	// The same for tag drafting: a permanent error (an unknown model) marks
	// the review failed, visibly, without blocking publication; the
	// editor's redraft action re-triggers it.
	claude.FailAlways(anthropicfake.Failure{Status: 404, Type: "not_found_error", Message: "model: claude-unknown"})
	fourth := create(editor, map[string]any{"type": "passage", "title": "Pride", "fields": map[string]any{
		"work": withRights, "register": "apologetic",
		"body": []any{map[string]any{"type": "paragraph", "value": "Pride gets no pleasure out of having something, only out of having more of it."}}}})
	waitUntil(t, "the failed tag review", 60*time.Second, func() bool {
		r, _ := fields(fourth)["tag_review"].(map[string]any)
		return r["status"] == "failed" && strings.Contains(fmt.Sprint(r["error"]), "404")
	})
	// The job's end is recorded just after the plugin returns.
	waitUntil(t, "the failed tagging job", 10*time.Second, func() bool {
		code, m := p.call(t, admin, "GET", "/api/admin/v1/jobs/failures?plugin=aitags&plugin_kind=draft_tags", nil)
		if code != 200 {
			t.Fatalf("failures: %d %v", code, m)
		}
		items := m["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["state"] == "cancelled" &&
			strings.Contains(fmt.Sprint(items[0].(map[string]any)["errors"]), "404")
	})
	publish(fourth) // still publishable
	claude.Recover()
	if code, m := p.call(t, editor, "POST", "/api/admin/v1/plugins/aitags/actions/redraft_tags", map[string]any{"entry_id": fourth}); code != 200 {
		t.Fatalf("redraft: %d %v", code, m)
	}
	waitUntil(t, "tags after the redraft", 60*time.Second, func() bool {
		r, _ := fields(fourth)["tag_review"].(map[string]any)
		return r["status"] == "draft" && strings.Contains(fmt.Sprint(r["suggestions"]), "pride")
	})

	// 5. Substack: the feed first answers 429, then 500, which the plugin
	// retries with backoff (10 ms); two syncs, no duplicates; a feed gone
	// for good (404) fails sync_now at once, naming the 404, and a
	// re-trigger after it is back imports nothing twice.
	sync := func() map[string]any {
		t.Helper()
		code, m := p.call(t, admin, "POST", "/api/admin/v1/plugins/substack/actions/sync_now", map[string]any{})
		if code != 200 {
			t.Fatalf("sync_now: %d %v", code, m)
		}
		return m["result"].(map[string]any)
	}
	n := len(substackfake.SampleItems())
	feed.FailNext(1, http.StatusTooManyRequests)
	feed.FailNext(1, http.StatusInternalServerError)
	before := feed.Requests()
	if r := sync(); r["imported"] != float64(n) || len(r["failed"].([]any)) != 0 {
		t.Fatalf("first sync: %v", r)
	}
	if got := feed.Requests() - before; got != 3 {
		t.Errorf("the first sync made %d feed requests, want 3 (429, 500, then the feed)", got)
	}
	if r := sync(); r["imported"] != float64(0) || r["unchanged"] != float64(n) {
		t.Fatalf("second sync: %v", r)
	}
	feed.FailWith(http.StatusNotFound)
	before = feed.Requests()
	if code, m := p.call(t, admin, "POST", "/api/admin/v1/plugins/substack/actions/sync_now", map[string]any{}); code < 400 ||
		!strings.Contains(fmt.Sprint(m), "HTTP 404") {
		t.Errorf("sync_now of a 404 feed: %d %v, want a problem naming the 404", code, m)
	}
	if got := feed.Requests() - before; got != 1 {
		t.Errorf("a 404 feed was requested %d times, want once (not retried)", got)
	}
	feed.FailWith(0)
	if r := sync(); r["imported"] != float64(0) || r["unchanged"] != float64(n) {
		t.Fatalf("sync after the feed is back: %v", r)
	}
	code, list := p.call(t, "", "GET", "/api/v1/content/article?limit=100", nil)
	if code != 200 || len(list["items"].([]any)) != n {
		t.Fatalf("articles: %d %v", code, list)
	}
	for _, it := range list["items"].([]any) {
		body := fmt.Sprint(it.(map[string]any)["fields"].(map[string]any)["body"])
		if strings.Contains(body, "<script") || strings.Contains(body, "javascript:") || strings.Contains(body, "onerror") {
			t.Errorf("unsanitised article body: %s", body)
		}
	}

	// 6. The API keys are never returned by the management API nor
	// written to the server's log.
	for _, name := range []string{"aitags", "elevenlabs", "substack"} {
		req, _ := http.NewRequest("GET", p.base+"/api/admin/v1/plugins/"+name, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), "sk-ant-e2e") || strings.Contains(string(body), "xi-e2e") {
			t.Errorf("plugin %s: %d %s", name, resp.StatusCode, body)
		}
	}
	if log := p.stderr.String(); strings.Contains(log, "sk-ant-e2e") || strings.Contains(log, "xi-e2e") {
		t.Error("an API key appears in the server's log")
	}
}

func waitUntil(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
