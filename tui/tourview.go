package tui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/tui/halfblock"
	"tweedie/tui/tour"
)

// The guided tour (tweedie tour, key t) walks through the derivation of
// ΠG and DPS from Tweedie's formula, one stop at a time (package tour has
// the stops). A stop sets the explorer's state through the prompt's own
// commands, marks the panels and chart series it talks about, and shows the
// exact quantity beside the approximation it explains: x̂0 against the
// truth, the exact Cov[x0|x_t] (its diagonal as a panel, its mean and
// largest eigenvalue) against ΠG's r_t²·I and DPS's 0, cos(g, g*) and
// ‖g‖/‖g*‖, the last x̂0 against the exact posterior. Every other key
// keeps working inside a stop; leaving keeps the state.

// TourOptions start the explorer in the tour.
type TourOptions struct {
	// Stop is the stop to open, from 1; 0 starts the explorer outside the tour.
	Stop int
	// Lang is the language of the texts; "" follows the locale.
	Lang tour.Lang
}

// tourState is the tour inside the explorer.
type tourState struct {
	data *tour.Tour
	lang tour.Lang
	on   bool
	at   int // the stop shown (or last shown), from 0
	cov  covState
}

// covState is the exact Cov[x0|x_t] at the step shown, computed off the UI
// goroutine, one computation at a time (playback moves faster than it):
// want is the x_t being or last computed, have the one shown.
type covState struct {
	busy         bool
	want, have   covKey
	diag         []float64
	meanVar, top float64
	err          error
}

// covKey names an x_t: a run's id, the step and the method.
type covKey struct {
	run, step int
	method    string
}

// covMsg is a computed Cov[x0|x_t].
type covMsg struct {
	key          covKey
	diag         []float64
	meanVar, top float64
	err          error
}

// covLanczos is how many Lanczos steps estimate the largest eigenvalue.
const covLanczos = 40

// initTour loads the tour's data and opens the stop the options ask for.
func (m *Model) initTour(o TourOptions, getenv func(string) string) error {
	data, err := tour.Load()
	if err != nil {
		return err
	}
	m.tour.data = data
	m.tour.lang = o.Lang
	if m.tour.lang == "" {
		m.tour.lang = tour.DetectLang(getenv)
	}
	if o.Stop < 0 || o.Stop > len(data.Stops) {
		return fmt.Errorf("tour: stop %d: want 1 to %d", o.Stop, len(data.Stops))
	}
	if o.Stop > 0 {
		m.tour.on = true
		m.openStop(o.Stop - 1)
	}
	return nil
}

// TourStops is the number of stops of the tour.
func TourStops() int {
	t, err := tour.Load()
	if err != nil {
		return 0
	}
	return len(t.Stops)
}

// stop is the stop shown; ok is false outside the tour.
func (m *Model) stop() (tour.Stop, bool) {
	if !m.tour.on || m.tour.data == nil {
		return tour.Stop{}, false
	}
	return m.tour.data.Stops[m.tour.at], true
}

// TourStop returns the stop shown (from 1), 0 outside the tour.
func (m *Model) TourStop() int {
	if _, ok := m.stop(); !ok {
		return 0
	}
	return m.tour.at + 1
}

// tourKey handles the tour's keys; ok is false for every other key.
func (m *Model) tourKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.KeyMap
	switch {
	case key.Matches(msg, k.Tour):
		m.tour.on = !m.tour.on
		if m.tour.on {
			return m.openStop(m.tour.at), true
		}
		return nil, true
	case !m.tour.on:
		return nil, false
	case key.Matches(msg, k.TourNext):
		return m.openStop(min(m.tour.at+1, len(m.tour.data.Stops)-1)), true
	case key.Matches(msg, k.TourPrev):
		return m.openStop(max(m.tour.at-1, 0)), true
	case key.Matches(msg, k.TourLeave):
		m.tour.on = false
		return nil, true
	}
	return nil, false
}

