package serve

import (
	"strings"
	"testing"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Only a session with a pty and no command gets through, its window
// clamped; window changes never wait for the handler, which gets the
// latest, clamped.
func TestRequirePty(t *testing.T) {
	got := &seen{}
	h := chain(func(sess ssh.Session) {
		s := sessionOf(sess)
		got.add(s)
		sess.Write([]byte("in\n"))
		<-s.Context().Done()
	}, requirePty)
	c := bareClient(t, bareServer(t, h), newKey(t))

	if r := runBare(t, c, 0, 0, "x"); r.status != 1 || !strings.Contains(r.stderr, MsgNoPty) {
		t.Errorf("no pty: status %d, stderr %q; want 1 and %q", r.status, r.stderr, MsgNoPty)
	}
	if r := runBare(t, c, 80, 24, "ls"); r.status != 1 || !strings.Contains(r.stderr, MsgCommand) {
		t.Errorf("a command: status %d, stderr %q; want 1 and %q", r.status, r.stderr, MsgCommand)
	}
	if got.len() != 0 {
		t.Fatalf("%d refused sessions reached the handler", got.len())
	}

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-kitty", 1<<20, 1<<20, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	for got.len() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got.len() != 1 {
		t.Fatal("the pty session did not reach the handler")
	}
	s := got.last()
	if s.term != "xterm-kitty" || s.window.Width != MaxWidth || s.window.Height != MaxHeight {
		t.Errorf("term %q window %d×%d, want xterm-kitty %d×%d", s.term, s.window.Width, s.window.Height, MaxWidth, MaxHeight)
	}
	// A flood of window changes the handler does not read: none waits.
	change := func(w, h int) {
		msg := gossh.Marshal(struct{ W, H, PW, PH uint32 }{uint32(w), uint32(h), 0, 0})
		if _, err := sess.SendRequest("window-change", false, msg); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		change(100+i%50, 30)
	}
	change(1<<30, 40)
	// A request after the flood gets its reply: the request loop ran on.
	reply(t, sess, "keepalive@openssh.com", nil)
	deadline = time.Now().Add(waitLimit)
	for {
		select {
		case w := <-s.windows:
			if w.Width > MaxWidth || w.Height > MaxHeight {
				t.Fatalf("window %+v passed on unclamped", w)
			}
			if w.Sent.Width != 1<<30 {
				continue // an older one, replaced before the handler read it
			}
			if w.Width != MaxWidth || w.Height != 40 {
				t.Errorf("latest window %d×%d, want %d×40", w.Width, w.Height, MaxWidth)
			}
			return
		case <-time.After(time.Until(deadline)):
			t.Fatal("the latest window change was not passed on")
		}
	}
}
