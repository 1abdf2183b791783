package tui

import (
	"io"
	"strings"
	"testing"
	"time"
)

// panicInput's Read panics once it has passed on what it holds.
type panicInput struct{ r io.Reader }

func (p *panicInput) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err == io.EOF {
		var none []int
		_ = none[32] // as the decoder did
	}
	return n, err
}

// runSession runs a session on input until it returns, and returns its
// error.
func runSession(t *testing.T, input io.Reader) error {
	t.Helper()
	s, err := NewSession(testOptions(), Terminal{
		Input: input, Output: io.Discard, Environ: []string{"TERM=xterm-256color"}, Width: 100, Height: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run() }()
	select {
	case err := <-ran:
		return err
	case <-time.After(maxWait(t)):
		s.Quit()
		t.Fatal("Run did not return")
		return nil
	}
}

// The sequences that killed the process reach no decoder: the session
// reads on and quits on the q after them.
func TestSessionFiltersOverlong(t *testing.T) {
	params := strings.TrimSuffix(strings.Repeat("1;", 33), ";")
	in := ""
	for _, final := range []string{"c", "m", "y", "$y", "q"} {
		in += "\x1b[" + params + final
	}
	in += "\x1b[<" + params + "M" + "q"
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, in)
		time.Sleep(maxWait(t)) // no EOF: only q ends the session
		pw.Close()
	}()
	if err := runSession(t, pr); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// A panic reading the input ends the session, and Run returns it with
// its stack, instead of ending the process.
func TestSessionInputPanic(t *testing.T) {
	err := runSession(t, &panicInput{strings.NewReader("x")})
	if err == nil || !strings.Contains(err.Error(), "panic: runtime error: index out of range [32]") ||
		!strings.Contains(err.Error(), "session_input_test.go") {
		t.Errorf("Run: %v; want the panic with its stack", err)
	}
}
