package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procStat reads the state and parent pid of a process from /proc; ok is
// false when the process no longer exists.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// childPIDs lists the live children of pid (none off Linux: no /proc).
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, pp, ok := procStat(n); ok && pp == pid && st != 'Z' {
			out = append(out, n)
		}
	}
	return out
}

// requireNoOrphans fails t when any of pids is still running (a zombie
// waiting for init to reap it counts as gone) a few seconds after its
// parent died.
func requireNoOrphans(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var alive []int
		for _, pid := range pids {
			if st, _, ok := procStat(pid); ok && st != 'Z' {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range alive {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill() // do not leak them past the test
				}
			}
			t.Fatalf("plugin processes %v outlived their killed host", alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
