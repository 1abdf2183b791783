package serve

import (
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

// sessionChannel is the ssh package's session handler with filterRequests
// between it and the client.
func sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	ssh.DefaultSessionHandler(srv, conn, filtered{nc}, ctx)
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
