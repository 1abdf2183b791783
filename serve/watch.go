package serve

import (
	"fmt"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"
)

// MsgIdle is what a session closed for want of input is told.
const MsgIdle = "tweedie: closing after %v without input"

// endGrace is how long a session ended from outside (idle, shutdown, a
// client gone, a panic) may take to close before its connection is closed
// under it: an explorer writing to a client that reads nothing waits for
// good.
const endGrace = 3 * time.Second

// watchClient ends the session when its client goes away (its connection
// or its input ends) or sends no input for idle (0: never; window changes
// are not input), and closes the connection of a session ended from
// outside that has not closed within endGrace. The session reads the
// client's input through it (input), so that the input ends with the
// session even when the client never ends its side.
func watchClient(idle time.Duration) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			s := sessionOf(sess)
			in := newInput(s)
			s.input = in
			defer in.Close()
			stop := make(chan struct{})
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				defer s.recovered("watch")
				watch(s, in, idle, stop)
			}()
			next(s)
			close(stop)
			<-watched
		}
	}
}

// watch is watchClient's watch, until stop closes.
func watch(s *session, in *input, idle time.Duration, stop <-chan struct{}) {
	var idleC, force <-chan time.Time
	var timer *time.Timer
	if idle > 0 {
		timer = time.NewTimer(idle)
		defer timer.Stop()
		idleC = timer.C
	}
	eof, gone, ended := in.eof, s.Context().Done(), s.ended
	for {
		select {
		case <-stop:
			return
		case <-gone:
			s.end("disconnected", "")
			gone = nil
		case <-eof:
			s.end("disconnected", "")
			eof = nil
		case <-idleC:
			if left := idle - in.since(); left > 0 {
				timer.Reset(left)
				continue
			}
			s.end("idle", fmt.Sprintf(MsgIdle, idle))
		case <-ended:
			ended = nil
			t := time.NewTimer(endGrace)
			defer t.Stop()
			force = t.C
		case <-force:
			force = nil
			s.log.Warn("session did not close: closing its connection", "grace", endGrace.String())
			if c, ok := s.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok {
				c.Close()
			}
		}
	}
}
