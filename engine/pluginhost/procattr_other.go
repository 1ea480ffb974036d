//go:build !linux

package pluginhost

import "os/exec"

// dieWithHost has no portable equivalent of Linux's parent-death signal;
// elsewhere a plugin outlives a host that is killed without shutting down.
func dieWithHost(*exec.Cmd) {}
