package worker

import "syscall"

// sysProcAttr puts the worker in a process group of its own, and has the
// kernel kill it when tweedie dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
