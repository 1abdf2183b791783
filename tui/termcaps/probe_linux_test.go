package termcaps

import (
	"os"
	"testing"
	"time"
)

// TestReadReplies: the replies Probe reads from the terminal reach
// Caps.Handle, reading stops at DA1, and a terminal that never answers
// costs the timeout, no more.
func TestReadReplies(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// XTVERSION, then DA1 with sixel (4), then text that is no reply.
	if _, err := w.WriteString("\x1bP>|XTerm(390)\x1b\\" + "\x1b[?64;4;22c" + "later"); err != nil {
		t.Fatal(err)
	}
	var caps Caps
	readReplies(int(r.Fd()), &caps, 2*time.Second)
	if !caps.Done() || !caps.Sixel() || caps.Version != "XTerm(390)" {
		t.Errorf("caps %+v", caps)
	}

	var silent Caps
	start := time.Now()
	readReplies(int(r.Fd()), &silent, 100*time.Millisecond) // the pipe stays silent
	if took := time.Since(start); silent.Done() || took > 2*time.Second {
		t.Errorf("no DA1: done %v after %v", silent.Done(), took)
	}
}
