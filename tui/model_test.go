package tui

import (
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"tweedie/core/operator"

	"charm.land/lipgloss/v2"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/tui/internal/goldentest"
	"tweedie/tui/termcaps"
)

// updating reports whether -update was given. The flag is registered by
// x/exp/golden (imported through teatest), so it is looked up, not defined.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var testShape = img.Shape{H: 28, W: 28, C: 1}

// testOptions is a small exact problem: a random 3-component mixture, two
// ring images, 40 steps.
func testOptions() Options {
	s := run.DefaultSettings()
	s.Steps = 40
	truths := []prior.Truth{{Name: "ring", Image: ring(0.35)}, {Name: "small ring", Image: ring(0.2)}}
	pd := prior.FromMixture(gmm.Random(testShape, 3, 2, 7), truths)
	pd.Spec = "random"
	return Options{
		Settings: s, Prior: pd,
		Profile: colorprofile.TrueColor, Graphics: termcaps.Halfblock,
	}
}

func ring(radius float64) img.Image {
	pix := make([]float64, testShape.Len())
	for y := 0; y < testShape.H; y++ {
		for x := 0; x < testShape.W; x++ {
			r := math.Hypot(float64(x)-13.5, float64(y)-13.5) / 28
			pix[testShape.Index(y, x, 0)] = 2*math.Exp(-(r-radius)*(r-radius)/0.003) - 1
		}
	}
	return img.Image{Shape: testShape, Pix: pix}
}