// openStop shows stop i: its state is set by the prompt's commands, after
// every method parameter the stop does not set is put back to its default,
// so that a stop looks the same however it is reached. Runs whose values
// do not change are kept.
func (m *Model) openStop(i int) tea.Cmd {
	m.tour.at = i
	st := m.tour.data.Stops[i]
	for name := range m.set.Params {
		if _, set := st.Params[name]; !set {
			m.set.Params = m.set.Params.Without(name)
			m.runs.cancel(methodNames(method.Having(name))...)
		}
	}
	m.playing = false
	m.compare, m.partner, m.ratios = *st.Compare, st.Partner, *st.Ratios
	var cmds []tea.Cmd
	var errs []string
	for _, c := range st.Commands() {
		cmd, err := m.runPrompt(c)
		cmds = append(cmds, cmd)
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	m.notice = strings.Join(errs, "; ")
	m.updateKeys()
	return tea.Batch(append(cmds, m.schedule())...)
}

// tourHighlights reports whether the stop shown marks a panel or series.
func (m *Model) tourHighlights(name string) bool {
	st, ok := m.stop()
	return ok && slices.Contains(st.Highlight, name)
}

// markPanels marks the panels the stop talks about: a ▶ on the caption,
// and a place among the last to be dropped when space is short.
func (m *Model) markPanels(ps []panel) {
	for i := range ps {
		name := ps[i].id
		if _, base, ok := strings.Cut(name, "·"); ok {
			name = base
		}
		if m.tourHighlights(name) {
			ps[i].label = "▶ " + ps[i].label
			ps[i].prio -= 100
			ps[i].hi = true
		}
	}
}

// seriesName is a chart series' name in the legend, marked when the stop
// talks about it (compared methods prefix their label).
func (m *Model) seriesName(name string) string {
	st, ok := m.stop()
	if !ok {
		return name
	}
	for _, h := range st.Highlight {
		if name == h || strings.HasSuffix(name, " "+h) {
			return m.Styles.Value.Render("▶" + name)
		}
	}
	return name
}

// tourPanels are the panels a stop adds: the exact Var[x0|x_t] beside x̂0.
func (m *Model) tourPanels() []panel {
	st, ok := m.stop()
	if !ok || st.Exact != tour.ExactCov {
		return nil
	}
	label := m.tour.data.Label(m.tour.lang, "covPanel")
	c := &m.tour.cov
	if m.opts.Prior.Mixture == nil || c.err != nil {
		return []panel{{id: "covt", label: label, prio: 5, text: m.tour.data.Label(m.tour.lang, "na")}}
	}
	if c.diag == nil {
		return []panel{{id: "covt", label: label, prio: 5, text: "computing…"}}
	}
	diag, top := c.diag, maxAbs64(c.diag)
	return []panel{{id: "covt", label: label + " 0–" + fmtG(top), prio: 5, key: c.have,
		m:     halfblock.Map{Kind: halfblock.Heat, Scale: top},
		image: func() img.Image { return img.Image{Shape: m.shape, Pix: diag} }}}
}

// tourSync starts computing Cov[x0|x_t] at the step shown when the stop
// shows it and it is not computed or computing: a task of the explorer's
// work. It takes no share of the pool: it is one at a time and short (70
// ms on MNIST), and waiting behind the runs it illustrates (a served
// session's share is one run) would leave its panel empty until they end.
func (m *Model) tourSync() tea.Cmd {
	st, ok := m.stop()
	mix := m.opts.Prior.Mixture
	if !ok || st.Exact != tour.ExactCov || mix == nil {
		return nil
	}
	s := m.shown()
	if s == nil || len(s.steps) == 0 {
		return nil
	}
	i := m.shownStep(s)
	k := covKey{run: s.id, step: i, method: m.set.Method}
	if k == m.tour.cov.want || m.tour.cov.busy {
		return nil // done, or the next starts when this one ends
	}
	m.tour.cov.want, m.tour.cov.busy = k, true
	sd := s.steps[i]
	xt := make([]float64, len(sd.Xt))
	for j, x := range sd.Xt {
		xt[j] = float64(x)
	}
	ab := sd.Rec.AlphaBar
	return m.work.Cmd(func() tea.Msg { return computeCov(mix, k, xt, ab) })
}

// computeCov computes Cov[x0|x_t]'s diagonal, mean variance and largest eigenvalue.
func computeCov(mix *gmm.Mixture, k covKey, xt []float64, alphaBar float64) covMsg {
	cc, err := mix.CondCov(xt, alphaBar)
	if err != nil {
		return covMsg{key: k, err: err}
	}
	msg := covMsg{key: k, diag: cc.Diag()}
	for _, v := range msg.diag {
		msg.meanVar += v / float64(len(msg.diag))
	}
	top, err := cc.Top(1, covLanczos)
	if err != nil {
		return covMsg{key: k, err: err}
	}
	msg.top = top[0]
	return msg
}

// tourUpdate handles the tour's messages.
func (m *Model) tourUpdate(msg tea.Msg) bool {
	cm, ok := msg.(covMsg)
	if !ok {
		return false
	}
	if c := &m.tour.cov; cm.key == c.want {
		c.busy = false
		c.have, c.diag, c.meanVar, c.top, c.err = cm.key, cm.diag, cm.meanVar, cm.top, cm.err
	}
	return true
}

// tourLines is how many lines the tour's box takes: what its text needs,
// at most tourBudget.
func (m *Model) tourLines() int {
	lines, _ := m.tourBox(m.width, m.tourBudget())
	return len(lines)
}

// tourBudget is the most lines the tour's box may take in the window: a
// quarter of its height, at least 6. Below hideFormulaBelow lines the box
// takes the place of the method's formula and the covariance axis.
func (m *Model) tourBudget() int {
	if _, ok := m.stop(); !ok {
		return 0
	}
	return max(6, m.height/4)
}

// hideFormulaBelow is the window height below which the tour's box takes
// the formula's and the axis' lines.
const hideFormulaBelow = 30

// tourExtraLines is how many more lines than the explorer's own the tour takes.
func (m *Model) tourExtraLines() int {
	n := m.tourLines()
	if m.tourBudget() > 0 && m.height < hideFormulaBelow {
		n -= 3
	}
	return n
}

// showFormula reports whether the method's formula and the axis are drawn.
func (m *Model) showFormula() bool {
	return m.tourBudget() == 0 || m.height >= hideFormulaBelow
}

// tourBox is the tour's box: a line with the stop's title and keys, the
// formula, the text wrapped to the width, the exact line: at most n lines
// of at most w cells; the text is cut with … when it does not fit (cut
// reports it).
func (m *Model) tourBox(w, n int) (lines []string, cut bool) {
	st, ok := m.stop()
	if !ok || n <= 0 {
		return nil, false
	}
	t, lang, sty := m.tour.data, m.tour.lang, m.Styles
	tx := st.TextIn(lang)
	var tries []string
	for _, k := range st.Keys {
		if b, ok := m.KeyMap.byKey(k); ok {
			tries = append(tries, b.Help().Key+" "+t.Label(lang, "key."+k))
		}
	}
	head := sty.Title.Render(fmt.Sprintf(" %s %d/%d │ %s ", t.Label(lang, "tour"), m.tour.at+1, len(t.Stops), tx.Title))
	if len(tries) > 0 {
		head += sty.Dim.Render("  "+t.Label(lang, "try")+": ") + sty.Value.Render(strings.Join(tries, " · "))
	}
	lines = append(lines, fit(head, w))
	formula := wrapLines(tx.Formula, w-2)
	for _, f := range formula {
		lines = append(lines, sty.Formula.Render("  "+f))
	}
	var exact []string
	if e := m.exactLine(st); e != "" {
		for _, l := range wrapLines(t.Label(lang, "exact")+" "+e, w) {
			exact = append(exact, sty.Value.Render(l))
		}
	}
	body := wrapLines(tx.Body, w)
	room := n - len(lines) - len(exact)
	if room < len(body) {
		cut = true
		body = body[:max(room, 0)]
		if len(body) > 0 {
			last := body[len(body)-1]
			body[len(body)-1] = ansi.Truncate(last, w-1, "") + "…"
		}
	}
	lines = append(lines, body...)
	lines = append(lines, exact...)
	if len(lines) > n {
		lines, cut = lines[:n], true
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return lines, cut
}

// wrapLines wraps text to w cells by display width (wide characters count
// two). Latin words break at spaces; text in wide characters (Chinese) may
// break between any two of them, except before closing punctuation; a
// word longer than the line is cut.
func wrapLines(s string, w int) []string {
	if w < 1 {
		return nil
	}
	var lines []string
	var line strings.Builder
	lw := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		line.Reset()
		lw = 0
	}
	for _, tok := range wrapTokens(s) {
		tw := ansi.StringWidth(tok)
		if tok == " " {
			if lw > 0 && lw < w {
				line.WriteString(tok)
				lw++
			}
			continue
		}
		if lw+tw > w && lw > 0 {
			flush()
		}
		for tw > w { // a word longer than a line
			head := ansi.Truncate(tok, w, "")
			lines = append(lines, head)
			tok = strings.TrimPrefix(tok, head)
			tw = ansi.StringWidth(tok)
		}
		line.WriteString(tok)
		lw += tw
	}
	if lw > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// wrapTokens splits text into the units wrapLines keeps together: a space,
// a run of narrow characters, or one wide character with the closing
// punctuation after it.
func wrapTokens(s string) []string {
	var toks []string
	var cur strings.Builder
	emit := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == ' ' || r == '\n':
			emit()
			toks = append(toks, " ")
		case strings.ContainsRune("，。、；：！？）」』】》", r):
			// stays with what it closes
			if cur.Len() == 0 && len(toks) > 0 && toks[len(toks)-1] != " " {
				toks[len(toks)-1] += string(r)
				continue
			}
			cur.WriteRune(r)
			emit()
		case ansi.StringWidth(string(r)) == 2:
			emit()
			cur.WriteRune(r)
			// a wide character is a token of its own (with its punctuation)
		default:
			if last, _ := utf8.DecodeLastRuneInString(cur.String()); cur.Len() > 0 && ansi.StringWidth(string(last)) == 2 {
				emit()
			}
			cur.WriteRune(r)
		}
	}
	emit()
	return toks
}

