package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"tweedie/tui/termcaps"
)

// progressBar draws "label [#####.....] 412/1000 1.3s" on one line of a
// terminal, redrawn in place. It stays silent for the first second (short
// runs show nothing) and redraws at most every 100 ms. A nil *progressBar
// does nothing, so callers need not check.
type progressBar struct {
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

// newProgressBar returns a bar on w when w is a terminal, else nil.
func newProgressBar(w io.Writer, label string, total int) *progressBar {
	if !termcaps.IsTerminal(w) {
		return nil
	}
	return newProgressBarTo(w, label, total, time.Now)
}

func newProgressBarTo(w io.Writer, label string, total int, now func() time.Time) *progressBar {
	t := now()
	return &progressBar{w: w, label: label, total: total, start: t, now: now, delay: time.Second}
}

// update records that done of total steps are done.
func (p *progressBar) update(done int) {
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

// finish clears the bar's line if it was drawn.
func (p *progressBar) finish() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
	p.shown = false
}

// drawTime returns the time spent drawing.
func (p *progressBar) drawTime() time.Duration {
	if p == nil {
		return 0
	}
	return p.spent
}
