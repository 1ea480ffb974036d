//go:build unix

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

// TestE2ERelatedIndexTwoInstances: two serve processes on one PostgreSQL,
// response cache off, so every related request is ranked. Each warms its
// in-memory index at start (empty: the passages come later) and keeps it
// current as passages are published; a passage
// published through one ranks first at once there and on the other within
// a second (measured), and an unpublished one leaves both indexes (and is
// no seed: 404); the answers equal the SQL ranker's (a third instance
// with INKLING_RELATED_RANKER=sql).
func TestE2ERelatedIndexTwoInstances(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text", "INKLING_CACHE=false", "INKLING_DATABASE_URL="+testdb.PostgresURL(t))
	dataDir := t.TempDir()
	lines := strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "e2e")), "\n")
	tok := lines[len(lines)-1]
	a := startProc(t, bin, dataDir, env)
	b := startProc(t, bin, dataDir, env)
	sqlOnly := startProc(t, bin, dataDir, append(env, "INKLING_RELATED_RANKER=sql"))

	create := func(body map[string]any) string {
		t.Helper()
		code, m := a.call(t, tok, "POST", "/api/admin/v1/entries", body)
		if code != 201 {
			t.Fatalf("create %v: %d %v", body["title"], code, m)
		}
		return m["id"].(string)
	}
	publish := func(id string) {
		t.Helper()
		if code, m := a.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil); code != 200 {
			t.Fatalf("publish: %d %v", code, m)
		}
	}
	work := create(map[string]any{"type": "work", "title": "Till We Have Faces", "fields": map[string]any{"year": 1956, "kind": "book",
		"rights": map[string]any{"audio_allowed": true}}})
	publish(work)
	passage := func(title, register string, motifs ...string) string {
		id := create(map[string]any{"type": "passage", "title": title, "fields": map[string]any{"work": work, "register": register,
			"motifs": motifs, "body": []any{map[string]any{"type": "paragraph", "value": title + "."}}}})
		publish(id)
		return id
	}
	seed := passage("Seed", "narrative", "joy", "longing", "heaven", "myth")
	for i := 0; i < 30; i++ {
		passage(fmt.Sprintf("Passage %02d", i), []string{"narrative", "devotional"}[i%2],
			[]string{"joy", "longing", "heaven", "myth", "grief"}[i%5], []string{"choice", "heaven", "pride"}[i%3])
	}
	related := func(p *proc) string {
		t.Helper()
		code, m := p.call(t, "", "GET", "/api/v1/passages/"+seed+"/related?limit=10", nil)
		if code != 200 {
			t.Fatalf("related: %d %v", code, m)
		}
		var ids []string
		for _, it := range m["items"].([]any) {
			it := it.(map[string]any)
			ids = append(ids, fmt.Sprintf("%s:%v", it["passage"].(map[string]any)["title"], it["overlap"]))
		}
		return strings.Join(ids, " ")
	}
	index := func(p *proc) map[string]any {
		t.Helper()
		code, m := p.call(t, tok, "GET", "/api/admin/v1/system", nil)
		if code != 200 {
			t.Fatalf("system: %d %v", code, m)
		}
		st, _ := m["related_index"].(map[string]any)
		return st
	}
	if st := index(sqlOnly); st != nil {
		t.Fatalf("the sql ranker reports an index: %v", st)
	}
	want := related(sqlOnly)
	for _, p := range []*proc{a, b} {
		waitUntil(t, "the index is built", 15*time.Second, func() bool {
			types, _ := index(p)["types"].([]any)
			return len(types) == 1 && types[0].(map[string]any)["ready"] == true && types[0].(map[string]any)["entries"].(float64) == 31
		})
		if got := related(p); got != want {
			t.Fatalf("from the index %q, SQL %q", got, want)
		}
		if st := index(p); st["from_memory"].(float64) < 1 {
			t.Fatalf("nothing ranked from memory: %v", st)
		}
	}

	// A new passage sharing all four motifs: first on a at once, on b soon.
	top := passage("Every motif", "devotional", "joy", "longing", "heaven", "myth")
	if got := related(a); !strings.HasPrefix(got, "Every motif:4 ") {
		t.Fatalf("a right after the publish: %s", got)
	}
	began := time.Now()
	waitUntil(t, "b ranks the new passage", 15*time.Second, func() bool { return strings.HasPrefix(related(b), "Every motif:4 ") })
	t.Logf("another instance ranked a new passage %s after its publish", time.Since(began).Round(time.Millisecond))
	want = related(sqlOnly)
	if got := related(b); got != want {
		t.Fatalf("b %q, SQL %q", got, want)
	}

	// Unpublished: out of both rankings.
	if code, m := a.call(t, tok, "POST", "/api/admin/v1/entries/"+top+"/unpublish", nil); code != 200 {
		t.Fatalf("unpublish: %d %v", code, m)
	}
	if got := related(a); strings.Contains(got, "Every motif") {
		t.Fatalf("a still ranks the unpublished passage: %s", got)
	}
	// b's index drops it within a poll (meanwhile delivery already leaves
	// the unpublished item out of b's responses).
	entries := func(p *proc) float64 {
		types, _ := index(p)["types"].([]any)
		if len(types) != 1 {
			return -1
		}
		return types[0].(map[string]any)["entries"].(float64)
	}
	if n := entries(a); n != 31 {
		t.Fatalf("a's index holds %v passages after the unpublish, want 31", n)
	}
	waitUntil(t, "b's index drops the unpublished passage", 15*time.Second, func() bool { return entries(b) == 31 })
	if got, want := related(b), related(sqlOnly); got != want || strings.Contains(got, "Every motif") {
		t.Fatalf("b %q, SQL %q", got, want)
	}
	for name, p := range map[string]*proc{"a": a, "b": b, "sql": sqlOnly} {
		if code, m := p.call(t, "", "GET", "/api/v1/passages/"+top+"/related", nil); code != 404 {
			t.Errorf("%s: related of an unpublished passage: %d %v", name, code, m)
		}
	}
}
