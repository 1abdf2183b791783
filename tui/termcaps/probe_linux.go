package termcaps

import (
	"errors"
	"os"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"golang.org/x/sys/unix"
)

// ProbeTimeout bounds Probe's wait for a terminal's replies (over SSH, a
// round trip).
const ProbeTimeout = 600 * time.Millisecond

// Probe asks the terminal on /dev/tty, outside a Bubble Tea program, what
// it can draw: it puts the terminal in raw mode, sends Queries, and feeds
// the replies to Caps.Handle until DA1 arrives or ProbeTimeout passes. It
// also returns the window's width in cells and the cell size in pixels
// that the kernel knows (Winsize), zero when unknown.
func Probe(env Env) (caps Caps, cols int, cell Size, err error) {
	caps.Env = env
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return caps, 0, cell, err
	}
	defer f.Close()
	fd := int(f.Fd())
	if c, rows, px, err := Winsize(fd); err == nil {
		cols, cell = c, px
		caps.SetWindow(c, rows)
	}
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return caps, cols, cell, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 0, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return caps, cols, cell, err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old) //nolint:errcheck
	if _, err := f.WriteString(Queries(env)); err != nil {
		return caps, cols, cell, err
	}
	readReplies(fd, &caps, ProbeTimeout)
	return caps, cols, cell, nil
}

// readReplies reads from fd until DA1 arrives or the timeout passes.
func readReplies(fd int, caps *Caps, timeout time.Duration) {
	var dec uv.EventDecoder
	var buf []byte
	tmp := make([]byte, 4096)
	deadline := time.Now().Add(timeout)
	for !caps.Done() {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n <= 0 {
			continue
		}
		k, err := unix.Read(fd, tmp)
		switch {
		case errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN):
			continue
		case err != nil || k <= 0: // hung up or closed: no more replies
			return
		}
		buf = append(buf, tmp[:k]...)
		for len(buf) > 0 {
			n, ev := dec.Decode(buf)
			if n == 0 {
				break
			}
			buf = buf[n:]
			caps.Handle(ev)
		}
	}
}