func newModel(t testing.TB) *Model {
	t.Helper()
	m, err := New(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// drain runs cmd and every command it leads to, feeding the messages to
// the model, until nothing is left; playback ticks are dropped.
func drain(m *Model, cmd tea.Cmd) { drainUntil(m, cmd, func() bool { return false }) }

func press(m *Model, keys ...string) tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "right":
			msg = tea.KeyPressMsg{Code: tea.KeyRight}
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "home":
			msg = tea.KeyPressMsg{Code: tea.KeyHome}
		case "end":
			msg = tea.KeyPressMsg{Code: tea.KeyEnd}
		case "pgdown":
			msg = tea.KeyPressMsg{Code: tea.KeyPgDown}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		_, cmd := m.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func TestKeysMoveStep(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	for _, c := range []struct {
		keys []string
		want int
	}{
		{[]string{"right", "right", "right"}, 3},
		{[]string{"left"}, 2},
		{[]string{"]"}, 12},
		{[]string{"["}, 2},
		{[]string{"pgdown"}, 39}, // clamped to the last step
		{[]string{"home"}, 0},
		{[]string{"left"}, 0},
		{[]string{"end"}, 39},
	} {
		press(m, c.keys...)
		if m.Step() != c.want {
			t.Errorf("after %v: step %d, want %d", c.keys, m.Step(), c.want)
		}
	}
}

func TestMethodCycleAndBindings(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	// The methods that serve the problem, in order, from the one after ΠG round to ΠG.
	var want []string
	avail := m.available()
	for i, meth := range avail {
		if meth.Name == "pig" {
			for j := 1; j <= len(avail); j++ {
				want = append(want, avail[(i+j)%len(avail)].Name)
			}
		}
	}
	if len(want) < 4 || !slices.Contains(want, "dps") || !slices.Contains(want, "oracle") || !slices.Contains(want, "none") {
		t.Fatalf("cycle %v", want)
	}
	for _, w := range want {
		drain(m, press(m, "m"))
		if got := m.Settings().Method; got != w {
			t.Fatalf("method %v, want %v", got, w)
		}
		r, zeta := paramKeysOf(t, m, "r"), paramKeysOf(t, m, "zeta")
		mm, _ := method.Lookup(w)
		hasR, hasZeta := mm.Param("r") != nil, mm.Param("zeta") != nil
		if r.Down.Enabled() != hasR || r.Auto.Enabled() != false {
			t.Errorf("%v: r enabled %v, auto enabled %v", w, r.Down.Enabled(), r.Auto.Enabled())
		}
		if zeta.Up.Enabled() != hasZeta {
			t.Errorf("%v: ζ enabled %v", w, zeta.Up.Enabled())
		}
		if s := m.shown(); s == nil || !s.done || len(s.steps) != 40 {
			t.Errorf("%v: run not complete", w)
		}
	}
	// The help bar lists no disabled binding.
	help := m.Help.View(m.KeyMap)
	if strings.Contains(help, "ζ") {
		t.Errorf("help of ΠG lists ζ: %q", help)
	}
	drain(m, press(m, "r"))
	if r := m.Settings().Params["r"]; r == "auto" || r == "" || !paramKeysOf(t, m, "r").Auto.Enabled() {
		t.Errorf("r left r auto (%q) or a disabled", r)
	}
}

// paramKeysOf returns the keys of a method parameter.
func paramKeysOf(t *testing.T, m *Model, name string) *ParamKeys {
	t.Helper()
	for i := range m.KeyMap.Params {
		if m.KeyMap.Params[i].Param.Name == name {
			return &m.KeyMap.Params[i]
		}
	}
	t.Fatalf("no keys for %s", name)
	return nil
}

func TestSigmaRecomputeDropsStale(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	press(m, "right", "right", "right", "right", "right")
	old := m.shown()
	oldID := old.id
	cmd := press(m, "s")
	if got := m.Settings().Sigma; got != 0.02 {
		t.Fatalf("σ = %v after s, want 0.02", got)
	}
	if cmd == nil {
		t.Fatal("σ change started no recompute")
	}
	// The old run is cancelled at once; the new one starts once input
	// pauses (the settle tick in cmd).
	if m.shown() != nil {
		t.Fatal("σ change kept the old run")
	}
	// A late message of the old run is dropped.
	m.Update(runStepsMsg{ID: oldID, Method: "pig", Steps: old.steps})
	m.Update(runDoneMsg{ID: oldID, Method: "pig"})
	if m.shown() != nil {
		t.Fatal("stale result was taken")
	}
	if !strings.Contains(m.render(), "computing 0/40") {
		t.Error("no progress shown while recomputing")
	}
	drain(m, cmd)
	cur := m.shown()
	if cur == nil || cur.id == oldID || !cur.done || len(cur.steps) != 40 {
		t.Fatalf("new run: %+v", cur)
	}
	if m.Step() != 5 {
		t.Errorf("step moved to %d, want 5 (where the user left it)", m.Step())
	}
	if cur.steps[0].Rec.Residual == old.steps[0].Rec.Residual {
		t.Error("new run has the old numbers")
	}
	press(m, "S")
	if got := m.Settings().Sigma; got != 0.05 {
		t.Errorf("σ = %v after S, want 0.05", got)
	}
}

func TestDivergedNotice(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	s := m.shown()
	s.done = false
	m.Update(runDoneMsg{ID: s.id, Method: "pig", Err: &run.DivergedError{Step: 11, T: 700, Reason: "x_s is not finite"}})
	if out := m.render(); !strings.Contains(out, "ΠG diverged at step 12 (t = 700)") {
		t.Errorf("no divergence notice:\n%s", out)
	}
}

func TestTooSmall(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 10, Height: 24})
	out := m.render()
	if !strings.Contains(out, "too") || !strings.Contains(out, "small") {
		t.Errorf("no notice at 10×24: %q", out)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(m.render(), "too small") {
		t.Error("notice stays after resizing to 80×24")
	}
}

// TestTooSmallFitsWindow: the notice of a window below the minimum size
// is cut to the window, down to nothing at 0×0.
func TestTooSmallFitsWindow(t *testing.T) {
	m := newModel(t)
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {10, 3}, {3, 10}, {39, 16}, {40, 15}, {200, 1}, {0, 24}, {80, 0}} {
		w, h := sz[0], sz[1]
		m.Update(tea.WindowSizeMsg{Width: w, Height: h})
		out := m.render()
		if w == 0 || h == 0 {
			if out != "" {
				t.Errorf("%d×%d: %q, want nothing", w, h, out)
			}
			continue
		}
		lines := strings.Split(out, "\n")
		if len(lines) > h {
			t.Errorf("%d×%d: %d lines", w, h, len(lines))
		}
		for i, l := range lines {
			if lw := ansiWidth(l); lw > w {
				t.Errorf("%d×%d: line %d is %d wide: %q", w, h, i, lw, l)
			}
		}
		if w >= 9 && !strings.Contains(out, "small") {
			t.Errorf("%d×%d: no notice: %q", w, h, out)
		}
		_ = m.View() // nor does View panic
	}
}

// frameSizes are the window sizes the frame is checked at: the minimum,
// a little above it, and larger.
var frameSizes = [][2]int{{40, 16}, {45, 18}, {80, 24}, {100, 30}, {160, 48}, {220, 70}}

