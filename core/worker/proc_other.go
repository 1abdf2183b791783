//go:build !unix

package worker

import (
	"os"
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// startSetup prepares the process for starting workers: nothing here.
func startSetup() {}

// endProcesses kills the worker; what it started may survive it.
func endProcesses(cmd *exec.Cmd, _ string, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func growPipe(*os.File) {}