// exactLine is the stop's exact quantity against its approximation, in
// the tour's language; "" for a stop without one.
func (m *Model) exactLine(st tour.Stop) string {
	t, lang := m.tour.data, m.tour.lang
	if st.Exact == tour.ExactNone {
		return ""
	}
	if m.opts.Prior.Mixture == nil {
		return t.Label(lang, "na")
	}
	s := m.shown()
	if s == nil || len(s.steps) == 0 {
		return "…"
	}
	i := m.shownStep(s)
	switch st.Exact {
	case tour.ExactX0:
		last := "…"
		if s.done {
			last = fmtG(rmse32(s.steps[len(s.steps)-1].X0Hat, m.truth()))
		}
		return fmt.Sprintf(t.Label(lang, tour.ExactX0), fmtG(rmse32(s.steps[i].X0Hat, m.truth())), fmt.Sprint(i+1), last)
	case tour.ExactCov:
		c := &m.tour.cov
		if c.err != nil {
			return c.err.Error()
		}
		if c.diag == nil || c.have.step >= len(s.steps) {
			return "…"
		}
		ab := s.steps[c.have.step].Rec.AlphaBar
		return fmt.Sprintf(t.Label(lang, tour.ExactCov), fmtG(c.meanVar), fmtG(c.top), fmtG(m.rSquared(ab)))
	case tour.ExactScore:
		var parts []string
		for _, meth := range m.shownMethods() {
			if meth.Baseline {
				continue
			}
			rec, ok := m.record(m.runs.get(meth.Name))
			if !ok {
				continue
			}
			parts = append(parts, fmt.Sprintf(t.Label(lang, "scoreOf"), meth.Label, fmtCos(rec.GCos), fmtRatio(rec.GRatio, true)))
		}
		return fmt.Sprintf(t.Label(lang, tour.ExactScore), strings.Join(parts, " · "))
	case tour.ExactFinal:
		post := &m.runs.post
		if post.mean == nil || !s.done {
			return "…"
		}
		meanStd := 0.0
		for _, v := range post.std {
			meanStd += v / float64(len(post.std))
		}
		return fmt.Sprintf(t.Label(lang, tour.ExactFinal), fmtG(rmse32(s.steps[len(s.steps)-1].X0Hat, post.mean)), fmtG(meanStd), fmtG(maxAbs64(post.std)))
	}
	return ""
}

// rSquared is ΠG's r_t² at noise level ᾱ_t for the parameters set: the
// value of r, or its auto value there.
func (m *Model) rSquared(alphaBar float64) float64 {
	p, err := method.LookupParam("r")
	if err != nil {
		return math.NaN()
	}
	v := m.set.Params[p.Name]
	if v == "" {
		v = p.DefaultValue
	}
	if v == "auto" && p.AutoAt != nil {
		r := p.AutoAt(alphaBar)
		return r * r
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return math.NaN()
	}
	return r * r
}

// rmse32 is the root-mean-square difference of an image and a reference.
func rmse32(a []float32, ref []float64) float64 {
	if len(a) != len(ref) || len(a) == 0 {
		return math.NaN()
	}
	s := 0.0
	for i, x := range a {
		d := float64(x) - ref[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(a)))
}

// byKey returns the binding of the explorer (enabled or not) that a key,
// as bindings spell it ("z", "right", "tab"), presses.
func (k KeyMap) byKey(name string) (key.Binding, bool) {
	for _, group := range k.FullHelp() {
		for _, b := range group {
			if slices.Contains(b.Keys(), name) {
				return b, true
			}
		}
	}
	return key.Binding{}, false
}