// checkFrame fails the test unless the frame has exactly h lines, none
// wider than w.
func checkFrame(t *testing.T, name string, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("%s %d×%d: %d lines", name, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansiWidth(l); lw > w {
			t.Errorf("%s %d×%d: line %d is %d wide: %q", name, w, h, i, lw, ansi.Strip(l))
		}
	}
}

func TestFrameFitsWindow(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	for _, sz := range frameSizes {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for _, compare := range []bool{false, true} {
			for _, full := range []bool{false, true} {
				m.compare = compare
				m.Help.ShowAll = full
				drain(m, m.schedule())
				checkFrame(t, fmt.Sprintf("compare %v full help %v", compare, full), m.render(), sz[0], sz[1])
			}
		}
	}
}

// TestLabFrameFitsWindow: the lab view, with its help short or full.
func TestLabFrameFitsWindow(t *testing.T) {
	m := newLabModel(t)
	drain(m, m.Init())
	drain(m, press(m, "l"))
	if !m.labOn || m.lab.Report() == nil {
		t.Fatal("no lab report")
	}
	for _, sz := range frameSizes {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		for _, full := range []bool{false, true} {
			m.Help.ShowAll = full
			checkFrame(t, fmt.Sprintf("lab full help %v", full), m.render(), sz[0], sz[1])
		}
	}
}

func TestGoldenViews(t *testing.T) {
	for _, c := range []struct {
		name    string
		w, h    int
		compare bool
		ascii   bool
		keys    []string // pressed before the steps
	}{
		{"view_80x24", 80, 24, false, false, nil},
		{"view_120x40", 120, 40, false, false, nil},
		{"view_160x48", 160, 48, false, false, nil},
		{"view_220x60", 220, 60, false, false, nil},
		{"view_160x48_compare", 160, 48, true, false, nil},
		{"view_80x24_compare", 80, 24, true, false, nil},
		{"view_120x40_ratios", 120, 40, false, false, []string{"v"}},
		{"view_80x24_ascii", 80, 24, false, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions()
			if c.ascii {
				o.Profile = colorprofile.ASCII
			}
			m, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			drain(m, m.Init())
			if c.compare {
				drain(m, press(m, "c"))
			}
			if len(c.keys) > 0 {
				drain(m, press(m, c.keys...))
			}
			press(m, "]", "]", "right")
			golden(t, c.name+".golden", m.render())
		})
	}
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	goldentest.Check(t, name, []byte(got), updating())
}

func TestBadOptions(t *testing.T) {
	o := testOptions()
	o.Settings.Op = "nope"
	if _, err := New(o); err == nil {
		t.Error("unknown operator accepted")
	}
	o = testOptions()
	o.Image = 5
	if _, err := New(o); err == nil {
		t.Error("image out of range accepted")
	}
	if err := Run(Options{}); err == nil || errors.Is(err, nil) {
		t.Error("Run with no prior did not fail")
	}
}

// BenchmarkFrame draws a full frame at 160×48 after moving a step, so
// every image is drawn again (the worst case of a key press).
func BenchmarkFrame(b *testing.B) {
	m := newModel(b)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	drain(m, m.Init())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.step = i % 40
		i++
		_ = m.View()
	}
}

// BenchmarkFrame80x24 is the same at 80×24.
func BenchmarkFrame80x24(b *testing.B) {
	m := newModel(b)
	drain(m, m.Init())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.step = i % 40
		i++
		_ = m.View()
	}
}

// TestOperatorCycleSwitchesFromPiG: cycling to an operator ΠG cannot serve
// (phase retrieval) shows DPS instead, with a notice saying why.
func TestOperatorCycleSwitchesFromPiG(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	for m.Settings().Op != "phase:pad=2" {
		drain(m, press(m, "o"))
		if m.Settings().Op == "inpaint-box:size=14" {
			t.Fatal("cycled through every operator without reaching phase")
		}
	}
	if got := m.Settings().Method; got != "dps" {
		t.Fatalf("method %v on phase retrieval, want DPS", got)
	}
	if !strings.Contains(m.notice, "ΠG cannot serve phase") {
		t.Errorf("notice %q", m.notice)
	}
	if s := m.shown(); s == nil || !s.done || s.err != nil || len(s.steps) != 40 {
		t.Errorf("DPS run on phase retrieval did not complete")
	}
}

// playTo plays from the first step, feeding the model its ticks, until
// playback stops (or 1000 ticks).
func playTo(t *testing.T, m *Model) {
	t.Helper()
	press(m, "home")
	press(m, "space")
	if !m.playing {
		t.Fatal("space did not start playback")
	}
	for range 1000 {
		if !m.playing {
			return
		}
		m.Update(tickMsg{ID: m.playID})
	}
	t.Fatal("playback never stopped")
}

