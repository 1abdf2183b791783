//go:build unix

package worker

import (
	"os/exec"
	"syscall"
)

// killGroup kills the worker's process group: the shell, the worker and
// anything it started (an ssh client, say).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
	}
}
