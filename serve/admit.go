package serve

import (
	"fmt"
	"strings"
	"sync"

	"charm.land/ssh"
	"charm.land/wish/v2"
)

// Messages for sessions that may not start, or are ended by the server.
const (
	MsgShutdown = "tweedie: server shutting down"
	MsgFull     = "tweedie: server full (%d sessions running); try again later"
)

// registry holds the sessions running, so that a bound on them can be
// kept and a shutdown can end each one and wait for it.
type registry struct {
	mu       sync.Mutex
	closing  bool
	sessions map[*session]struct{}
	running  sync.WaitGroup
}

func newRegistry() *registry { return &registry{sessions: make(map[*session]struct{})} }

// add registers a session, or says why it may not start: the server is
// closing, or max sessions (0: no bound) are running. It returns the
// sessions running, this one included.
func (r *registry) add(s *session, max int) (n int, refusal string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closing:
		return len(r.sessions), MsgShutdown
	case max > 0 && len(r.sessions) >= max:
		return len(r.sessions), fmt.Sprintf(MsgFull, len(r.sessions))
	}
	r.sessions[s] = struct{}{}
	r.running.Add(1) // under mu: close, which sets closing, has not run yet
	return len(r.sessions), ""
}

func (r *registry) remove(s *session) {
	r.mu.Lock()
	delete(r.sessions, s)
	r.mu.Unlock()
	r.running.Done()
}

// close refuses every new session from now on and ends those running with
// MsgShutdown; wait then waits for them.
func (r *registry) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closing = true
	for s := range r.sessions {
		s.end("shutdown", MsgShutdown)
	}
}

// wait returns a channel closed once every session registered has ended.
func (r *registry) wait() <-chan struct{} {
	done := make(chan struct{})
	go func() { r.running.Wait(); close(done) }()
	return done
}

// admit is the per-session accounting: it runs a session only while fewer
// than max (0: any number) run, and none once the server is shutting down
// (MsgFull, MsgShutdown), and registers it in r while it runs.
func admit(r *registry, max int) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			s := sessionOf(sess)
			n, refusal := r.add(s, max)
			if refusal != "" {
				s.refuse(strings.TrimPrefix(refusal, "tweedie: "), refusal)
				return
			}
			defer r.remove(s)
			s.running = n
			next(s)
		}
	}
}
