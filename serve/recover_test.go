package serve

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"charm.land/ssh"
)

// A panic in a session's handler, or in a goroutine that handles its
// bytes, ends that session (status 1, MsgPanic, the stack in the log) and
// the server serves the next one.
func TestRecoverPanics(t *testing.T) {
	logs := &syncBuffer{}
	h := chain(func(sess ssh.Session) {
		s := sessionOf(sess)
		switch sess.RawCommand() {
		case "panic":
			var none []int
			_ = none[3] // index out of range, as the input decoder did
		case "goroutine":
			go func() {
				defer s.recovered("test goroutine")
				panic("in a goroutine of the session")
			}()
			select {
			case <-s.ended:
				s.sayFarewell()
			case <-time.After(waitLimit):
				t.Error("the goroutine's panic did not end the session")
			}
		default:
			sess.Write([]byte("fine\n"))
		}
	}, logSessions(slog.New(slog.NewTextHandler(logs, nil))), recoverPanics)
	c := bareClient(t, bareServer(t, h), newKey(t))

	for _, cmd := range []string{"panic", "goroutine"} {
		r := runBare(t, c, 0, 0, cmd)
		if r.status != 1 || !strings.Contains(r.stdout+r.stderr, MsgPanic) {
			t.Errorf("%s: status %d, output %q; want 1 and %q", cmd, r.status, r.stdout+r.stderr, MsgPanic)
		}
	}
	if r := runBare(t, c, 0, 0, "next"); r.status != 0 || r.stdout != "fine\n" {
		t.Errorf("the session after: status %d, output %q", r.status, r.stdout)
	}
	l := logs.String()
	for _, want := range []string{
		`msg="session panicked: ending it" session=1`, "in=handler", "index out of range [3]", "recover_test.go",
		`session=1 addr=`, "reason=panic",
		`msg="session panicked: ending it" session=2`, `in="test goroutine"`, "in a goroutine of the session",
	} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}
