//go:build unix

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

// TestE2ECrashDuringPublish kills the server (SIGKILL, through failpoints)
// between the statements of a publish, just before its commit and just
// after it. After a restart, either the publish and all its follow-up work
// exist (entry live, audit row, the event's job, which then delivers its
// webhook), or none of it does.
func TestE2ECrashDuringPublish(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	var mu sync.Mutex
	delivered := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			EntryID string `json:"entry_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		delivered[p.EntryID]++
		mu.Unlock()
	}))
	defer recv.Close()
	points := []struct {
		name      string
		committed bool
	}{
		{"publish.after_entry_update", false},
		{"publish.after_audit", false},
		{"publish.after_jobs", false},
		{"publish.before_commit", false},
		{"publish.after_commit", true},
	}
	for _, be := range []string{"sqlite", "postgres"} {
		for _, fp := range points {
			t.Run(be+"/"+fp.name, func(t *testing.T) {
				dataDir := t.TempDir()
				// A job the dying server had already started stays "running"
				// until River's rescuer (every 30 s) gives it back; make that
				// quick for the test.
				env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text", "INKLING_JOB_TIMEOUT=2s", "INKLING_JOB_RESCUE_AFTER=3s")
				dbCfg := store.Config{DataDir: dataDir}
				if be == "postgres" {
					url := testdb.PostgresURL(t)
					env = append(env, "INKLING_DATABASE_URL="+url)
					dbCfg = store.Config{URL: url}
				}
				p := startProc(t, bin, dataDir, append(env, "INKLING_FAILPOINTS="+fp.name))
				cli := exec.Command(bin, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "crash")
				cli.Env = env
				out, err := cli.Output()
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				tok := lines[len(lines)-1]
				mustCall := func(p *proc, want int, method, path string, body any) map[string]any {
					t.Helper()
					code, m := p.call(t, tok, method, path, body)
					if code != want {
						t.Fatalf("%s %s: %d %v", method, path, code, m)
					}
					return m
				}
				mustCall(p, 201, "POST", "/api/admin/v1/content-types", map[string]any{"key": "note", "label": "Note",
					"fields": []any{map[string]any{"name": "n", "kind": "integer", "indexed": true}}})
				mustCall(p, 201, "POST", "/api/admin/v1/webhooks", map[string]any{"url": recv.URL, "events": []string{"after_publish"}})
				id := mustCall(p, 201, "POST", "/api/admin/v1/entries", map[string]any{"type": "note", "title": "Crash", "fields": map[string]any{"n": 7}})["id"].(string)

				// Its plugins must die with it, not live on as orphans.
				plugins := childPIDs(t, p.cmd.Process.Pid)
				if runtime.GOOS == "linux" && len(plugins) == 0 {
					t.Fatal("the server runs no plugin process; the orphan check would test nothing")
				}

				// The publish request dies with the process.
				req, _ := http.NewRequest("POST", p.base+"/api/admin/v1/entries/"+id+"/publish", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
					t.Fatalf("publish answered %d; the failpoint did not kill the server", resp.StatusCode)
				}
				select {
				case <-p.done:
				case <-time.After(10 * time.Second):
					t.Fatal("the server did not die at the failpoint")
				}
				requireNoOrphans(t, plugins)

				// What survived, read straight from the database.
				ctx := context.Background()
				db, err := store.Open(ctx, dbCfg)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				count := func(q string, args ...any) int {
					t.Helper()
					var n int
					if err := db.NewRaw(q, args...).Scan(ctx, &n); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
					return n
				}
				live := count("SELECT count(*) FROM entries WHERE id = ? AND live = ?", id, true)
				audits := count("SELECT count(*) FROM audit_log WHERE entry_id = ? AND action = 'publish'", id)
				index := count("SELECT count(*) FROM entry_index WHERE entry_id = ?", id)
				changes := count("SELECT count(*) FROM entry_changes WHERE entry_id = ?", id)
				jobs := count("SELECT count(*) FROM river_job WHERE kind = 'inkling.event'")
				want := 0
				if fp.committed {
					want = 1
				}
				for what, n := range map[string]int{"live entry": live, "publish audit row": audits, "index row": index,
					"change feed row": changes, "event job": jobs} {
					if n != want {
						t.Errorf("after a crash at %s: %d %s, want %d", fp.name, n, what, want)
					}
				}

				// Restart: the follow-up work of a committed publish runs.
				q := startProc(t, bin, dataDir, env)
				code, _ := q.call(t, "", "GET", "/api/v1/content/note/"+id, nil)
				if (code == 200) != fp.committed {
					t.Fatalf("after restart, delivery answers %d", code)
				}
				if !fp.committed {
					return
				}
				deadline := time.Now().Add(60 * time.Second)
				for {
					mu.Lock()
					n := delivered[id]
					mu.Unlock()
					if n == 1 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the committed publish's webhook was not delivered after restart")
					}
					time.Sleep(50 * time.Millisecond)
				}
			})
		}
	}
}
