//go:build unix && !linux

package worker

import (
	"os"
	"syscall"
)

// sysProcAttr puts the worker in a process group of its own.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func growPipe(*os.File) {}
