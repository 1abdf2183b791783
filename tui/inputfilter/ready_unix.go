//go:build unix

package inputfilter

import (
	"time"

	"golang.org/x/sys/unix"
)

// Ready polls the file's descriptor for input for up to d.
func (f fileReady) Ready(d time.Duration) bool {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(d.Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}
