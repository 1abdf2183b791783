package serve

import (
	"fmt"

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

// sessionChannel is the ssh package's session handler with filterRequests
// between it and the client, for at most maxChannels channels of a
// connection at once.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	s.mu.Lock()
	if s.channels[conn] >= maxChannels {
		s.mu.Unlock()
		nc.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d sessions at once on one connection", maxChannels))
		return
	}
	s.channels[conn]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.channels[conn]--; s.channels[conn] == 0 {
			delete(s.channels, conn)
		}
		s.mu.Unlock()
	}()
	ssh.DefaultSessionHandler(srv, conn, filtered{nc}, ctx) // until the channel closes
}

// filtered is a new session channel whose requests go through
// filterRequests.
type filtered struct{ gossh.NewChannel }

func (f filtered) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := f.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	return ch, filterRequests(reqs), nil
}

// filterRequests passes a session's requests on, refusing (reply false)
// those tweedie does not serve: agent and X11 forwarding, signals (which
// the ssh package would leave unanswered), env requests past maxEnv or
// maxEnvSize, and a pty-req past maxPtyRequest. Its output closes when
// its input does.
func filterRequests(in <-chan *gossh.Request) <-chan *gossh.Request {
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
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
