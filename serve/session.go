package serve

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// session is one SSH session on its way through the middlewares: the
// client's channel, and what the middlewares learnt of it. The first
// middleware makes it; each later one finds it with sessionOf, adds what
// it knows and passes the same value on.
type session struct {
	ssh.Session

	id    uint64
	log   *slog.Logger
	start time.Time

	term    string        // requirePty: the terminal's TERM
	window  window        // requirePty: its size, clamped
	windows <-chan window // requirePty: the latest window-change, clamped
	input   *input        // watchClient: what Read reads
	running int           // admit: sessions running, this one included
	err     error         // the explorer's, for the log

	mu       sync.Mutex
	reason   string        // why the session ended, once it has
	farewell string        // what its client is told when it is ended from outside
	ended    chan struct{} // closed by end
	quit     func()        // ends the explorer; called by end
}

// newSession wraps an SSH session for the middlewares, its log lines
// carrying id, address, user and key.
func newSession(sess ssh.Session, log *slog.Logger, id uint64) *session {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("session", id, "addr", sess.RemoteAddr().String(), "user", sess.User())
	if k := sess.PublicKey(); k != nil {
		log = log.With("key", gossh.FingerprintSHA256(k))
	}
	return &session{Session: sess, id: id, log: log, start: time.Now(), ended: make(chan struct{})}
}

// sessionOf is the session the middlewares share, or a new one when sess
// comes straight from the ssh package (a middleware used on its own).
func sessionOf(sess ssh.Session) *session {
	if s, ok := sess.(*session); ok {
		return s
	}
	return newSession(sess, nil, 0)
}

// Read reads the client's input: through watchClient's input when it
// watches the session, from the channel otherwise.
func (s *session) Read(p []byte) (int, error) {
	if s.input != nil {
		return s.input.Read(p)
	}
	return s.Session.Read(p)
}

// Ready reports whether more input comes within d (inputfilter.Ready):
// watchClient's input can tell; a bare channel cannot.
func (s *session) Ready(d time.Duration) bool {
	return s.input != nil && s.input.Ready(d)
}

// end ends the session from outside (idle, shutdown, client gone), unless
// it has ended already: the explorer quits, and its client is told
// farewell when it is not empty. It never blocks.
func (s *session) end(reason, farewell string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason != "" {
		return
	}
	s.reason, s.farewell = reason, farewell
	close(s.ended)
	if s.quit != nil {
		go s.quit() // tui.Session.Quit waits for Run to start
	}
}

// onEnd makes quit the way end ends the session; when it has ended
// already, quit is called at once.
func (s *session) onEnd(quit func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quit = quit
	if s.reason != "" {
		go quit()
	}
}

// outcome is why the session ended: the reason given to end or refuse,
// or "quit" when its explorer ended on its own; and what its client is to
// be told.
func (s *session) outcome() (reason, farewell string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		return "quit", ""
	}
	return s.reason, s.farewell
}

// refuse ends a session that may not start: it logs why, tells the client
// msg and exits with status 1.
func (s *session) refuse(why, msg string) {
	s.mu.Lock()
	if s.reason == "" {
		s.reason = "refused"
		close(s.ended)
	}
	s.mu.Unlock()
	s.log.Warn("session refused", "reason", why)
	fmt.Fprintln(s.Stderr(), msg)
	s.Exit(1)
}

// recovered, deferred first thing in every goroutine that handles the
// session, turns a panic there into the end of this session alone
// (panicked). A session that then does not close has its connection
// closed by watchClient.
func (s *session) recovered(where string) {
	if r := recover(); r != nil {
		s.panicked(where, r)
	}
}

// panicked logs a recovered panic with its stack and ends the session
// with MsgPanic.
func (s *session) panicked(where string, r any) {
	s.log.Error("session panicked: ending it", "in", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	s.end("panic", MsgPanic)
}

// sayFarewell tells the client why its session was ended from outside, if
// it was; after a panic the session exits with status 1.
func (s *session) sayFarewell() {
	reason, farewell := s.outcome()
	if farewell != "" {
		fmt.Fprintln(s, "\r"+farewell)
	}
	if reason == "panic" {
		s.Exit(1)
	}
}
