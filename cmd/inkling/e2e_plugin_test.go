//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

// buildHelloPlugin builds examples/hello-plugin as a third-party plugin
// binary in dir.
func buildHelloPlugin(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "inkling-plugin-hello")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../examples/hello-plugin").CombinedOutput(); err != nil {
		t.Fatalf("building the example plugin: %v\n%s", err, out)
	}
	return bin
}

func runCLI(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("inkling %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func pluginStatus(t *testing.T, p *proc, tok string) map[string]any {
	t.Helper()
	code, m := p.call(t, tok, "GET", "/api/admin/v1/plugins/hello", nil)
	if code != 200 {
		t.Fatalf("plugin status: %d %v", code, m)
	}
	return m
}

// TestE2EPlugin builds examples/hello-plugin, enables it (pinning its
// sha256), starts `inkling serve` with it in --plugins-dir, creates and
// publishes a recipe over HTTP and reads it back through the generic
// content API and the plugin's own endpoint. Then: kill -9 of the plugin
// process under read load fails no read of published content, the plugin
// comes back and the next hook call succeeds; and a plugin binary that no
// longer matches its pin is not started, and says why.
func TestE2EPlugin(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	pluginsDir := t.TempDir()
	pluginBin := buildHelloPlugin(t, pluginsDir)
	dataDir := t.TempDir()
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text", "INKLING_PLUGINS_DIR="+pluginsDir)

	out := runCLI(t, bin, env, "--data", dataDir, "plugins", "enable", "hello")
	if !strings.Contains(out, "sha256") {
		t.Fatalf("enable: %s", out)
	}
	lines := strings.Split(strings.TrimSpace(runCLI(t, bin, env, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "e2e")), "\n")
	tok := lines[len(lines)-1]
	p := startProc(t, bin, dataDir, env)

	st := pluginStatus(t, p, tok)
	if st["status"] != "running" || fmt.Sprint(st["content_types"]) != "[recipe]" {
		t.Fatalf("plugin status: %v", st)
	}
	list := runCLI(t, bin, env, "--data", dataDir, "plugins", "list")
	if !strings.Contains(list, "hello") || !strings.Contains(list, "recipe") {
		t.Fatalf("plugins list:\n%s", list)
	}

	// The validate hook refuses a recipe without steps, naming the field.
	code, m := p.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "recipe", "title": "Toast",
		"fields": map[string]any{"summary": "Bread, warmed."}})
	if code != 422 || !strings.Contains(fmt.Sprint(m["diagnostics"]), "fields.body") {
		t.Fatalf("recipe without steps: %d %v", code, m)
	}
	// A good recipe; the before_save hook lowercases its tags.
	code, m = p.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "recipe", "title": "Porridge",
		"fields": map[string]any{"summary": "  Oats and milk.  ", "servings": 2, "cuisine": "other", "tags": []string{"Breakfast", "QUICK"},
			"body": []any{map[string]any{"type": "step", "value": map[string]any{"text": "Simmer the oats in milk.", "minutes": 10}}}}})
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	id := m["id"].(string)
	rev := m["latest_revision"].(map[string]any)
	if f := fmt.Sprint(rev["fields"]); !strings.Contains(f, "breakfast quick") || !strings.Contains(f, "summary:Oats and milk.") {
		t.Fatalf("before_save did not run: %s", f)
	}
	if code, m := p.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/publish", nil); code != 200 {
		t.Fatalf("publish: %d %v", code, m)
	}
	code, m = p.call(t, "", "GET", "/api/v1/content/recipe/porridge", nil)
	if code != 200 || m["id"] != id {
		t.Fatalf("delivery: %d %v", code, m)
	}
	code, m = p.call(t, "", "GET", "/api/v1/recipes/quick?max_minutes=15", nil)
	if code != 200 || !strings.Contains(fmt.Sprint(m), id) {
		t.Fatalf("plugin endpoint: %d %v", code, m)
	}
	code, m = p.call(t, "", "GET", "/api/v1/recipes/quick", nil)
	if code != 422 || !strings.Contains(fmt.Sprint(m), "max_minutes") {
		t.Fatalf("plugin endpoint without its required parameter: %d %v", code, m)
	}
	code, m = p.call(t, "", "GET", "/api/v1/openapi.json", nil)
	paths, _ := m["paths"].(map[string]any)
	if code != 200 || paths["/api/v1/recipes/quick"] == nil || paths["/api/v1/content/recipe"] == nil {
		t.Fatalf("openapi paths: %v", paths)
	}
	doc, _ := json.Marshal(m)
	testdb.RedoclyLint(t, doc) // with the plugin's endpoint and type in it

	// kill -9 of the plugin under read load.
	pid := int(st["pid"].(float64))
	var reads, failures atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{"/api/v1/content/recipe/" + id, "/api/v1/content/recipe?limit=5"} {
					code, m := p.call(t, "", "GET", path, nil)
					reads.Add(1)
					if code != 200 {
						failures.Add(1)
						firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s: %d %v", path, code, m))
					}
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st = pluginStatus(t, p, tok)
		if st["status"] == "running" && int(st["pid"].(float64)) != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin did not come back after kill -9: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d of %d delivery reads failed while the plugin was down; first: %v", failures.Load(), reads.Load(), firstFailure.Load())
	}
	if st["restarts"].(float64) < 1 {
		t.Fatalf("restarts = %v", st["restarts"])
	}
	t.Logf("%d delivery reads during the plugin's crash and restart, 0 failed", reads.Load())
	// The next hook call succeeds.
	code, m = p.call(t, tok, "PUT", "/api/admin/v1/entries/"+id, map[string]any{"fields": map[string]any{"summary": "Oats, milk, salt.",
		"tags": []string{"Warm"}, "body": []any{map[string]any{"type": "step", "value": map[string]any{"text": "Simmer.", "minutes": 8}}}}})
	if code != 200 || !strings.Contains(fmt.Sprint(m["latest_revision"]), "warm") {
		t.Fatalf("save after the restart: %d %v", code, m)
	}

	// A binary that no longer matches its pin is not started.
	p.stop(t)
	f, err := os.OpenFile(pluginBin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("tampered"))
	f.Close()
	p = startProc(t, bin, dataDir, env)
	st = pluginStatus(t, p, tok)
	if st["status"] != "checksum_mismatch" || !strings.Contains(fmt.Sprint(st["last_error"]), "checksum mismatch: pinned") {
		t.Fatalf("tampered plugin: %v", st)
	}
	t.Logf("tampered plugin: %s", st["last_error"])
	// Its content stays readable.
	if code, _ := p.call(t, "", "GET", "/api/v1/content/recipe/"+id, nil); code != 200 {
		t.Fatalf("published recipe not readable while its plugin is down: %d", code)
	}
}
