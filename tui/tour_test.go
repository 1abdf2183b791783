package tui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/tui/tour"
)

// tourModel opens the explorer of testOptions at a stop of the tour.
func tourModel(t *testing.T, stop int, lang tour.Lang, w, h int) *Model {
	t.Helper()
	o := testOptions()
	o.Tour = TourOptions{Stop: stop, Lang: lang}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drain(m, m.Init())
	return m
}

// seriesNames are the chart's series a stop may highlight.
var seriesNames = []string{NameG, NameGExact, NameGRatio, NameUpdate, NameUpdateRatio, NameResidual}

// panelNames are the panels a stop may highlight (runs' panels without
// their method prefix).
var panelNames = []string{"truth", "y", "xt", "x0", "upd", "pmean", "pstd", "covt"}

// The data file's stops name keys of the KeyMap, panels and series the
// view has, and operators the test prior's images take.
func TestTourDataMatchesExplorer(t *testing.T) {
	data, err := tour.Load()
	if err != nil {
		t.Fatal(err)
	}
	km := DefaultKeyMap()
	for i, st := range data.Stops {
		for _, k := range st.Keys {
			if _, ok := km.byKey(k); !ok {
				t.Errorf("stop %d: key %q is no key of the explorer", i+1, k)
			}
		}
		for _, h := range st.Highlight {
			if !slices.Contains(panelNames, h) && !slices.Contains(seriesNames, h) {
				t.Errorf("stop %d: highlight %q is no panel or chart series", i+1, h)
			}
		}
		if _, err := operator.Parse(st.Op, testShape); err != nil {
			t.Errorf("stop %d: op %q: %v", i+1, st.Op, err)
		}
	}
	for _, k := range []string{"tab", "shift+tab", "esc", "t"} {
		if _, ok := km.byKey(k); !ok {
			t.Errorf("tour key %q not in the KeyMap", k)
		}
	}
}

// Every stop in both languages at 80×24 and 120×40: its state is the one
// the data file gives, what it highlights is on screen and marked, its
// text is not cut, every line fits, and the frame is its golden.
func TestTourStops(t *testing.T) {
	data, err := tour.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		for _, lang := range tour.Langs {
			for i, st := range data.Stops {
				name := fmt.Sprintf("tour_%s_%dx%d_%02d_%s", lang, w, h, i+1, st.ID)
				t.Run(name, func(t *testing.T) {
					m := tourModel(t, i+1, lang, w, h)
					checkStopState(t, m, st)
					frame := m.render()
					lines := strings.Split(frame, "\n")
					if len(lines) != h {
						t.Errorf("%d lines, want %d", len(lines), h)
					}
					for j, l := range lines {
						if lw := ansi.StringWidth(l); lw > w {
							t.Errorf("line %d is %d cells wide: %q", j, lw, ansi.Strip(l))
						}
					}
					if _, cut := m.tourBox(w, m.tourBudget()); cut {
						t.Errorf("the stop's text is cut at %d×%d", w, h)
					}
					plain := ansi.Strip(frame)
					tx := st.TextIn(lang)
					if !strings.Contains(plain, tx.Title) {
						t.Errorf("title %q not on screen", tx.Title)
					}
					if st.Exact != tour.ExactNone && !strings.Contains(plain, data.Label(lang, "exact")) {
						t.Errorf("no exact line")
					}
					checkHighlights(t, m, st, plain)
					golden(t, name+".golden", frame)
				})
			}
		}
	}
}

