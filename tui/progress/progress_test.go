package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	if New(&bytes.Buffer{}, "x", 10) != nil {
		t.Error("a progress bar on a non-terminal")
	}
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := newBar(&buf, "sampling", 10, func() time.Time { return now })
	p.Update(1)
	if buf.Len() != 0 {
		t.Errorf("drawn within the first second: %q", buf.String())
	}
	now = now.Add(1500 * time.Millisecond)
	p.Update(5)
	if !strings.Contains(buf.String(), "5/10") {
		t.Errorf("bar %q", buf.String())
	}
	n := buf.Len()
	now = now.Add(10 * time.Millisecond)
	p.Update(6) // too soon to redraw
	if buf.Len() != n {
		t.Error("redrawn within 100 ms")
	}
	p.Update(10) // the last step always draws
	p.Finish()
	if !strings.HasSuffix(buf.String(), "\r") {
		t.Errorf("not cleared: %q", buf.String())
	}
	var nilBar *Bar
	nilBar.Update(3)
	nilBar.Finish()
}