// TestPlayStopsAtDivergence: playback of a run that diverged stops at its
// last recorded step, not at the planned total.
func TestPlayStopsAtDivergence(t *testing.T) {
	// DPS with a huge ζ diverges: at ζ = 1e8 part-way (step 28 of 40),
	// at 1e12 on the first step.
	var m *Model
	var s *slot
	for _, zeta := range []float64{1e8, 1e12} {
		o := testOptions()
		o.Settings.Method = "dps"
		o.Settings.Params = method.Values{"zeta": method.FormatFloat(zeta)}
		var err error
		if m, err = New(o); err != nil {
			t.Fatal(err)
		}
		drain(m, m.Init())
		s = m.shown()
		var de *run.DivergedError
		if s.done && errors.As(s.err, &de) && len(s.steps) < m.total() {
			break
		}
		t.Logf("DPS ζ = %g: done %v, err %v, %d of %d steps; want a divergence", zeta, s.done, s.err, len(s.steps), m.total())
		s = nil
	}
	if s == nil {
		t.Fatal("no run diverged")
	}
	playTo(t, m)
	if last := len(s.steps) - 1; m.Step() != last {
		t.Errorf("playback stopped at step %d, want %d (the last recorded)", m.Step(), last)
	}
	// Play again from the end: it starts over rather than stopping at once.
	press(m, "space")
	if !m.playing || m.Step() != 0 {
		t.Errorf("play at the end: playing %v at step %d, want from 0", m.playing, m.Step())
	}
	press(m, "space")

	// A run that failed with no steps stops playback at once.
	s.steps = nil
	playTo(t, m)
	if m.Step() != 0 {
		t.Errorf("playback of a run with no steps moved to %d", m.Step())
	}
}

// TestReseedKeepsPosterior: e restarts the runs with the next seed but
// keeps the problem and the exact posterior, which do not depend on it;
// m keeps them too.
func TestReseedKeepsPosterior(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	prob, postID, mean := m.prob, m.runs.post.id, m.runs.post.mean
	if mean == nil || m.runs.post.pending {
		t.Fatal("no exact posterior")
	}
	old := m.shown()
	seed := m.Settings().Seed
	cmd := press(m, "e")
	if m.Settings().Seed != seed+1 {
		t.Fatalf("seed %d after e, want %d", m.Settings().Seed, seed+1)
	}
	if m.runs.post.pending || m.runs.post.id != postID || &m.runs.post.mean[0] != &mean[0] {
		t.Error("e recomputes the exact posterior")
	}
	if m.prob != prob {
		t.Error("e rebuilt the problem")
	}
	if m.shown() != nil {
		t.Fatal("e kept the old run")
	}
	drain(m, cmd)
	cur := m.shown()
	if cur == nil || cur == old || !cur.done || len(cur.steps) != 40 || cur.steps[5].Rec.Residual == old.steps[5].Rec.Residual {
		t.Error("the reseeded run did not complete with new numbers")
	}

	drain(m, press(m, "m"))
	if m.method().Name != "dps" || m.prob != prob || m.runs.post.id != postID || m.runs.post.pending {
		t.Error("m rebuilt the problem or recomputed the posterior")
	}
}

// TestProjectionMethodsInExplorer: the cycle reaches DDRM, its formula
// panel shows its values and b / B move η_b.
func TestProjectionMethodsInExplorer(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	drain(m, m.Init())
	for i := 0; i < 20 && m.Settings().Method != "ddrm"; i++ {
		drain(m, press(m, "m"))
	}
	if m.Settings().Method != "ddrm" {
		t.Fatal("the cycle does not reach DDRM")
	}
	if s := m.shown(); s == nil || !s.done {
		t.Fatal("DDRM's run did not complete")
	}
	drain(m, press(m, "b"))
	if got := m.Settings().Params["eta-b"]; got != "0.9" {
		t.Errorf("b set η_b to %q, want 0.9", got)
	}
	out := ansi.Strip(m.render())
	if !strings.Contains(out, "DDRM") || !strings.Contains(out, "η_b = 0.9") {
		t.Errorf("no DDRM panel with η_b = 0.9:\n%s", out)
	}
	drain(m, press(m, "B"))
	if got := m.Settings().Params["eta-b"]; got != "1" {
		t.Errorf("B set η_b to %q, want 1", got)
	}
}

