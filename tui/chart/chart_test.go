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
