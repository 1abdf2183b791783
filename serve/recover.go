package serve

import (
	"charm.land/ssh"
)

// MsgPanic is what a client is told when its session ends on a panic.
const MsgPanic = "tweedie: internal error: this session is closed (the server runs on)"

// recoverPanics ends a session whose handler panics, and that session
// alone: the panic and its stack go to the log, the client is told
// MsgPanic and gets exit status 1. The middlewares inside it release what
// they hold as the panic unwinds them. The goroutines a session starts
// recover their own panics the same way (session.recovered).
func recoverPanics(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s := sessionOf(sess)
		defer func() {
			if r := recover(); r != nil {
				s.panicked("handler", r)
				s.sayFarewell()
			}
		}()
		next(s)
	}
}
