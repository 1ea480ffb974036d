package pluginhost

import (
	"os/exec"
	"syscall"
)

// dieWithHost asks the kernel to SIGKILL the plugin process when the host
// dies, however it dies: a host killed by SIGKILL or the OOM killer runs no
// shutdown code, and its plugins would otherwise live on as orphans holding
// memory and connections. Plugins keep no state of their own (the host owns
// it), so nothing is lost by the hard kill.
//
// The kernel ties the signal to the OS thread that forked the child, not to
// the process; the Go runtime ends a thread only when a goroutine locked to
// it exits, which the host never does around plugin starts.
func dieWithHost(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
