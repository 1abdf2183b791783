package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	_ "tweedie/assets" // registers the prior "mnist"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/internal/benchcpu"
	"tweedie/tui/termcaps"
)

// BenchmarkStart measures the explorer from its start on the embedded
// MNIST prior with the default settings (DPS, 1000 steps, box inpainting,
// σ = 0.05) until the default run is complete and every step of it is
// compared with the exact guidance.
func BenchmarkStart(b *testing.B) {
	pr, err := prior.Load("mnist")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		m, err := New(Options{Settings: run.DefaultSettings(), Prior: pr, Profile: colorprofile.TrueColor, Graphics: termcaps.Halfblock})
		if err != nil {
			b.Fatal(err)
		}
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		drain(m, m.Init())
		if s := m.shown(); !s.done || s.exact != len(s.steps) || len(s.steps) != 1000 {
			b.Fatalf("done %v, %d of %d steps compared", s.done, s.exact, len(s.steps))
		}
		m.cancelRuns()
	}
	benchcpu.Report(b, cpu)
}

// BenchmarkStartShown is the explorer's start until the run shown and its
// comparison with the exact guidance are complete (what the user waits
// for; the compare partner's run follows it in the background).
func BenchmarkStartShown(b *testing.B) {
	pr, err := prior.Load("mnist")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		m, err := New(Options{Settings: run.DefaultSettings(), Prior: pr, Profile: colorprofile.TrueColor, Graphics: termcaps.Halfblock})
		if err != nil {
			b.Fatal(err)
		}
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		shownDone := func() bool {
			s := m.shown()
			return s != nil && s.done && len(s.steps) == 1000 && s.exact == len(s.steps)
		}
		drainUntil(m, m.Init(), shownDone)
		if !shownDone() {
			b.Fatal("the run shown did not complete")
		}
		m.cancelRuns()
	}
	benchcpu.Report(b, cpu)
}

// drainUntil is drain that stops once done reports true after a message.
func drainUntil(m *Model, cmd tea.Cmd, done func() bool) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 && !done() {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, tickMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}
