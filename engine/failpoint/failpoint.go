// Package failpoint lets crash tests kill the process at named points of a
// lifecycle action (between its statements, before or after its commit),
// to prove that a crash leaves either all of the action or none of it.
//
// Failpoints are enabled only by the INKLING_FAILPOINTS environment variable
// (a comma-separated list of names), read once at start; unset, Inject is a
// map lookup on an empty map. Never set it in production.
package failpoint

import (
	"os"
	"strings"
	"syscall"
)

// enabled is read-only after package initialisation.
var enabled = parse(os.Getenv("INKLING_FAILPOINTS"))

func parse(s string) map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			m[n] = true
		}
	}
	return m
}

// Inject kills the process with SIGKILL, as a power cut would, when the
// failpoint name is enabled.
func Inject(name string) {
	if enabled[name] {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never return: the signal is on its way
	}
}
