package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestParticleStrip: a particle method's view shows its top particles
// with weight bars and offspring, and the ESS and resampling in the
// status line, from the step's own record; other methods show neither.
func TestParticleStrip(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	drain(m, m.Init())
	if out := ansi.Strip(m.render()); strings.Contains(out, "ESS ") {
		t.Errorf("ΠG's view shows an ESS:\n%s", out)
	}
	for _, name := range []string{"mcgdiff", "tds"} {
		for i := 0; i < 30 && m.Settings().Method != name; i++ {
			drain(m, press(m, "m"))
		}
		s := m.shown()
		if m.Settings().Method != name || s == nil || !s.done {
			t.Fatalf("the cycle does not reach a finished %s run", name)
		}
		drain(m, press(m, "home"))
		p := s.steps[m.shownStep(s)].Part
		if p == nil || len(p.top) == 0 {
			t.Fatalf("%s: no particles at the step shown", name)
		}
		out := ansi.Strip(m.render())
		ess := fmt.Sprintf("ESS %.1f/%d", p.rec.ESS, p.rec.N)
		if !strings.Contains(out, ess) {
			t.Errorf("%s: no %q in the status:\n%s", name, ess, out)
		}
		if p.rec.Resampled && !strings.Contains(out, fmt.Sprintf("resampled (%d/%d survive)", p.rec.Distinct, p.rec.N)) {
			t.Errorf("%s: the resampling is not shown:\n%s", name, out)
		}
		top := fmt.Sprintf("%s ×%d", strings.TrimPrefix(fmt.Sprintf("%.2f", p.rec.Weights[0]), "0"), p.rec.Offspring[0])
		if !strings.Contains(out, top) {
			t.Errorf("%s: no top particle labelled %q:\n%s", name, top, out)
		}
	}
}

func TestWeightBar(t *testing.T) {
	for _, tc := range []struct {
		w    float64
		want string
	}{{0, "░░░░"}, {1, "████"}, {0.5, "██░░"}, {0.125 / 4 * 4, "▌░░░"}} {
		if got := weightBar(tc.w, 4); got != tc.want {
			t.Errorf("weightBar(%v) = %q, want %q", tc.w, got, tc.want)
		}
	}
}

// TestParticleKeys: x and X step N along its ladder, and the run follows.
func TestParticleKeys(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	drain(m, m.Init())
	for i := 0; i < 30 && m.Settings().Method != "mcgdiff"; i++ {
		drain(m, press(m, "m"))
	}
	drain(m, press(m, "x"))
	if got := m.Settings().Params["particles"]; got != "8" {
		t.Fatalf("x set N to %q, want 8", got)
	}
	s := m.shown()
	if s == nil || !s.done || s.steps[0].Part == nil || s.steps[0].Part.rec.N != 8 {
		t.Fatal("the run did not follow N = 8")
	}
	drain(m, press(m, "X", "X"))
	if got := m.Settings().Params["particles"]; got != "32" {
		t.Errorf("X X set N to %q, want 32", got)
	}
}
