package worker

import (
	"os"
	"syscall"
)

// sysProcAttr puts the worker in a process group of its own, and has the
// kernel kill it when tweedie dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// startSetup prepares the process for starting workers: it becomes a
// child subreaper (tree_linux.go).
func startSetup() { subreaper() }

// growPipe enlarges a pipe's buffer to 1 MiB (Linux's default is 64 KiB):
// fewer switches between the processes for a large image. Best effort.
func growPipe(f *os.File) {
	const fSetPipeSz = 1031
	if sc, err := f.SyscallConn(); err == nil {
		_ = sc.Control(func(fd uintptr) {
			_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, 1<<20)
		})
	}
}