// checkStopState checks the explorer's state against a stop's.
func checkStopState(t *testing.T, m *Model, st tour.Stop) {
	t.Helper()
	s := m.Settings()
	op, _ := operator.Parse(st.Op, testShape)
	if s.Method != st.Method || s.Sigma != *st.Sigma || m.prob.Op.Name() != op.Name() {
		t.Errorf("method %s, σ %g, op %s; want %s, %g, %s", s.Method, s.Sigma, m.prob.Op.Name(), st.Method, *st.Sigma, op.Name())
	}
	want, _ := tour.ParseStep(st.Step, m.total())
	if m.Step() != want {
		t.Errorf("step %d, want %d (%s)", m.Step()+1, want+1, st.Step)
	}
	if m.compare != *st.Compare || m.ratios != *st.Ratios {
		t.Errorf("compare %v, ratios %v; want %v, %v", m.compare, m.ratios, *st.Compare, *st.Ratios)
	}
	if *st.Compare && st.Partner != "" && m.comparePair()[1].Name != st.Partner {
		t.Errorf("compared with %s, want %s", m.comparePair()[1].Name, st.Partner)
	}
	for k, v := range st.Params {
		p, _ := method.LookupParam(k)
		want, _ := p.Parse(v)
		if s.Params[k] != want {
			t.Errorf("%s = %q, want %q", k, s.Params[k], want)
		}
	}
	if m.notice != "" || m.probErr != nil {
		t.Errorf("notice %q, problem error %v", m.notice, m.probErr)
	}
	if m.TourStop() == 0 || m.tour.data.Stops[m.TourStop()-1].ID != st.ID {
		t.Errorf("tour at stop %d, want %s", m.TourStop(), st.ID)
	}
}

// checkHighlights checks that the stop's panels are laid out and marked,
// and its series marked in the legend (where the window has them).
func checkHighlights(t *testing.T, m *Model, st tour.Stop, plain string) {
	t.Helper()
	lay := m.layout()
	marked := map[string]bool{}
	for _, p := range lay.panels {
		if p.hi {
			_, base, ok := strings.Cut(p.id, "·")
			if !ok {
				base = p.id
			}
			marked[base] = true
			if !strings.Contains(plain, "▶ "+ansi.Truncate(p.label[len("▶ "):], 4, "")) {
				t.Errorf("panel %s: caption not marked on screen", p.id)
			}
		}
	}
	for _, h := range st.Highlight {
		switch {
		case slices.Contains(seriesNames, h):
			if !strings.Contains(plain, "▶"+h) && !strings.Contains(plain, "▶"+m.method().Label+" "+h) && m.width >= 120 {
				t.Errorf("series %s not marked in the legend", h)
			}
		case len(lay.panels) > 0 && !m.compare && !marked[h]:
			t.Errorf("panel %s not shown marked (marked: %v)", h, slices.Sorted(maps.Keys(marked)))
		}
	}
	for name := range marked {
		if !slices.Contains(st.Highlight, name) {
			t.Errorf("panel %s marked, the stop does not name it", name)
		}
	}
}

// Moving with tab and shift+tab gives each stop the state opening it
// directly does; other keys work inside a stop; esc leaves keeping the
// state and t comes back to the same stop.
func TestTourNavigation(t *testing.T) {
	m := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	drain(m, m.Init())
	drain(m, press(m, "t"))
	n := TourStops()
	visit := func(i int) {
		t.Helper()
		direct := tourModel(t, i+1, tour.En, 120, 40)
		if m.TourStop() != i+1 {
			t.Fatalf("at stop %d, want %d", m.TourStop(), i+1)
		}
		a, b := m.Settings(), direct.Settings()
		if a.Method != b.Method || a.Sigma != b.Sigma || a.Op != b.Op || !maps.Equal(a.Params, b.Params) ||
			m.Step() != direct.Step() || m.compare != direct.compare || m.ratios != direct.ratios {
			t.Errorf("stop %d reached by keys: %+v step %d; opened directly: %+v step %d", i+1, a, m.Step(), b, direct.Step())
		}
	}
	visit(0)
	for i := 1; i < n; i++ {
		drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyTab}))
		visit(i)
	}
	drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyTab})) // stays at the last
	visit(n - 1)
	for i := n - 2; i >= 0; i-- {
		drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}))
		visit(i)
	}
	// . and , move too.
	drain(m, press(m, ".", ".", ","))
	visit(1)

	// Inside the DPS stop, ζ's keys work; moving away and back resets ζ.
	for m.tour.data.Stops[m.TourStop()-1].ID != "dps" {
		drain(m, press(m, "."))
	}
	at := m.TourStop() - 1
	drain(m, press(m, "Z"))
	if m.Settings().Params["zeta"] == "" {
		t.Fatal("Z in the DPS stop did not set ζ")
	}
	zeta := m.Settings().Params["zeta"]
	drain(m, press(m, ","))
	drain(m, press(m, "."))
	if m.Settings().Params["zeta"] != "" {
		t.Errorf("ζ %q kept after leaving and coming back to the stop", m.Settings().Params["zeta"])
	}
	drain(m, press(m, "Z"))
	// esc leaves and keeps everything.
	before, step := m.Settings(), m.Step()
	drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyEscape}))
	if m.TourStop() != 0 || strings.Contains(ansi.Strip(m.render()), "tour "+fmt.Sprint(at+1)) {
		t.Error("esc did not leave the tour")
	}
	if after := m.Settings(); after.Method != before.Method || !maps.Equal(after.Params, before.Params) || m.Step() != step || after.Params["zeta"] != zeta {
		t.Errorf("leaving changed the state: %+v → %+v", before, after)
	}
	// Outside the tour tab does nothing and t comes back to the stop.
	drain(m, m.handleKey(tea.KeyPressMsg{Code: tea.KeyTab}))
	if m.TourStop() != 0 {
		t.Error("tab opened the tour")
	}
	drain(m, press(m, "t"))
	if m.TourStop() != at+1 {
		t.Errorf("t opened stop %d, want %d", m.TourStop(), at+1)
	}
}

