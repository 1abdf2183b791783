package chart

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestViewSizeAndRange(t *testing.T) {
	m := New(40, 6)
	m.Steps, m.Cursor = 100, 50
	vals := make([]float64, 60) // a run still computing: 60 of 100 steps
	for i := range vals {
		vals[i] = math.Pow(10, -2+4*float64(i)/59)
	}
	vals[10] = math.NaN()
	m.Series = []Series{{Name: "a", Values: vals}}
	lo, hi, ok := m.Range()
	if !ok || lo != -2 || hi != 2 {
		t.Errorf("Range = %v, %v, %v; want -2, 2", lo, hi, ok)
	}
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 40 {
			t.Errorf("line %d: width %d", i, w)
		}
	}
	plain := ansi.Strip(m.View())
	if !strings.Contains(plain, "1e+02") || !strings.Contains(plain, "1e-02") || !strings.Contains(plain, "│") {
		t.Errorf("labels or cursor missing:\n%s", plain)
	}
}

func TestEmpty(t *testing.T) {
	m := New(30, 4)
	m.Steps = 10
	if got := len(strings.Split(m.View(), "\n")); got != 4 {
		t.Errorf("%d lines", got)
	}
}

// The x axis labels round steps; every decade between the top and the
// bottom that has a row of its own is labelled.
func TestAxes(t *testing.T) {
	c := New(60, 10)
	c.Steps = 1000
	c.XAxis = true
	c.Series = []Series{{Name: "a", Values: []float64{1e-3, 1e2}}}
	lines := strings.Split(ansi.Strip(c.View()), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10", len(lines))
	}
	x := lines[9]
	for _, want := range []string{"step", "1 ", "200", "800"} {
		if !strings.Contains(x, want) {
			t.Errorf("x axis %q lacks %q", x, want)
		}
	}
	var decades int
	for _, l := range lines[:9] {
		if strings.Contains(l, "e+") || strings.Contains(l, "e-") {
			decades++
		}
	}
	if decades != 6 { // 1e+02 … 1e-03 on 9 rows
		t.Errorf("%d decades labelled, want 6:\n%s", decades, strings.Join(lines, "\n"))
	}
}
