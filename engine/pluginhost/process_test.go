package pluginhost

import (
	"context"
	"encoding/json"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

var noteFields = json.RawMessage(`{"body":"one two three"}`)

// TestStopLeavesNothing is not parallel: it counts the process's goroutines.
func TestStopLeavesNothing(t *testing.T) {
	ours := func() []string {
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		var out []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "pluginhost.(*") || strings.Contains(g, "hashicorp/go-plugin") {
				out = append(out, g)
			}
		}
		return out
	}
	if g := ours(); len(g) > 0 {
		t.Fatalf("goroutines before the test:\n%s", strings.Join(g, "\n\n"))
	}
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("alpha", "beta"), func(c *Config) { c.CallTimeout = 30 * time.Second })
	e.start(m)
	ctx := context.Background()
	if err := m.SetSettings(ctx, "beta", map[string]string{"mode": "hang_validate"}); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, n := range []string{"alpha", "beta"} {
		st := statusOf(t, m, n)
		if st.Status != StatusRunning || st.PID == 0 {
			t.Fatalf("%s: %+v", n, st)
		}
		pids = append(pids, st.PID)
	}
	if len(ours()) == 0 {
		t.Fatal("the goroutine filter sees nothing while plugins run; the leak check below would prove nothing")
	}
	// A call stuck in a plugin when Stop comes fails at once.
	done := make(chan error, 1)
	go func() {
		_, _, err := m.BeforeSave(ctx, HookInput{Actor: admin, Type: "beta_note", Fields: noteFields})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	m.Stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s", d)
	} else {
		t.Logf("Stop took %s", d)
	}
	select {
	case err := <-done:
		if !apperr.Is(err, apperr.Unavailable) {
			t.Errorf("in-flight call: %v, want Unavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight call still hangs after Stop")
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("plugin process %d still runs after Stop", pid)
		}
	}
	for _, n := range []string{"alpha", "beta"} {
		if st := statusOf(t, m, n); st.Status != StatusStopped || st.PID != 0 {
			t.Errorf("%s after Stop: %+v", n, st)
		}
	}
	if _, _, err := m.BeforeSave(ctx, HookInput{Type: "alpha_note", Fields: noteFields}); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("after Stop, saves of bound types must fail: %v", err)
	}
	waitFor(t, 5*time.Second, "plugin goroutines to end", func() bool { return len(ours()) == 0 })
}

func TestHookTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	const deadline = time.Second
	m := e.manager(builtins("hang"), func(c *Config) { c.CallTimeout = deadline })
	e.start(m)
	ctx := context.Background()
	if err := m.SetSettings(ctx, "hang", map[string]string{"mode": "hang_validate"}); err != nil {
		t.Fatal(err)
	}
	in := HookInput{Actor: admin, Type: "hang_note", Fields: noteFields}
	start := time.Now()
	_, _, err := m.BeforeSave(ctx, in)
	elapsed := time.Since(start)
	if !apperr.Is(err, apperr.Timeout) || !strings.Contains(err.Error(), "plugin hang did not answer validate within 1s") {
		t.Fatalf("err = %v, want Timeout naming the hook and the deadline", err)
	}
	if elapsed < deadline || elapsed > deadline+400*time.Millisecond {
		t.Errorf("the call returned after %s, want ≈ %s", elapsed, deadline)
	}
	// The caller's own, shorter deadline wins.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, _, err = m.BeforeSave(cctx, in)
	if !apperr.Is(err, apperr.Timeout) || time.Since(start) > 600*time.Millisecond {
		t.Errorf("caller deadline: %v after %s", err, time.Since(start))
	}
	// A hang is not a crash: the plugin keeps running and answers the rest.
	if st := statusOf(t, m, "hang"); st.Status != StatusRunning || st.Restarts != 0 {
		t.Errorf("status = %+v", st)
	}
	if r := probe(t, m, "hang", map[string]string{"call": "get_settings"}); r.Code != "OK" || r.Settings["mode"] != "hang_validate" {
		t.Errorf("probe = %+v", r)
	}
	if err := m.SetSettings(ctx, "hang", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.BeforeSave(ctx, in); err != nil {
		t.Errorf("after the fix: %v", err)
	}
}

func TestKillRestarts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("kappa"), func(c *Config) { c.RestartBackoff = 500 * time.Millisecond })
	e.start(m)
	ctx := context.Background()
	in := HookInput{Actor: admin, Type: "kappa_note", Fields: noteFields}
	if _, _, err := m.BeforeSave(ctx, in); err != nil {
		t.Fatal(err)
	}
	pid := statusOf(t, m, "kappa").PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "status restarting", func() bool { return statusOf(t, m, "kappa").Status == StatusRestarting })
	start := time.Now()
	_, _, err := m.BeforeSave(ctx, in)
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("a call during the restart took %s; it must fail fast", d)
	}
	if !apperr.Is(err, apperr.Unavailable) || !strings.Contains(err.Error(), "plugin kappa is restarting") {
		t.Errorf("during restart: %v", err)
	}
	if _, err := m.CallEndpoint(ctx, "kappa", &pluginv1.EndpointRequest{Method: "GET", Path: "/kappa/probe"}); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("endpoint during restart: %v", err)
	}
	waitFor(t, 10*time.Second, "kappa to come back", func() bool {
		st := statusOf(t, m, "kappa")
		return st.Status == StatusRunning && st.Restarts == 1
	})
	st := statusOf(t, m, "kappa")
	if st.PID == pid || st.PID == 0 || !processGone(pid) {
		t.Errorf("pid %d after restart (was %d)", st.PID, pid)
	}
	if _, _, err := m.BeforeSave(ctx, in); err != nil {
		t.Errorf("after restart: %v", err)
	}
	// Configure ran again: the Host service answers the new process.
	if r := probe(t, m, "kappa", map[string]string{"call": "get_settings"}); r.Code != "OK" {
		t.Errorf("host service after restart: %+v", r)
	}
	if !strings.Contains(e.logs.String(), "plugin restarted") {
		t.Error("the restart is not logged")
	}
}

