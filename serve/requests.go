package serve

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Bounds on a session's requests before its explorer starts.
const (
	// maxEnv is how many env requests a session may make.
	maxEnv = 64
	// maxEnvSize bounds one env request (name and value), in bytes.
	maxEnvSize = 1024
	// maxPtyRequest bounds a pty-req (TERM, sizes and terminal modes), in
	// bytes: OpenSSH sends a few hundred.
	maxPtyRequest = 4096
)

// maxChannels bounds the session channels open at once on one connection
// (OpenSSH's MaxSessions is 10): each may hold up to 2 MB of input the
// client sends ahead.
const maxChannels = 8

// channelLimit keeps at most maxChannels session channels open at once
// on each connection.
type channelLimit struct {
	mu   sync.Mutex
	open map[*gossh.ServerConn]int
	log  *slog.Logger
}

func newChannelLimit(log *slog.Logger) *channelLimit {
	return &channelLimit{open: make(map[*gossh.ServerConn]int), log: log}
}

// sessionChannel is the ssh package's session handler with filterRequests
// between it and the client, for at most maxChannels channels of a
// connection at once (an ssh.ChannelHandler).
func (l *channelLimit) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	l.mu.Lock()
	if l.open[conn] >= maxChannels {
		l.mu.Unlock()
		nc.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d sessions at once on one connection", maxChannels))
		return
	}
	l.open[conn]++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.open[conn]--; l.open[conn] == 0 {
			delete(l.open, conn)
		}
		l.mu.Unlock()
	}()
	ssh.DefaultSessionHandler(srv, conn, filtered{nc, l.log}, ctx) // until the channel closes
}

// filtered is a new session channel whose requests go through
// filterRequests.
type filtered struct {
	gossh.NewChannel
	log *slog.Logger
}

func (f filtered) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	return ch, filterRequests(reqs, f.log), nil
}

// filterRequests passes a session's requests on, refusing (reply false)
// those tweedie does not serve: agent and X11 forwarding, signals (which
// the ssh package would leave unanswered), env requests past maxEnv or
// maxEnvSize, and a pty-req past maxPtyRequest. Its output closes when
// its input does. After a panic (logged) it refuses every later request.
func filterRequests(in <-chan *gossh.Request, log *slog.Logger) <-chan *gossh.Request {
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		defer func() {
			if r := recover(); r != nil {
				log.Error("session requests panicked: refusing the rest", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				for req := range in {
					req.Reply(false, nil)
				}
			}
		}()
		env := 0
		for req := range in {
			ok := true
			switch req.Type {
			case "auth-agent-req@openssh.com", "x11-req", "signal":
				ok = false
			case "env":
				env++
				ok = env <= maxEnv && len(req.Payload) <= maxEnvSize
			case "pty-req":
				ok = len(req.Payload) <= maxPtyRequest
			}
			if !ok {
				req.Reply(false, nil) // a no-op when no reply is wanted
				continue
			}
			out <- req
		}
	}()
	return out
}
