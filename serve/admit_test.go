package serve

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/ssh"
)

// At most max sessions run; a shutdown ends those running, refuses new
// ones and is waited for until they have returned.
func TestAdmit(t *testing.T) {
	r := newRegistry()
	got := &seen{}
	h := chain(func(sess ssh.Session) {
		s := sessionOf(sess)
		got.add(s)
		sess.Write([]byte(fmt.Sprintf("running %d\n", s.running)))
		<-s.ended
		s.sayFarewell()
	}, admit(r, 1))
	c := bareClient(t, bareServer(t, h), newKey(t))

	first := make(chan bareRun, 1)
	go func() { first <- runBare(t, c, 0, 0, "first") }()
	deadline := time.Now().Add(waitLimit)
	for got.len() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	full := fmt.Sprintf(MsgFull, 1)
	if r := runBare(t, c, 0, 0, "second"); r.status != 1 || !strings.Contains(r.stderr, full) {
		t.Errorf("over the bound: status %d, stderr %q; want 1 and %q", r.status, r.stderr, full)
	}

	r.close()
	waited := r.wait()
	select {
	case out := <-first:
		if out.stdout != "running 1\n\r"+MsgShutdown+"\n" {
			t.Errorf("the running session saw %q", out.stdout)
		}
	case <-time.After(waitLimit):
		t.Fatal("close did not end the running session")
	}
	select {
	case <-waited:
	case <-time.After(waitLimit):
		t.Fatal("wait did not return once the session had ended")
	}
	if reason, _ := got.last().outcome(); reason != "shutdown" {
		t.Errorf("reason %q, want shutdown", reason)
	}
	if r := runBare(t, c, 0, 0, "third"); r.status != 1 || !strings.Contains(r.stderr, MsgShutdown) {
		t.Errorf("after close: status %d, stderr %q; want 1 and %q", r.status, r.stderr, MsgShutdown)
	}
	if got.len() != 1 {
		t.Errorf("%d sessions ran, want 1", got.len())
	}
}
