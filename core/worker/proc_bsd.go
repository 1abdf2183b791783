//go:build unix && !linux

package worker

import "syscall"

// sysProcAttr puts the worker in a process group of its own.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