func TestCrashInHook(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"exit_in_before_save", "panic_in_before_save"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "sqlite")
			m := e.manager(builtins("crash"), func(c *Config) { c.RestartBackoff = 50 * time.Millisecond })
			e.start(m)
			ctx := context.Background()
			if err := m.SetSettings(ctx, "crash", map[string]string{"mode": mode}); err != nil {
				t.Fatal(err)
			}
			_, _, err := m.BeforeSave(ctx, HookInput{Actor: admin, Type: "crash_note", Fields: noteFields})
			if !apperr.Is(err, apperr.Unavailable) || !strings.Contains(err.Error(), "plugin crash stopped while answering before_save") {
				t.Fatalf("in-flight call: %v", err)
			}
			waitFor(t, 10*time.Second, "crash to come back", func() bool {
				st := statusOf(t, m, "crash")
				return st.Status == StatusRunning && st.Restarts == 1
			})
			if err := m.SetSettings(ctx, "crash", nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := m.BeforeSave(ctx, HookInput{Actor: admin, Type: "crash_note", Fields: noteFields}); err != nil {
				t.Errorf("after restart: %v", err)
			}
		})
	}
}

// TestRestartBackoff kills a plugin whose restarts fail, and checks that the
// attempts back off exponentially up to the cap, then that it recovers.
func TestRestartBackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	var mu sync.Mutex
	var calls []time.Time
	broken := false
	factory := func() *exec.Cmd {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		if broken {
			return exec.Command("/bin/false")
		}
		return builtin("rho")()
	}
	m := e.manager(map[string]func() *exec.Cmd{"rho": factory}, func(c *Config) {
		c.RestartBackoff = 50 * time.Millisecond
		c.MaxRestartBackoff = 200 * time.Millisecond
	})
	e.start(m)
	mu.Lock()
	broken = true
	mu.Unlock()
	if err := syscall.Kill(statusOf(t, m, "rho").PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "5 restart attempts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) >= 6
	})
	st := statusOf(t, m, "rho")
	if st.Status != StatusRestarting || !strings.Contains(st.LastError, "restart failed") {
		t.Errorf("while failing: %+v", st)
	}
	mu.Lock()
	var gaps []time.Duration
	for i := 2; i < 6; i++ {
		gaps = append(gaps, calls[i].Sub(calls[i-1]))
	}
	broken = false
	mu.Unlock()
	// Attempts 2..5 wait 100ms, 200ms, 200ms (capped), 200ms.
	for i, min := range []time.Duration{100, 200, 200, 200} {
		min *= time.Millisecond
		if gaps[i] < min || gaps[i] > min+400*time.Millisecond {
			t.Errorf("gap %d = %s, want ≈ %s (gaps %v)", i, gaps[i], min, gaps)
		}
	}
	waitFor(t, 5*time.Second, "rho to recover", func() bool { return statusOf(t, m, "rho").Status == StatusRunning })
}

// TestConcurrentCallsDuringCrash hammers a plugin from several goroutines
// while it is killed: every call succeeds or fails with Unavailable, none
// hangs, and the plugin comes back.
func TestConcurrentCallsDuringCrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("chi"), func(c *Config) { c.RestartBackoff = 100 * time.Millisecond })
	e.start(m)
	ctx := context.Background()
	in := HookInput{Actor: admin, Type: "chi_note", Fields: noteFields}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, unavailable int
	var slowest time.Duration
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				_, _, err := m.BeforeSave(ctx, in)
				d := time.Since(start)
				mu.Lock()
				slowest = max(slowest, d)
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Unavailable):
					unavailable++
				default:
					t.Errorf("unexpected error: %v", err)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(statusOf(t, m, "chi").PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "chi to come back", func() bool {
		st := statusOf(t, m, "chi")
		return st.Status == StatusRunning && st.Restarts == 1
	})
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if ok == 0 || unavailable == 0 || slowest > time.Second {
		t.Errorf("ok %d, unavailable %d, slowest call %s", ok, unavailable, slowest)
	}
	t.Logf("ok %d, unavailable %d, slowest call %s", ok, unavailable, slowest)
}

// TestSaveThroughAHangingHook: a save whose plugin hook hangs returns a
// clear Timeout error at the deadline, and writes nothing.
func TestSaveThroughAHangingHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	m := e.manager(builtins("hang"), func(c *Config) { c.CallTimeout = time.Second; c.Entries = nil })
	es := entries.New(e.DB, e.Types, e.Auth, &entries.Options{Hooks: m})
	m.SetEntries(es)
	e.start(m)
	ctx := context.Background()
	if err := m.SetSettings(ctx, "hang", map[string]string{"mode": "hang_validate"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := es.Create(ctx, admin, entries.CreateInput{Type: "hang_note", Title: "Stuck", Fields: noteFields})
	if !apperr.Is(err, apperr.Timeout) || !strings.Contains(err.Error(), "did not answer validate within 1s") {
		t.Fatalf("err = %v, want a Timeout naming the hook", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("the save took %s", el)
	}
	for _, table := range []string{"entries", "revisions", "audit_log"} {
		n, err := e.DB.NewSelect().TableExpr(table).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("%s: %d rows after a timed-out save (%v)", table, n, err)
		}
	}
}
