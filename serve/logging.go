package serve

import (
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
)

// logSessions is the first middleware: it numbers each session, gives it
// a logger whose lines carry that number, the client's address, user and
// key fingerprint, and logs "session end" with why the session ended
// (quit, idle, disconnected, shutdown, refused, panic), how long it lasted
// and the explorer's error, if any.
func logSessions(log *slog.Logger) wish.Middleware {
	var ids atomic.Uint64
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			s := newSession(sess, log, ids.Add(1))
			next(s)
			reason, _ := s.outcome()
			attrs := []any{"reason", reason, "duration", time.Since(s.start).Round(time.Millisecond).String()}
			if s.err != nil && !errors.Is(s.err, io.EOF) {
				attrs = append(attrs, "err", s.err)
			}
			s.log.Info("session end", attrs...)
		}
	}
}
