// Package progress draws a progress bar on one line of a terminal for the
// headless commands (tweedie run, tweedie lab): "label [#####.....]
// 412/1000 1.3s", redrawn in place.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"

	"tweedie/tui/termcaps"
)

// Bar draws "label [#####.....] 412/1000 1.3s" on one line of a
// terminal, redrawn in place. It stays silent for the first second (short
// runs show nothing) and redraws at most every 100 ms. A nil *Bar does
// nothing, so callers need not check.
type Bar struct {
	w       io.Writer
	label   string
	total   int
	start   time.Time
	last    time.Time
	shown   bool
	now     func() time.Time
	delay   time.Duration
	spent   time.Duration // time spent drawing, which callers may subtract
	lastLen int
}

// New returns a bar on w when w is a terminal, else nil.
func New(w io.Writer, label string, total int) *Bar {
	if !termcaps.IsTerminal(w) {
		return nil
	}
	return newBar(w, label, total, time.Now)
}

func newBar(w io.Writer, label string, total int, now func() time.Time) *Bar {
	t := now()
	return &Bar{w: w, label: label, total: total, start: t, now: now, delay: time.Second}
}

// Update records that done of total steps are done.
func (p *Bar) Update(done int) {
	if p == nil {
		return
	}
	t := p.now()
	if t.Sub(p.start) < p.delay || (p.shown && t.Sub(p.last) < 100*time.Millisecond && done < p.total) {
		return
	}
	p.last, p.shown = t, true
	const width = 30
	fill := width * done / max(p.total, 1)
	line := fmt.Sprintf("%s [%s%s] %d/%d %.1fs", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		done, p.total, t.Sub(p.start).Seconds())
	pad := max(p.lastLen-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.lastLen = len(line)
	p.spent += p.now().Sub(t)
}

// Finish clears the bar's line if it was drawn.
func (p *Bar) Finish() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
	p.shown = false
}

// DrawTime returns the time spent drawing, which callers may subtract
// from a measured time.
func (p *Bar) DrawTime() time.Duration {
	if p == nil {
		return 0
	}
	return p.spent
}