// The covariance stops show Cov[x0|x_t] at the x_t shown, and follow the step.
func TestTourCovFollowsStep(t *testing.T) {
	data, _ := tour.Load()
	stop := 0
	for i, st := range data.Stops {
		if st.Exact == tour.ExactCov {
			stop = i + 1
			break
		}
	}
	if stop == 0 {
		t.Fatal("no stop shows Cov[x0|x_t]")
	}
	m := tourModel(t, stop, tour.En, 120, 40)
	check := func() {
		t.Helper()
		s := m.shown()
		i := m.shownStep(s)
		xt := make([]float64, len(s.steps[i].Xt))
		for j, x := range s.steps[i].Xt {
			xt[j] = float64(x)
		}
		cc, err := m.opts.Prior.Mixture.CondCov(xt, s.steps[i].Rec.AlphaBar)
		if err != nil {
			t.Fatal(err)
		}
		want := cc.Diag()
		if c := m.tour.cov; c.have.step != i || !slices.Equal(c.diag, want) {
			t.Fatalf("Cov shown for step %d, want %d (or other values)", c.have.step, i)
		}
		mean := 0.0
		for _, v := range want {
			mean += v / float64(len(want))
		}
		if !strings.Contains(ansi.Strip(m.render()), "mean var "+fmtG(mean)) {
			t.Errorf("exact line lacks mean var %s", fmtG(mean))
		}
	}
	check()
	drain(m, press(m, "right", "right"))
	check()
}

// Bad tour options are refused before the screen opens.
func TestTourBadOptions(t *testing.T) {
	for _, stop := range []int{-1, TourStops() + 1} {
		o := testOptions()
		o.Tour.Stop = stop
		if _, err := New(o); err == nil {
			t.Errorf("stop %d accepted", stop)
		}
	}
}

func TestWrapLines(t *testing.T) {
	for _, c := range []struct {
		s    string
		w    int
		want []string
	}{
		{"one two three", 7, []string{"one two", "three"}},
		{"中文文本", 4, []string{"中文", "文本"}},
		{"中文，文本。", 6, []string{"中文，", "文本。"}}, // punctuation stays with what it closes
		{"ab 中文", 5, []string{"ab 中", "文"}},
		{"abcdefgh", 3, []string{"abc", "def", "gh"}},
		{"", 5, []string{""}},
	} {
		got := wrapLines(c.s, c.w)
		if !slices.Equal(got, c.want) {
			t.Errorf("wrapLines(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

// The tour as a program on a terminal emulator: from stop 1, tab through
// every stop in Chinese at 80×24; each stop's title shows and no line of
// the screen wraps; esc leaves.
func TestTourProgram(t *testing.T) {
	const w, h = 80, 24
	data, _ := tour.Load()
	o := testOptions()
	o.Tour = TourOptions{Stop: 1, Lang: tour.Zh}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor), tea.WithFPS(30)))
	scr := newScreen(w, h)
	for i, st := range data.Stops {
		head := fmt.Sprintf("导览 %d/%d │ %s", i+1, len(data.Stops), st.Text[tour.Zh].Title)
		scr.waitFor(t, tm, func(e *vt.Emulator) bool {
			return strings.Contains(wideLineOf(e, 1), head) && strings.Contains(lineOf(e, 0), "tweedie │ ")
		})
		// The box's lines are whole: the title line and the last body
		// line end inside the screen (a wide character at the edge would
		// push the rest of the line onto the next).
		scr.mu.Lock()
		for y := 1; y < 7; y++ {
			if l := wideLineOf(scr.emu, y); ansi.StringWidth(strings.TrimRight(l, " ")) > w {
				t.Errorf("stop %d line %d: %d cells", i+1, y, ansi.StringWidth(l))
			}
		}
		body := strings.Join(strings.Fields(strings.Join([]string{wideLineOf(scr.emu, 3), wideLineOf(scr.emu, 4), wideLineOf(scr.emu, 5)}, "")), "")
		scr.mu.Unlock()
		if want := []rune(strings.Join(strings.Fields(st.Text[tour.Zh].Body), "")); !strings.Contains(body, string(want[:len(want)/2])) {
			t.Errorf("stop %d: the body's start is not on lines 3–5: %q", i+1, body)
		}
		if i+1 < len(data.Stops) {
			tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
		}
	}
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return !strings.Contains(wideLineOf(e, 1), "导览") && screenHas(e, "Cov[x0|x_t] models")
	})

	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
}