// The theme: given, it stays whatever the terminal answers; auto, it
// follows COLORFGBG (tmux answers no background query but keeps it),
// then the terminal's reply, and is neutral (numbers in the terminal's
// own colour) while neither is known.
func TestTheme(t *testing.T) {
	light := testOptions()
	light.Theme = ThemeLight
	m, err := New(light)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.BackgroundColorMsg{Color: color.Black})
	if m.Dark() {
		t.Error("--theme light turned dark on a dark background reply")
	}
	auto, err := New(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	auto.applyTheme([]string{"COLORFGBG=0;15"})
	if auto.Dark() {
		t.Error("COLORFGBG=0;15 (black on white) gave dark styles")
	}
	auto.applyTheme(nil)
	if fg := auto.Styles.Value.GetForeground(); fg != (lipgloss.NoColor{}) {
		t.Errorf("unknown background: the status values are coloured %v, unreadable on one of white or black", fg)
	}
	auto.Update(tea.BackgroundColorMsg{Color: color.White})
	if auto.Dark() {
		t.Error("a white background reply left dark styles")
	}
	for _, s := range []string{"auto", "dark", "light"} {
		if _, err := ParseTheme(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseTheme("blue"); err == nil {
		t.Error("theme blue accepted")
	}
}

// Compare mode: C walks the partner through every other method that
// serves the problem; both methods show one step and one Δ scale (f: over
// the whole run); with room, each method has a row of its own.
func TestComparePartnerStepScale(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	drain(m, m.Init())
	drain(m, press(m, "c"))
	seen := map[string]bool{}
	for range m.partners() {
		p := m.comparePair()
		if p[0] != m.method() || p[1] == p[0] {
			t.Fatalf("pair %s/%s with %s shown", p[0].Name, p[1].Name, m.method().Name)
		}
		seen[p[1].Name] = true
		drain(m, press(m, "C"))
	}
	if len(seen) != len(m.partners()) {
		t.Errorf("C reached %d of %d partners", len(seen), len(m.partners()))
	}
	press(m, "]", "]")
	p := m.comparePair()
	a, b := m.runs.get(p[0].Name), m.runs.get(p[1].Name)
	b.steps = b.steps[:5] // the partner still computing
	if i, j := m.shownStep(a), m.shownStep(b); i != j || i != 4 {
		t.Errorf("steps shown %d and %d, want both 4", i, j)
	}
	step := m.updScale(4)
	if want := math.Max(maxAbs32(a.steps[4].Upd), maxAbs32(b.steps[4].Upd)); step != want {
		t.Errorf("Δ scale %g, want the larger of the two, %g", step, want)
	}
	press(m, "f")
	if whole := m.updScale(4); whole < step {
		t.Errorf("whole-run Δ scale %g below the step's %g", whole, step)
	}
	lay := m.layout()
	var rows []string
	for r := 0; r*lay.cols < len(lay.panels); r++ {
		rows = append(rows, lay.panels[r*lay.cols].label)
	}
	if len(rows) != 3 || !strings.HasPrefix(rows[1], p[0].Label) || !strings.HasPrefix(rows[2], p[1].Label) {
		t.Errorf("rows start with %q: want the shared panels, then one row per method", rows)
	}
}

// The inconsistencies of the second round: the open help offers fewer
// keys; a method switched away from for an operator it does not serve
// comes back with the next that it serves; guidance that is zero at every
// step (quantisation's VJP) says so; ᾱ_t near 1 is not shown as 1.
func TestSecondRoundConsistency(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	press(m, "?")
	if h := ansi.Strip(m.Help.View(m.KeyMap)); !strings.Contains(h, "fewer keys") || strings.Contains(h, "more keys") {
		t.Errorf("open help: %q", h)
	}
	press(m, "?")
	start := m.method().Name
	switched := false
	for range operator.Defaults() {
		drain(m, press(m, "o"))
		switched = switched || m.method().Name != start
	}
	if m.method().Name != start {
		t.Errorf("after a cycle of operators the method is %s, want %s again", m.method().Name, start)
	}
	if !switched {
		t.Log("no operator made the method switch: the restore was not exercised")
	}
	if got := fmtAlphaBar(0.9999); got != "0.9999" {
		t.Errorf("ᾱ_t 0.9999 shown as %q", got)
	}
	s := &slot{steps: make([]stepData, 4)}
	if !zeroGuidance(s) {
		t.Error("‖g‖ = 0 at 4 steps not noticed")
	}
	s.steps[2].Rec.GNorm = 1
	if zeroGuidance(s) {
		t.Error("a nonzero ‖g‖ noticed as zero guidance")
	}
}

// Typed values (key :): a step, the step nearest a t, σ and a
// parameter by its symbol; a bad one says why and changes nothing.
func TestPrompt(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	typeIn := func(s string) {
		drain(m, press(m, ":"))
		for _, r := range s {
			drain(m, m.handleKey(tea.KeyPressMsg{Code: r, Text: string(r)}))
		}
		drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyEnter}))
	}
	typeIn("17")
	if m.step != 16 {
		t.Errorf("typed 17: step %d, want index 16", m.step)
	}
	s := m.shown()
	want := s.steps[30].Rec.T
	typeIn(fmt.Sprintf("t %d", want))
	if m.step != 30 {
		t.Errorf("typed t %d: step index %d, want 30", want, m.step)
	}
	typeIn("σ 0.123")
	if m.set.Sigma != 0.123 {
		t.Errorf("typed σ 0.123: σ = %g", m.set.Sigma)
	}
	typeIn("ζ 0.7")
	if m.set.Params["zeta"] != "0.7" {
		t.Errorf("typed ζ 0.7: params %v", m.set.Params)
	}
	typeIn("σ -1")
	if m.set.Sigma != 0.123 || !strings.Contains(m.notice, "want 0 to") {
		t.Errorf("typed σ -1: σ = %g, notice %q", m.set.Sigma, m.notice)
	}
	typeIn("step 9999")
	if !strings.Contains(m.notice, "want 1 to") {
		t.Errorf("typed step 9999: notice %q", m.notice)
	}
}

