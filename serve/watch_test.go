package serve

import (
	"io"
	"testing"
	"time"

	"charm.land/ssh"
)

// watchClient ends a session whose client sends nothing for the idle
// timeout, keeps one that types, ends one whose input ends, and passes
// the client's input on.
func TestWatchClient(t *testing.T) {
	const idle = time.Second
	h := chain(func(sess ssh.Session) {
		s := sessionOf(sess)
		go io.Copy(sess, s) // echo what watchClient's input passes on
		<-s.ended
		reason, _ := s.outcome()
		io.WriteString(sess.Stderr(), reason)
		s.sayFarewell()
	}, watchClient(idle))
	c := bareClient(t, bareServer(t, h), newKey(t))

	open := func() (io.WriteCloser, *syncBuffer, *syncBuffer, chan error) {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sess.Close() })
		stdin, err := sess.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, reason := &syncBuffer{}, &syncBuffer{}
		sess.Stdout, sess.Stderr = out, reason
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- sess.Wait() }()
		return stdin, out, reason, done
	}
	wait := func(done chan error) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatal("session not ended")
		}
	}

	// Silent: ended after idle, told so.
	start := time.Now()
	_, out, reason, done := open()
	wait(done)
	if took := time.Since(start); reason.String() != "idle" || took < idle {
		t.Errorf("a silent client: reason %q after %v, want idle after ≥ %v", reason, took, idle)
	}
	if want := "\r" + "tweedie: closing after 1s without input" + "\n"; out.String() != want {
		t.Errorf("farewell %q, want %q", out, want)
	}

	// Typing: kept past the idle timeout, input passed on, then ended when
	// the input ends.
	stdin, out, reason, done := open()
	for range 6 { // 1.5 idle timeouts
		io.WriteString(stdin, "k")
		time.Sleep(idle / 4)
	}
	select {
	case <-done:
		t.Fatalf("a typing client ended (%q)", reason)
	default:
	}
	stdin.Close()
	wait(done)
	if reason.String() != "disconnected" || out.String() != "kkkkkk" {
		t.Errorf("input ended: reason %q, echo %q; want disconnected and kkkkkk", reason, out)
	}
}
