//go:build unix

package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

func cacheStats(t *testing.T, p *proc, tok string) map[string]any {
	t.Helper()
	code, m := p.call(t, tok, "GET", "/api/admin/v1/system", nil)
	if code != 200 || m["cache"] == nil {
		t.Fatalf("system: %d %v", code, m)
	}
	return m["cache"].(map[string]any)
}

// TestE2ETwoInstancesCache: two serve processes share Postgres and Redis.
// A publish through one is seen through the other within a second (we
// measure it), and killing Redis under read load causes no 5xx; when Redis
// is back, caching resumes without a restart.
func TestE2ETwoInstancesCache(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	redis := testdb.Redis(t)
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text", "INKLING_DATABASE_URL="+testdb.PostgresURL(t), "INKLING_REDIS_URL="+redis.URL())
	dataDir := t.TempDir()
	a := startProc(t, bin, dataDir, env)
	b := startProc(t, bin, dataDir, env)
	lines := strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "e2e")), "\n")
	tok := lines[len(lines)-1]
	if st := cacheStats(t, b, tok); st["backend"] != "redis" || st["healthy"] != true {
		t.Fatalf("cache on b: %v", st)
	}
	if code, m := a.call(t, tok, "POST", "/api/admin/v1/content-types", map[string]any{"key": "reading", "label": "Reading",
		"fields": []any{map[string]any{"name": "text", "kind": "longtext"}}}); code != 201 {
		t.Fatalf("type: %d %v", code, m)
	}
	code, m := a.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "reading", "title": "Joy", "fields": map[string]any{"text": "v1"}})
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	id := m["id"].(string)
	a.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil)
	get := "/api/v1/content/reading/" + id
	list := "/api/v1/content/reading?limit=10"
	for i := 0; i < 3; i++ { // fill b's cache (and a's)
		if code, _ := b.call(t, "", "GET", get, nil); code != 200 {
			t.Fatalf("get on b: %d", code)
		}
		b.call(t, "", "GET", list, nil)
	}
	if st := cacheStats(t, b, tok); st["hits"].(float64) < 2 {
		t.Fatalf("b served no cache hits: %v", st)
	}

	// Publish v2 through a; poll b.
	a.call(t, tok, "PUT", "/api/admin/v1/entries/"+id, map[string]any{"fields": map[string]any{"text": "v2"}})
	start := time.Now()
	if code, m := a.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil); code != 200 {
		t.Fatalf("publish: %d %v", code, m)
	}
	for _, path := range []string{get, list} {
		for {
			_, m := b.call(t, "", "GET", path, nil)
			if strings.Contains(fmt.Sprint(m), "v2") {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s on the other instance still stale 1 s after the publish: %v", path, m)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("publish on one instance visible on the other (get and list) after %s", time.Since(start).Round(time.Millisecond))

	// Redis dies under read load: no 5xx.
	var reads, bad atomic.Int64
	var first atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(p *proc) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{get, list} {
					resp, err := http.Get(p.base + path)
					reads.Add(1)
					if err != nil || resp.StatusCode != 200 {
						bad.Add(1)
						first.CompareAndSwap(nil, fmt.Sprint(path, " ", err, " ", resp))
					}
					if resp != nil {
						resp.Body.Close()
					}
				}
			}
		}([]*proc{a, b}[w%2])
	}
	time.Sleep(300 * time.Millisecond)
	redis.Kill()
	time.Sleep(time.Second)
	// Content changes while Redis is down are still served (from the database).
	a.call(t, tok, "PUT", "/api/admin/v1/entries/"+id, map[string]any{"fields": map[string]any{"text": "v3"}})
	a.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil)
	time.Sleep(500 * time.Millisecond)
	if st := cacheStats(t, b, tok); st["healthy"] != false {
		t.Errorf("cache reports healthy with Redis down: %v", st)
	}
	if err := redis.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if bad.Load() > 0 {
		t.Fatalf("%d of %d reads failed around the Redis outage; first: %v", bad.Load(), reads.Load(), first.Load())
	}
	t.Logf("%d reads across a Redis kill and restart, 0 failed", reads.Load())
	if _, m := b.call(t, "", "GET", get, nil); !strings.Contains(fmt.Sprint(m), "v3") {
		t.Fatalf("after the outage b serves %v", m)
	}
	// Caching resumed without a restart.
	before := cacheStats(t, b, tok)["hits"].(float64)
	for i := 0; i < 5; i++ {
		b.call(t, "", "GET", get, nil)
	}
	after := cacheStats(t, b, tok)
	if after["healthy"] != true || after["hits"].(float64) <= before {
		t.Fatalf("caching did not resume: before %v hits, now %v", before, after)
	}
}
