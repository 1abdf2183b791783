//go:build unix && !linux

package worker

import (
	"os"
	"os/exec"
	"syscall"
)

// sysProcAttr puts the worker in a process group of its own.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func growPipe(*os.File) {}

// startSetup prepares the process for starting workers: nothing here
// (there is no child subreaper to become).
func startSetup() {}

// endProcesses kills the worker's process group: a process it started in
// a session of its own (setsid) survives.
func endProcesses(cmd *exec.Cmd, _ string, _ bool) { killGroup(cmd) }