// ? shows a glossary of the panels and colours above the keys, where
// there is room.
func TestGlossaryOnHelp(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	drain(m, m.Init())
	if strings.Contains(ansi.Strip(m.render()), "panels: ") {
		t.Error("glossary shown before ?")
	}
	press(m, "?")
	out := ansi.Strip(m.render())
	for _, want := range []string{"panels: ", "Tweedie's E[x0|x_t]", " − ", " + up to the ±", "fewer keys"} {
		if !strings.Contains(out, want) {
			t.Errorf("full help lacks %q", want)
		}
	}
	checkFrame(t, "glossary", m.render(), 120, 40)
}

// P writes the step shown as a PNG (panels, chart, formula) and names it
// in the notice; without a directory (a served session) the key is hidden.
func TestSnapshot(t *testing.T) {
	o := testOptions()
	o.SnapshotDir = t.TempDir()
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	drain(m, m.Init())
	press(m, "]", "]")
	drain(m, press(m, "P"))
	path := filepath.Join(o.SnapshotDir, "tweedie-pig-step0021.png")
	if !strings.Contains(m.notice, "wrote "+path) {
		t.Fatalf("notice %q, want the file %s", m.notice, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := im.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("snapshot %v: too small for a slide", b)
	}
	if os.Getenv("TWEEDIE_SNAPSHOT_KEEP") != "" {
		data, _ := os.ReadFile(path)
		os.WriteFile(os.Getenv("TWEEDIE_SNAPSHOT_KEEP"), data, 0o644)
	}
	served := newModel(t)
	if served.KeyMap.Snapshot.Enabled() {
		t.Error("snapshot key enabled without a directory")
	}
}

// The prompt jumps to a class and to an image by number; o keeps a ζ the
// user set.
func TestPromptImageAndZetaKept(t *testing.T) {
	o := testOptions()
	o.Images = append([]prior.Truth(nil), o.Prior.Truths...)
	o.Images[1].Label = "7"
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	drain(m, m.Init())
	typeIn := func(s string) {
		drain(m, press(m, ":"))
		for _, r := range s {
			drain(m, m.handleKey(tea.KeyPressMsg{Code: r, Text: string(r)}))
		}
		drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyEnter}))
	}
	typeIn("digit 7")
	if m.image != 1 {
		t.Errorf("digit 7: image %d, want 1", m.image)
	}
	typeIn("image 0")
	if m.image != 0 {
		t.Errorf("image 0: image %d", m.image)
	}
	typeIn("ζ 0.9")
	drain(m, press(m, "o"))
	if m.set.Params["zeta"] != "0.9" {
		t.Errorf("after o, ζ is %q, want the 0.9 the user set", m.set.Params["zeta"])
	}
}
