//go:build unix

package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/engine/testdb"
)

// TestE2ESeedDemo: after `inkling seed demo`, /api/v1/today answers for
// every register with a passage, its work and purchase links; for every
// drop of the week, the audio URL is there exactly when the work has audio
// rights, although every demo passage has an audio asset.
func TestE2ESeedDemo(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text")
	dataDir := t.TempDir()
	out := runCLI(t, bin, env, "--data", dataDir, "seed", "demo")
	if !strings.Contains(out, "50 passages") || !strings.Contains(out, "200-motif vocabulary") || !strings.Contains(out, "35 daily drops") {
		t.Fatalf("seed demo: %s", out)
	}
	if again := runCLI(t, bin, env, "--data", dataDir, "seed", "demo"); !strings.Contains(again, "already present") {
		t.Fatalf("second seed demo: %s", again)
	}
	p := startProc(t, bin, dataDir, env)
	code, m := p.call(t, "", "GET", "/api/v1/today?register=devotional", nil)
	work, _ := m["work"].(map[string]any)
	if code != 200 || work == nil || len(work["purchase_links"].([]any)) == 0 || m["passage"] == nil {
		t.Fatalf("today: %d %v", code, m)
	}
	code, drops := p.call(t, "", "GET", "/api/v1/content/daily_drop?limit=100&expand=passage", nil)
	if code != 200 {
		t.Fatalf("drops: %d", code)
	}
	withRights, without := 0, 0
	for _, it := range drops["items"].([]any) {
		f := it.(map[string]any)["fields"].(map[string]any)
		code, td := p.call(t, "", "GET", fmt.Sprintf("/api/v1/today?register=%s&date=%s", f["register"], f["date"]), nil)
		if code != 200 {
			t.Fatalf("today %v %v: %d %v", f["register"], f["date"], code, td)
		}
		allowed := td["work"].(map[string]any)["audio_allowed"].(bool)
		if allowed != (td["audio_url"] != nil) {
			t.Fatalf("audio gating broken for %v %v: allowed=%v audio_url=%v", f["register"], f["date"], allowed, td["audio_url"])
		}
		if allowed {
			withRights++
			// The URL serves the demo's audio asset.
			resp, err := http.Get(p.base + td["audio_url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/mpeg" {
				t.Fatalf("audio %v: %d %s", td["audio_url"], resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		} else {
			without++
		}
	}
	if withRights == 0 || without == 0 {
		t.Fatalf("the demo week lacks a case: %d drops with audio rights, %d without", withRights, without)
	}
	t.Logf("%d drops with audio rights (audio URL present), %d without (no audio URL)", withRights, without)
}

// TestE2ESeedBench: `inkling seed bench` with concurrent workers on
// PostgreSQL publishes exactly N passages (all reachable by paging the
// delivery API), each with 3 to 7 motifs, and they rank as related
// passages; a negative --workers is refused.
func TestE2ESeedBench(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text", "INKLING_DATABASE_URL="+testdb.PostgresURL(t))
	dataDir := t.TempDir()
	out := runCLI(t, bin, env, "--data", dataDir, "seed", "bench", "--passages", "120", "--workers", "3")
	if !strings.Contains(out, "120/120") {
		t.Fatalf("seed bench: %s", out)
	}
	p := startProc(t, bin, dataDir, env)
	var ids []string
	next := ""
	for {
		path := "/api/v1/content/passage?limit=50"
		if next != "" {
			path += "&cursor=" + next
		}
		code, page := p.call(t, "", "GET", path, nil)
		if code != 200 {
			t.Fatalf("list: %d %v", code, page)
		}
		for _, it := range page["items"].([]any) {
			it := it.(map[string]any)
			n := len(it["fields"].(map[string]any)["motifs"].([]any))
			if n < 3 || n > 7 {
				t.Fatalf("passage %v has %d motifs", it["id"], n)
			}
			ids = append(ids, it["id"].(string))
		}
		c, _ := page["next_cursor"].(string)
		if c == "" {
			break
		}
		next = c
	}
	if len(ids) != 120 {
		t.Fatalf("%d passages published, want 120", len(ids))
	}
	code, rel := p.call(t, "", "GET", "/api/v1/passages/"+ids[7]+"/related?limit=5", nil)
	if code != 200 || len(rel["items"].([]any)) == 0 {
		t.Fatalf("related: %d %v", code, rel)
	}
	cmd := exec.Command(bin, "--data", dataDir, "seed", "bench", "--passages", "1", "--workers", "-1")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "--workers") {
		t.Fatalf("negative workers: %v %s", err, b)
	}
}
