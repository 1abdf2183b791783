package serve

import (
	"fmt"

	"charm.land/ssh"
)

// Messages for sessions that are not the explorer's.
const (
	MsgNoPty   = "tweedie: the explorer needs a terminal: connect with ssh -t, and without a command"
	MsgCommand = "tweedie: this server runs only the explorer: connect without a command"
)

// MaxWidth and MaxHeight bound a session's terminal size in cells: a
// larger size from the client (pty-req or window-change) is cut down to
// them, since a session's screen buffers and frames grow with its cells.
// Real terminals are a few hundred cells a side at most.
const (
	MaxWidth  = 500
	MaxHeight = 200
)

// window is a terminal size as the explorer gets it: Width and Height
// clamped to MaxWidth×MaxHeight, and the client's window as it sent it,
// whose pixel sizes over its cells give the cell size.
type window struct {
	Width, Height int
	Sent          ssh.Window
}

func clampWindow(w ssh.Window) window {
	return window{Width: min(w.Width, MaxWidth), Height: min(w.Height, MaxHeight), Sent: w}
}

// requirePty lets only an explorer session through: one with a
// pseudo-terminal and without a command (MsgNoPty, MsgCommand otherwise).
// It gives the session its TERM, its window clamped, and a channel of the
// latest window-change, clamped, read from the client whether or not the
// explorer runs (latestWindows).
func requirePty(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		pty, winch, ok := s.Pty()
		if !ok {
			s.refuse("no terminal", MsgNoPty)
			return
		}
		s.windows = latestWindows(s, winch)
		if cmd := s.RawCommand(); cmd != "" {
			s.refuse(fmt.Sprintf("command %q", cmd), MsgCommand)
			return
		}
		s.term, s.window = pty.Term, clampWindow(pty.Window)
		next(s)
	}
}

// latestWindows reads the window sizes from winch until it closes (when
// the client's requests end) and keeps the latest, clamped, for the
// channel it returns. It never blocks on its reader, so the ssh package's
// request loop, which sends each window-change on winch, never waits for
// an explorer that has ended.
func latestWindows(s *session, winch <-chan ssh.Window) <-chan window {
	sizes := make(chan window, 1)
	go func() {
		defer s.recovered("window changes")
		for w := range winch {
			select {
			case <-sizes: // replaced by the newer size
			default:
			}
			sizes <- clampWindow(w) // the only sender: there is room
		}
	}()
	return sizes
}
