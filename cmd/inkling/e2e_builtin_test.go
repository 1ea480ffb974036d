//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

// TestE2EBuiltinPlugin: the first-party cslewis plugin ships inside the
// binary, runs out of process (the binary re-executes itself as `inkling
// plugin run cslewis`) with no configuration, registers its types, and its
// validate hook reaches back into the host.
func TestE2EBuiltinPlugin(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text")
	dataDir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "e2e")), "\n")
	tok := lines[len(lines)-1]
	p := startProc(t, bin, dataDir, env)

	code, st := p.call(t, tok, "GET", "/api/admin/v1/plugins/cslewis", nil)
	if code != 200 || st["status"] != "running" || st["kind"] != "builtin" || st["pid"] == nil {
		t.Fatalf("cslewis: %d %v", code, st)
	}
	if out := runCLI(t, bin, env, "--data", dataDir, "plugins", "list"); !strings.Contains(out, "cslewis") || !strings.Contains(out, "passage") {
		t.Fatalf("plugins list:\n%s", out)
	}
	mk := func(body map[string]any) string {
		t.Helper()
		code, m := p.call(t, tok, "POST", "/api/admin/v1/entries", body)
		if code != 201 {
			t.Fatalf("create %v: %d %v", body["type"], code, m)
		}
		id := m["id"].(string)
		if code, m := p.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil); code != 200 {
			t.Fatalf("publish: %d %v", code, m)
		}
		return id
	}
	work := mk(map[string]any{"type": "work", "title": "The Great Divorce", "fields": map[string]any{"year": 1945, "kind": "book",
		"rights":         map[string]any{"audio_allowed": true},
		"purchase_links": []any{map[string]any{"label": "Bookshop", "url": "https://bookshop.example/great-divorce"}}}})
	passage := mk(map[string]any{"type": "passage", "title": "The bus queue", "fields": map[string]any{"work": work, "register": "narrative",
		"motifs": []string{"choice", "heaven"}, "body": []any{map[string]any{"type": "paragraph", "value": "I seemed to be standing in a busy queue."}}}})
	if code, m := p.call(t, "", "GET", "/api/v1/content/passage/"+passage+"?expand=work", nil); code != 200 ||
		!strings.Contains(fmt.Sprint(m), "The Great Divorce") {
		t.Fatalf("delivered passage: %d %v", code, m)
	}
	// The delivery document, with the plugin's endpoints and types, lints clean.
	if code, doc := p.call(t, "", "GET", "/api/v1/openapi.json", nil); code != 200 || doc["paths"].(map[string]any)["/api/v1/today"] == nil {
		t.Fatalf("openapi: %d", code)
	} else {
		b, _ := json.Marshal(doc)
		testdb.RedoclyLint(t, b)
	}
	// Dive deeper: passages ranked by shared motifs.
	two := mk(map[string]any{"type": "passage", "title": "Two shared", "fields": map[string]any{"work": work, "register": "narrative",
		"motifs": []string{"choice", "heaven", "joy"}, "body": []any{map[string]any{"type": "paragraph", "value": "Two."}}}})
	one := mk(map[string]any{"type": "passage", "title": "One shared", "fields": map[string]any{"work": work, "register": "devotional",
		"motifs": []string{"heaven", "grief"}, "body": []any{map[string]any{"type": "paragraph", "value": "One."}}}})
	mk(map[string]any{"type": "passage", "title": "None shared", "fields": map[string]any{"work": work, "register": "narrative",
		"motifs": []string{"myth"}, "body": []any{map[string]any{"type": "paragraph", "value": "None."}}}})
	code, rel := p.call(t, "", "GET", "/api/v1/passages/"+passage+"/related", nil)
	items, _ := rel["items"].([]any)
	if code != 200 || len(items) != 2 || items[0].(map[string]any)["overlap"].(float64) != 2 ||
		items[0].(map[string]any)["passage"].(map[string]any)["id"] != two || items[1].(map[string]any)["passage"].(map[string]any)["id"] != one {
		t.Fatalf("related: %d %v", code, rel)
	}
	if code, rel := p.call(t, "", "GET", "/api/v1/passages/"+passage+"/related?register=devotional", nil); code != 200 ||
		len(rel["items"].([]any)) != 1 {
		t.Fatalf("related in devotional: %d %v", code, rel)
	}
	// The host serves the declared list itself; client mistakes are
	// problems naming the parameter, as when the plugin served it.
	for _, bad := range []struct{ query, want string }{
		{"/related?register=nope", `422 register:invalid_choice:unknown register "nope"; known: devotional, narrative, apologetic, letters, poetry`},
		{"/related?limit=0", "422 limit:out_of_range:expected 1 to 50"},
		{"/related?limit=51&register=letters", "422 limit:out_of_range:expected 1 to 50"},
		{"/related?limit=ten&register=nope,letters", `422 limit:invalid_format:expected an integer, got "ten" register:invalid_choice:unknown register "nope"; known: devotional, narrative, apologetic, letters, poetry`},
		{"/related?limit=1&limit=2", `422 limit:repeated_parameter:"limit" is given 2 times; give it once`},
	} {
		code, m := p.call(t, "", "GET", "/api/v1/passages/"+passage+bad.query, nil)
		got := fmt.Sprint(code)
		ds, _ := m["diagnostics"].([]any)
		for _, d := range ds {
			d := d.(map[string]any)
			got += fmt.Sprintf(" %s:%s:%s", d["path"], d["code"], d["summary"])
		}
		if got != bad.want {
			t.Errorf("%s: got %s, want %s", bad.query, got, bad.want)
		}
	}
	if code, m := p.call(t, "", "GET", "/api/v1/passages/nope/related", nil); code != 404 || m["detail"] != `no published passage "nope"` {
		t.Fatalf("unknown passage: %d %v", code, m)
	}
	// The cached list follows publishes: a new passage sharing both
	// motifs joins the first request's (cached) answer, tied with "Two
	// shared" and ordered by id.
	both := mk(map[string]any{"type": "passage", "title": "Both shared", "fields": map[string]any{"work": work, "register": "letters",
		"motifs": []string{"choice", "heaven"}, "body": []any{map[string]any{"type": "paragraph", "value": "Both."}}}})
	code, rel = p.call(t, "", "GET", "/api/v1/passages/"+passage+"/related", nil)
	var order []string
	for _, it := range rel["items"].([]any) {
		order = append(order, fmt.Sprint(it.(map[string]any)["passage"].(map[string]any)["id"]))
	}
	if want := []string{min(both, two), max(both, two), one}; code != 200 || !slices.Equal(order, want) || rel["passage_id"] != passage {
		t.Fatalf("related after a publish: %d %v, want %v", code, order, want)
	}
	mk(map[string]any{"type": "daily_drop", "title": "1 Dec", "fields": map[string]any{"date": "2026-12-01", "register": "narrative", "passage": passage}})
	code, m := p.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "daily_drop", "title": "1 Dec again",
		"fields": map[string]any{"date": "2026-12-01", "register": "narrative", "passage": passage}})
	if code != 422 || !strings.Contains(fmt.Sprint(m["diagnostics"]), "duplicate_drop") {
		t.Fatalf("second drop for the same date and register: %d %v", code, m)
	}

	// Today's passage, with audio gated by the work's rights.
	narnia := mk(map[string]any{"type": "work", "title": "The Magician's Nephew", "fields": map[string]any{"year": 1955, "kind": "book",
		"rights": map[string]any{"audio_allowed": false}}})
	withAudio := mk(map[string]any{"type": "passage", "title": "Solid people", "fields": map[string]any{"work": work, "register": "devotional",
		"audio": "audio/solid.mp3", "body": []any{map[string]any{"type": "paragraph", "value": "They were **solid**."}}}})
	noRights := mk(map[string]any{"type": "passage", "title": "The wood between the worlds", "fields": map[string]any{"work": narnia,
		"register": "narrative", "audio": "audio/wood.mp3", "body": []any{map[string]any{"type": "paragraph", "value": "A quiet wood."}}}})
	mk(map[string]any{"type": "daily_drop", "title": "2 Dec", "fields": map[string]any{"date": "2026-12-02", "register": "devotional", "passage": withAudio}})
	mk(map[string]any{"type": "daily_drop", "title": "3 Dec", "fields": map[string]any{"date": "2026-12-03", "register": "narrative", "passage": noRights}})
	code, td := p.call(t, "", "GET", "/api/v1/today?register=devotional&date=2026-12-02", nil)
	if code != 200 || td["audio_url"] != "/media/audio/solid.mp3" || !strings.Contains(fmt.Sprint(td["passage"]), "<strong>solid</strong>") ||
		!strings.Contains(fmt.Sprint(td["work"]), "bookshop.example") {
		t.Fatalf("today (audio allowed): %d %v", code, td)
	}
	code, td = p.call(t, "", "GET", "/api/v1/today?register=narrative&date=2026-12-03", nil)
	if code != 200 || td["audio_url"] != nil || strings.Contains(fmt.Sprint(td), "wood.mp3") {
		t.Fatalf("today (no audio rights) leaks audio: %d %v", code, td)
	}
	// The generic content API never carries audio: the field is private.
	for _, id := range []string{withAudio, noRights} {
		if code, m := p.call(t, "", "GET", "/api/v1/content/passage/"+id, nil); code != 200 || strings.Contains(fmt.Sprint(m), ".mp3") {
			t.Fatalf("generic passage %s leaks audio: %d %v", id, code, m)
		}
	}
	if code, _ := p.call(t, "", "GET", "/api/v1/today?register=poetry&date=2026-12-03", nil); code != 404 {
		t.Fatalf("no drop: %d", code)
	}
	if code, _ := p.call(t, "", "GET", "/api/v1/today?register=nope", nil); code != 422 {
		t.Fatalf("bad register: %d", code)
	}
	if code, wv := p.call(t, "", "GET", "/api/v1/works/"+narnia, nil); code != 200 || wv["audio_allowed"] != false {
		t.Fatalf("work: %d %v", code, wv)
	}

	// A workflow whose first task the plugin decides (cslewis.tags_reviewed).
	if code, m := p.call(t, tok, "POST", "/api/admin/v1/workflows", map[string]any{"name": "Passage review", "types": []string{"passage"},
		"require_approval": true, "tasks": []any{
			map[string]any{"name": "Tags reviewed", "kind": "cslewis.tags_reviewed"},
			map[string]any{"name": "Editorial review", "roles": []string{"reviewer"}}}}); code != 201 {
		t.Fatalf("workflow: %d %v", code, m)
	}
	if code, m := p.call(t, tok, "POST", "/api/admin/v1/workflows", map[string]any{"name": "Bad", "types": []string{"work"},
		"tasks": []any{map[string]any{"name": "x", "kind": "cslewis.nope"}}}); code != 422 {
		t.Fatalf("unknown plugin task kind accepted: %d %v", code, m)
	}
	code, m = p.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "passage", "title": "The solid people",
		"fields": map[string]any{"work": work, "register": "narrative", "tag_review": map[string]any{"status": "draft"},
			"body": []any{map[string]any{"type": "paragraph", "value": "Bright, solid people."}}}})
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	draft := m["id"].(string)
	waitWorkflow := func(want string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, m := p.call(t, tok, "GET", "/api/admin/v1/entries/"+draft+"/workflow", nil)
			st, _ := m["workflow"].(map[string]any)
			// in_progress after the plugin's task: wait for its approval.
			if st != nil && st["status"] == want && (want != "in_progress" || strings.Contains(fmt.Sprint(st["tasks"]), "status:approved")) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow never reached %s: %v", want, m)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	p.call(t, tok, "POST", "/api/admin/v1/entries/"+draft+"/workflow/submit", nil)
	wf := waitWorkflow("needs_changes")
	if !strings.Contains(fmt.Sprint(wf["tasks"]), "review the drafted tags") {
		t.Fatalf("the plugin's comment is missing: %v", wf)
	}
	p.call(t, tok, "PUT", "/api/admin/v1/entries/"+draft, map[string]any{"fields": map[string]any{"work": work, "register": "narrative",
		"tag_review": map[string]any{"status": "reviewed"}, "body": []any{map[string]any{"type": "paragraph", "value": "Bright, solid people."}}}})
	p.call(t, tok, "POST", "/api/admin/v1/entries/"+draft+"/workflow/submit", nil)
	wf = waitWorkflow("in_progress") // the plugin approved: the reviewers' task is open
	if !strings.Contains(fmt.Sprint(wf["tasks"]), "tags reviewed") {
		t.Fatalf("the plugin did not approve: %v", wf)
	}
}
