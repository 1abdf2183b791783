//go:build unix

package serve

import "syscall"

// raiseOpenFiles raises the soft limit on open files to the hard limit
// (Go's runtime already does so at start on most systems) and returns
// both.
func raiseOpenFiles() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
			return uint64(lim.Cur), uint64(lim.Max), err
		}
	}
	return uint64(lim.Cur), uint64(lim.Max), nil
}
