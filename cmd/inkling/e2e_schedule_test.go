//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/testdb"
)

// proc is one `inkling serve` process that the test stops itself.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	base   string
	stderr *syncBuffer
}

func startProc(t *testing.T, bin, dataDir string, env []string) *proc {
	t.Helper()
	port, err := testdb.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{base: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--data", dataDir)
	p.cmd.Env = append(append([]string{}, env...), fmt.Sprintf("INKLING_ADDR=127.0.0.1:%d", port))
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("--- serve %s ---\n%s", p.base, p.stderr)
		}
	})
	deadline := time.Now().Add(readyTimeout)
	for {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve %s not ready:\n%s", p.base, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(shutdownTimeout):
		// SIGQUIT makes the Go runtime print every goroutine's stack to
		// the log below, to show what held the shutdown up.
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Errorf("serve %s ignored SIGTERM", p.base)
	}
}

func (p *proc) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, p.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func publishAudits(t *testing.T, p *proc, token, id string) int {
	t.Helper()
	code, m := p.call(t, token, "GET", "/api/admin/v1/audit?action=publish&entry="+id, nil)
	if code != 200 {
		t.Fatalf("audit: %d %v", code, m)
	}
	return len(m["items"].([]any))
}

// TestE2EScheduling: two serve processes on one Postgres publish 50
// entries scheduled for the same second exactly once each; a schedule that
// comes due while no server runs is published once, promptly, after one
// starts again.
func TestE2EScheduling(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_DATABASE_URL="+testdb.PostgresURL(t), "INKLING_LOG_FORMAT=text")
	dataDir := t.TempDir()
	a := startProc(t, bin, dataDir, env)
	b := startProc(t, bin, dataDir, env)
	cli := exec.Command(bin, "--data", dataDir, "tokens", "create", "--role", "admin", "--name", "sched")
	cli.Env = env
	out, err := cli.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	tok := lines[len(lines)-1]
	if code, m := a.call(t, tok, "POST", "/api/admin/v1/content-types", map[string]any{"key": "drop", "label": "Drop",
		"fields": []any{map[string]any{"name": "note", "kind": "text"}}}); code != 201 {
		t.Fatalf("type: %d %v", code, m)
	}
	at := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	var ids []string
	for i := 0; i < 50; i++ {
		p := a
		if i%2 == 1 {
			p = b
		}
		code, m := p.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "drop", "title": fmt.Sprint("Drop ", i)})
		if code != 201 {
			t.Fatalf("create: %d %v", code, m)
		}
		id := m["id"].(string)
		if code, m := p.call(t, tok, "POST", "/api/admin/v1/entries/"+id+"/schedule", map[string]any{"action": "publish", "at": at}); code != 201 {
			t.Fatalf("schedule: %d %v", code, m)
		}
		ids = append(ids, id)
	}
	if time.Now().After(at) {
		t.Fatalf("scheduling 50 entries took past their time (%s); the test cannot show a same-second run", at)
	}
	deadline := at.Add(20 * time.Second)
	for {
		code, m := a.call(t, tok, "GET", "/api/admin/v1/schedules?pending=true", nil)
		if code == 200 && len(m["items"].([]any)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedules still pending 20 s after their time")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("50 schedules for %s all ran by %s", at.Format(time.TimeOnly), time.Now().Format(time.StampMilli))
	for _, id := range ids {
		if n := publishAudits(t, a, tok, id); n != 1 {
			t.Errorf("entry %s published %d times, want exactly once", id, n)
		}
		if code, _ := b.call(t, "", "GET", "/api/v1/content/drop/"+id, nil); code != 200 {
			t.Errorf("entry %s not delivered: %d", id, code)
		}
	}

	// A schedule that comes due while every server is down.
	code, m := a.call(t, tok, "POST", "/api/admin/v1/entries", map[string]any{"type": "drop", "title": "Missed"})
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	missed := m["id"].(string)
	due := time.Now().Add(2 * time.Second)
	if code, m := a.call(t, tok, "POST", "/api/admin/v1/entries/"+missed+"/schedule", map[string]any{"action": "publish", "at": due}); code != 201 {
		t.Fatalf("schedule: %d %v", code, m)
	}
	a.stop(t)
	b.stop(t)
	time.Sleep(time.Until(due) + time.Second)
	started := time.Now()
	c := startProc(t, bin, dataDir, env)
	for {
		if code, _ := c.call(t, "", "GET", "/api/v1/content/drop/"+missed, nil); code == 200 {
			break
		}
		if time.Since(started) > 20*time.Second {
			t.Fatal("the missed schedule was not published within 20 s of a server starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("missed schedule published %s after a server started", time.Since(started).Round(time.Millisecond))
	if n := publishAudits(t, c, tok, missed); n != 1 {
		t.Fatalf("missed entry published %d times", n)
	}
}
