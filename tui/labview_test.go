package tui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/run"
	"tweedie/tui/labview"
)

// newLabModel is the test problem with a small, quick lab: 4 seeds of
// at most 20 steps, one worker, polled every 5 ms.
func newLabModel(t testing.TB) *Model {
	t.Helper()
	o := testOptions()
	o.Lab = labview.Config{Seeds: 4, FastSteps: 20, Workers: 1, Every: 5 * time.Millisecond, Projections: 16}
	o.Prior.ComponentLabels = []string{"a", "b", "c"}
	o.Prior.LabelTitle = "comp"
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLabKeyRunsBatch(t *testing.T) {
	m := newLabModel(t)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	drain(m, m.Init())
	if !m.KeyMap.Lab.Enabled() || !strings.Contains(m.Help.View(m.KeyMap), "lab") {
		t.Fatal("the lab key is not offered")
	}
	cmd := press(m, "l")
	if !m.labOn || !m.lab.Running() || cmd == nil {
		t.Fatal("l started no lab batch")
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, "tweedie lab") || !strings.Contains(out, "starting") {
		t.Errorf("no lab view while starting:\n%s", out)
	}
	drain(m, cmd)
	rep := m.lab.Report()
	if m.lab.Running() || rep == nil {
		t.Fatal("batch did not finish")
	}
	if len(rep.Results) < 3 {
		t.Fatalf("%d methods, want ΠG, DPS, the oracle and the others that serve the problem", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Runs != 4 {
			t.Errorf("%s: %d runs, want 4", r.Label, r.Runs)
		}
	}
	out := ansi.Strip(m.render())
	done := fmt.Sprintf("done %d/%d", 4*len(rep.Results), 4*len(rep.Results))
	for _, want := range []string{done, "comp", "exact π'", "ΠG r=auto", "DPS ζ=0.5", "oracle", "exact (floor)", "ddpm 20 steps for speed"} {
		if !strings.Contains(out, want) {
			t.Errorf("lab view lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(m.render(), "\n")
	if len(lines) != 30 {
		t.Errorf("%d lines, want 30", len(lines))
	}
	for i, l := range lines {
		if w := ansiWidth(l); w > 100 {
			t.Errorf("line %d is %d wide", i, w)
		}
	}
	// l goes back; l again shows the finished batch without running it again.
	press(m, "l")
	if m.labOn || strings.Contains(m.render(), "tweedie lab") {
		t.Fatal("l did not go back to the explorer")
	}
	if cmd := press(m, "l"); !m.labOn || m.lab.Running() {
		t.Errorf("the same problem's finished batch was run again (cmd %v)", cmd != nil)
	}
	press(m, "esc")
	if m.labOn {
		t.Error("esc did not go back")
	}
}

func TestLabLeaveCancels(t *testing.T) {
	m := newLabModel(t)
	drain(m, m.Init())
	cmd := press(m, "l")
	first, ok := cmd().(labview.ReportMsg) // the batch's first report
	if !ok {
		t.Fatal("l's command gave no report")
	}
	press(m, "esc")
	if m.lab.Running() {
		t.Fatal("leaving the view left the batch running")
	}
	m.Update(first) // stale: dropped
	if m.lab.Report() != nil {
		t.Error("a stopped batch's report was taken")
	}
	// A new problem starts a new batch.
	drain(m, press(m, "e"))
	cmd = press(m, "l")
	if !m.lab.Running() {
		t.Fatal("no batch for the reseeded problem")
	}
	drain(m, cmd)
	if rep := m.lab.Report(); rep == nil || rep.Results[0].Runs != 4 {
		t.Error("the new batch did not finish")
	}
}

func TestGoldenLabViews(t *testing.T) {
	for _, c := range []struct {
		name string
		w, h int
	}{{"lab_100x30", 100, 30}, {"lab_80x24", 80, 24}} {
		t.Run(c.name, func(t *testing.T) {
			m := newLabModel(t)
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			drain(m, m.Init())
			drain(m, press(m, "l"))
			golden(t, c.name+".golden", ansi.Strip(m.render()))
		})
	}
}

func TestBackgroundColorChoosesStyles(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	if !m.Dark() {
		t.Fatal("not dark before the terminal answered")
	}
	// value is the SGR prefix of the Value style.
	value := func() string { s, _, _ := strings.Cut(m.Styles.Value.Render("X"), "X"); return s }
	// Before the reply (and without COLORFGBG) the styles are neutral.
	darkValue, _, _ := strings.Cut(DarkStyles().Value.Render("X"), "X")
	if !strings.Contains(m.render(), value()) {
		t.Fatal("status line does not use the Value style")
	}
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	if m.Dark() {
		t.Fatal("a white background is not light")
	}
	if value() == darkValue || m.Help.Styles.ShortKey.Render("k") != LightStyles().Help.ShortKey.Render("k") {
		t.Error("styles did not change for a light background")
	}
	if out := m.render(); !strings.Contains(out, value()) || strings.Contains(out, darkValue) {
		t.Error("the frame does not use the light Value style")
	}
	// The light styles' text is dark: every foreground of the status line.
	for _, st := range []struct {
		name string
		c    color.Color
	}{{"Value", m.Styles.Value.GetForeground()}, {"Dim", m.Styles.Dim.GetForeground()}, {"Label", m.Styles.Label.GetForeground()},
		{"lab Value", m.lab.Styles.Value.GetForeground()}} {
		if l := luminance(st.c); l > 0.5 {
			t.Errorf("light styles: %s has luminance %.2f", st.name, l)
		}
	}
	m.Update(tea.BackgroundColorMsg{Color: color.Black})
	if !m.Dark() || value() != darkValue {
		t.Error("a black background did not bring the dark styles back")
	}
	for _, st := range []color.Color{m.Styles.Value.GetForeground(), m.lab.Styles.Value.GetForeground()} {
		if l := luminance(st); l < 0.5 {
			t.Errorf("dark styles: a value has luminance %.2f", l)
		}
	}
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

func TestLazyExactComparison(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	drain(m, m.Init())
	s := m.shown()
	if !s.done || !s.lazy || s.exact != len(s.steps) {
		t.Fatalf("done %v, lazy %v, %d of %d steps compared", s.done, s.lazy, s.exact, len(s.steps))
	}
	// The same run with the exact guidance inline.
	cfg, err := m.Settings().Config()
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.New(m.prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, sd := range s.steps {
		want := tr.Records[i]
		if math.Abs(sd.Rec.GCos-want.GCos) > 1e-5 || math.Abs(sd.Rec.GRatio-want.GRatio) > 1e-5*want.GRatio ||
			math.Abs(sd.Rec.UpdateRatio-want.UpdateRatio) > 1e-5*want.UpdateRatio {
			t.Fatalf("step %d: cos %v ratio %v, inline %v %v", i, sd.Rec.GCos, sd.Rec.GRatio, want.GCos, want.GRatio)
		}
	}
	press(m, "]")
	if out := ansi.Strip(m.render()); !strings.Contains(out, "cos(g,g*) 0.") {
		t.Errorf("no cosine in the status line:\n%s", out)
	}
	// Before the comparison arrives, the status says it is coming.
	s.exact = 5
	if out := ansi.Strip(m.render()); !strings.Contains(out, "cos(g,g*) computing") {
		t.Errorf("no 'computing' for a step not compared yet:\n%s", out)
	}
	m.Update(runExactMsg{ID: s.id + 100, Method: "pig", Done: 40})
	if s.exact != 5 {
		t.Error("a stale comparison was taken")
	}
}

// TestOracleExactInline: the oracle's run has its comparison at once.
func TestOracleExactInline(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	for i := 0; i < len(m.available()) && m.method().Name != "oracle"; i++ {
		drain(m, press(m, "m"))
	}
	s := m.shown()
	if m.method().Name != "oracle" || s.lazy || !s.done {
		t.Fatalf("method %v lazy %v done %v", m.method(), s.lazy, s.done)
	}
	if c := s.steps[10].Rec.GCos; math.IsNaN(c) {
		t.Error("oracle run without its comparison")
	}
}
