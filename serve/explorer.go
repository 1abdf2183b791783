package serve

import (
	"fmt"
	"runtime"

	"charm.land/ssh"

	"tweedie/tui"
	"tweedie/tui/termcaps"
)

// explorer runs the explorer on sessions: the handler the middlewares
// lead to, and the one place here that uses the tui package.
type explorer struct {
	opts tui.Options
}

// newExplorer makes opts every session's starting state. A nil Pool
// becomes one pool for every session: as many runs at once as the machine
// has cores, half of them at most per session.
func newExplorer(opts tui.Options) *explorer {
	if opts.Pool == nil {
		n := runtime.GOMAXPROCS(0)
		opts.Pool = tui.NewPool(n, max(n/2, 1))
	}
	return &explorer{opts: opts}
}

// serve runs one explorer on the session until the user quits or the
// session is ended from outside (session.end), then tells the client why
// (session.sayFarewell). It takes the terminal from requirePty and reads
// the client's input through the session (watchClient's input).
func (e *explorer) serve(sess ssh.Session) {
	s := sessionOf(sess)
	cell := cellOf(s.window)
	ts, err := tui.NewSession(e.opts, tui.Terminal{
		Input: s, Output: s, Environ: append(s.Environ(), "TERM="+s.term),
		Width: s.window.Width, Height: s.window.Height, Cell: cell,
	})
	if err != nil {
		s.log.Error("session failed", "err", err)
		fmt.Fprintln(s.Stderr(), "tweedie:", err)
		s.Exit(1)
		return
	}
	s.onEnd(ts.Quit)
	s.log.Info("session start", "term", s.term, "profile", ts.Profile().String(),
		"size", fmt.Sprintf("%dx%d", s.window.Width, s.window.Height),
		"cell", fmt.Sprintf("%dx%d", cell.W, cell.H), "sessions", s.running)

	stop := make(chan struct{})
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		defer s.recovered("resize")
		for {
			select {
			case w := <-s.windows:
				ts.Resize(w.Width, w.Height, cellOf(w)) // returns once Run has ended
			case <-stop:
				return
			}
		}
	}()
	s.err = ts.Run()
	close(stop)
	<-resized
	s.sayFarewell() // watchClient still watches: a write that hangs gets the connection closed
}

// cellOf is the cell size in pixels a pty-req or window-change gives: its
// pixel sizes over its cells (OpenSSH sends the pixel sizes its own
// terminal reports to the kernel); zero when the client sent none.
func cellOf(w window) termcaps.Size {
	return tui.CellOf(w.Sent.Width, w.Sent.Height, w.Sent.WidthPixels, w.Sent.HeightPixels)
}