// wideLineOf is a line of the emulator's screen with each wide character
// once (lineOf shows the cell it covers as a space).
func wideLineOf(e *vt.Emulator, y int) string {
	var b strings.Builder
	for x := 0; x < e.Width(); x++ {
		c := e.CellAt(x, y)
		switch {
		case c == nil || (c.Content == "" && c.Width == 0):
		case c.Content == "":
			b.WriteByte(' ')
		default:
			b.WriteString(c.Content)
		}
	}
	return b.String()
}

// The prompt's commands the tour's stops use: method, op and step by
// position, with clear errors.
func TestPromptMethodOpStep(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	run := func(line string) error {
		t.Helper()
		cmd, err := m.runPrompt(line)
		drain(m, cmd)
		return err
	}
	for _, c := range []struct {
		line string
		ok   func() bool
	}{
		{"method dps", func() bool { return m.Settings().Method == "dps" && m.chosen == "dps" }},
		{"method ΠG", nil}, // not a name
		{"method pig", func() bool { return m.Settings().Method == "pig" }},
		{"op sr:factor=4", func() bool { return m.prob.Op.Name() == "sr:factor=4" }},
		{"op inpaint-box:size=14", func() bool { return m.prob.Op.Name() == "inpaint-box:size=14" }},
		{"op nope", nil},
		{"step last", func() bool { return m.Step() == 39 }},
		{"step first", func() bool { return m.Step() == 0 }},
		{"step 50%", func() bool { return m.Step() == 20 }},
		{"step 101%", nil},
		{"σ 0", func() bool { return m.Settings().Sigma == 0 }},
		{"method oracle", nil}, // needs σ > 0
	} {
		err := run(c.line)
		if c.ok == nil {
			if err == nil {
				t.Errorf("%q accepted", c.line)
			}
			continue
		}
		if err != nil || !c.ok() {
			t.Errorf("%q: error %v, method %s, op %s, step %d", c.line, err, m.Settings().Method, m.prob.Op.Name(), m.Step())
		}
	}
	if m.Settings().Method != "pig" {
		t.Errorf("a refused method changed the method to %s", m.Settings().Method)
	}
}

// Moving to a stop with the same problem, method and parameters keeps
// the run: only the step moves.
func TestTourKeepsRuns(t *testing.T) {
	data, _ := tour.Load()
	for i := 0; i+1 < len(data.Stops); i++ {
		a, b := data.Stops[i], data.Stops[i+1]
		if a.Method != b.Method || a.Op != b.Op || *a.Sigma != *b.Sigma || !maps.Equal(a.Params, b.Params) || *a.Compare || *b.Compare {
			continue
		}
		m := tourModel(t, i+1, tour.En, 120, 40)
		id := m.shown().id
		drain(m, press(m, "."))
		if m.shown() == nil || m.shown().id != id {
			t.Errorf("stop %d → %d: the %s run was recomputed", i+1, i+2, a.Method)
		}
		return
	}
	t.Skip("no two consecutive stops share a problem and method")
}
