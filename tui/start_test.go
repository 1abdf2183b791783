package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

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
