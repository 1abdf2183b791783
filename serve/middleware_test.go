package serve

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"
)

// bareServer serves h behind nothing but the ssh package (any public key
// gets in) on loopback until the test ends, so that one middleware can be
// tested on its own; it returns the address.
func bareServer(t *testing.T, h ssh.Handler) string {
	t.Helper()
	hostKey := newKey(t) // wish would write one into the working directory
	srv, err := wish.NewServer(
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		func(srv *ssh.Server) error { srv.AddHostKey(hostKey); srv.Handler = h; return nil },
	)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// bareClient connects to addr with key.
func bareClient(t *testing.T, addr string, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "tester", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: waitLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// bareRun is a session's outcome as its client saw it.
type bareRun struct {
	status         int // -1: no exit status
	stdout, stderr string
}

// runBare starts a session on c (with a w×h pty unless w is 0, and the
// command cmd, or a shell when cmd is empty) and waits for it to end.
func runBare(t *testing.T, c *gossh.Client, w, h int, cmd string) bareRun {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if w > 0 {
		if err := sess.RequestPty("xterm", h, w, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	go func() {
		if cmd != "" {
			done <- sess.Run(cmd)
		} else if err := sess.Shell(); err != nil {
			done <- err
		} else {
			done <- sess.Wait()
		}
	}()
	var werr error
	select {
	case werr = <-done:
	case <-time.After(waitLimit):
		t.Fatalf("session still open after %v", waitLimit)
	}
	r := bareRun{stdout: stdout.String(), stderr: stderr.String()}
	var ee *gossh.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		r.status = ee.ExitStatus()
	default:
		r.status = -1
	}
	return r
}

// seen collects the sessions a test handler got.
type seen struct {
	mu   sync.Mutex
	list []*session
}

func (sn *seen) add(s *session) {
	sn.mu.Lock()
	sn.list = append(sn.list, s)
	sn.mu.Unlock()
}

func (sn *seen) len() int {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return len(sn.list)
}

func (sn *seen) last() *session {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.list[len(sn.list)-1]
}

// Middlewares run outermost first.
func TestChainOrder(t *testing.T) {
	var order []string
	mw := func(name string) wish.Middleware {
		return func(next ssh.Handler) ssh.Handler {
			return func(s ssh.Session) { order = append(order, name); next(s) }
		}
	}
	chain(func(ssh.Session) { order = append(order, "handler") }, mw("outer"), mw("inner"))(nil)
	if got := []string{"outer", "inner", "handler"}; len(order) != 3 || order[0] != got[0] || order[1] != got[1] || order[2] != got[2] {
		t.Errorf("order %v, want %v", order, got)
	}
}
