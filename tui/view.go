package tui

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/run"
	"tweedie/tui/chart"
	"tweedie/tui/gfx"
	"tweedie/tui/halfblock"
	"tweedie/tui/labview"
	"tweedie/tui/termcaps"
)

// Smallest window the explorer draws in.
const (
	MinWidth  = 40
	MinHeight = 16
)

// chartMin is the fewest lines the chart gets (legend included).
const (
	chartMin = 4
	chartMax = 14
)

// panel is one image on screen.
type panel struct {
	id    string // names the panel's cache
	label string
	prio  int // lower survives longer when space is short
	key   any // names the content; the image is drawn only when it changes
	image func() img.Image
	m     halfblock.Map
	text  string // shown instead of an image when image is nil
	hi    bool   // marked by the tour
}

// View draws the explorer.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "tweedie"
	return v
}

// render draws the frame as a string.
func (m *Model) render() string {
	w, h := m.width, m.height
	if w < MinWidth || h < MinHeight {
		return tooSmall(w, h)
	}
	if m.labOn {
		return m.renderLab()
	}
	var b strings.Builder
	b.Grow(64 << 10)

	header := m.header()
	status := m.statusLines()
	f1, f2 := m.formulaLines()
	notice := m.noticeLine()
	lay := m.layout()
	helpView := lay.help
	fixed := lay.fixed
	imgArea := m.drawPanels(lay)
	imgLines := 0
	if imgArea != "" {
		imgLines = strings.Count(imgArea, "\n") + 1
	}
	// The chart takes the lines the panels leave: at least chartMin.
	chartH := max(h-fixed-imgLines, 0)

	b.WriteString(fit(header, w))
	b.WriteByte('\n')
	if box, _ := m.tourBox(w, m.tourBudget()); len(box) > 0 {
		b.WriteString(strings.Join(box, "\n"))
		b.WriteByte('\n')
	}
	if imgArea != "" {
		b.WriteString(imgArea)
		b.WriteByte('\n')
	}
	b.WriteString(m.drawChart(w, chartH))
	b.WriteByte('\n')
	for _, s := range status {
		b.WriteString(fit(s, w))
		b.WriteByte('\n')
	}
	if m.showFormula() {
		b.WriteString(fit(m.Styles.Formula.Render(f1), w))
		b.WriteByte('\n')
		b.WriteString(fit(m.Styles.Formula.Render(f2), w))
		b.WriteByte('\n')
		b.WriteString(fit(m.axisLine(), w))
		b.WriteByte('\n')
	}
	b.WriteString(fit(notice, w))
	// Blank lines down to the help bar at the bottom.
	helpLines := strings.Count(helpView, "\n") + 1
	for used := fixed - helpLines + imgLines + chartH; used < h-helpLines; used++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(helpView)
	return b.String()
}

// tooSmall is the notice of a window smaller than MinWidth×MinHeight, in
// at most h lines of at most w cells: the longest wording that fits, cut
// to the window when none does.
func tooSmall(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	msgs := []string{
		fmt.Sprintf("window too small: %d×%d, tweedie needs at least %d×%d", w, h, MinWidth, MinHeight),
		fmt.Sprintf("too small: need %d×%d", MinWidth, MinHeight),
		"too small",
	}
	var lines []string
	for _, msg := range msgs {
		lines = strings.Split(wrap(msg, w), "\n")
		if len(lines) <= h {
			break
		}
	}
	lines = lines[:min(len(lines), h)]
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// labKeys are the keys of the lab view, for help.
type labKeys struct {
	lab        labview.KeyMap
	help, quit key.Binding
}

func (k labKeys) ShortHelp() []key.Binding {
	return append(k.lab.ShortHelp(), k.help, k.quit)
}

func (k labKeys) FullHelp() [][]key.Binding {
	return append(k.lab.FullHelp(), []key.Binding{k.help, k.quit})
}

// renderLab draws the lab view above the help bar.
func (m *Model) renderLab() string {
	helpView := fitLines(m.Help.View(labKeys{lab: m.lab.KeyMap, help: m.KeyMap.Help, quit: m.KeyMap.Quit}), m.width)
	helpLines := strings.Count(helpView, "\n") + 1
	m.lab.ASCII = m.gfx.ASCII()
	m.lab.SetSize(m.width, m.height-helpLines)
	return m.lab.View() + "\n" + helpView
}

// fit truncates a styled line to w cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fitLines truncates every line of a styled block to w cells. The help
// views need it: when not even help's ellipsis fits, bubbles' help appends
// every remaining binding rather than none.
func fitLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if ansi.StringWidth(strings.TrimRight(ansi.Strip(l), " ")) <= w {
			lines[i] = ansi.Truncate(l, w, "") // only padding is cut
		} else {
			lines[i] = fit(l, w)
		}
	}
	return strings.Join(lines, "\n")
}

func wrap(s string, w int) string {
	return ansi.Wrap(s, w, " ")
}

func (m *Model) header() string {
	st := m.Styles
	meth := m.method().Label
	if m.compare {
		p := m.comparePair()
		meth = p[0].Label + " vs " + p[1].Label
	}
	op := m.set.Op
	if m.prob != nil {
		op = m.prob.Op.Name()
	}
	// The image's number is what --image takes and n/p walk through.
	image := fmt.Sprintf("#%d %s", m.image, m.opts.Images[m.image].Name)
	if spec := m.opts.Prior.Spec; spec != "" {
		image = spec + ": " + image // the prior, and the ground truth it gave
	}
	left := fmt.Sprintf(" tweedie │ %s │ %s │ σ = %s%s │ %s │ %s %d steps │ seed %d ",
		meth, op, fmtG(m.set.Sigma), m.headerParams(), image, m.set.Sampler, m.set.Steps, m.set.Seed)
	right := ""
	if s := m.shown(); s == nil || !s.done {
		n := 0
		if s != nil {
			n = len(s.steps)
		}
		right = st.Progress.Render(fmt.Sprintf(" computing %d/%d ", n, m.total()))
	} else if m.playing {
		right = st.Progress.Render(fmt.Sprintf(" ▶ %d steps/s ", speedLadder[m.speed]))
	}
	l := st.Title.Render(left)
	pad := m.width - ansi.StringWidth(l) - ansi.StringWidth(right)
	if pad < 0 {
		return fit(l, m.width-ansi.StringWidth(right)) + right
	}
	return l + strings.Repeat(" ", pad) + right
}

// glossary is the one-line key to the panels and colours, shown with the
// full help (?).
func (m *Model) glossary() string {
	st := m.Styles
	sw := func(r, g, b int) string { return fmt.Sprintf("\x1b[38;2;%d;%d;%dm■\x1b[m", r, g, b) }
	return st.Label.Render("panels: ") + st.Dim.Render("y the measurement (unobserved pixels checkered) · x_t the sample at step t · x̂0 Tweedie's E[x0|x_t] · Δ what guidance changed in x_{t−1}: ") +
		sw(40, 80, 255) + st.Dim.Render(" − ") + sw(255, 255, 255) + st.Dim.Render(" 0 ") + sw(255, 40, 40) + st.Dim.Render(" + up to the ± in its label · exact E[x0|y] and std from the prior: std ") +
		sw(0, 0, 0) + st.Dim.Render(" 0 ") + sw(255, 210, 0) + st.Dim.Render(" ") + sw(255, 255, 255) + st.Dim.Render(" the top in its label · chart: ") + st.Dim.Render(NameG+" the method's ∇log p(y|x_t), "+NameGExact+" the exact one, "+NameNoise+" the noise's expected norm")
}

// headerParams are the parameters with keys of the methods on screen, each once,
// as ", ζ = 0.5, r = auto".
func (m *Model) headerParams() string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, meth := range m.shownMethods() {
		v := m.values(meth)
		for _, p := range meth.Params {
			if seen[p.Name] || p.Symbol == "" || p.Down == "" || v[p.Name] == "" { // those with keys
				continue
			}
			seen[p.Name] = true
			val := v[p.Name]
			if x, err := strconv.ParseFloat(val, 64); err == nil {
				val = fmtG(x)
			}
			b.WriteString(", " + p.Symbol + " = " + val)
		}
	}
	return b.String()
}

// panels lists the images to show, in screen order.
func (m *Model) panels() []panel {
	var ps []panel
	truth := m.opts.Images[m.image].Image
	ps = append(ps, panel{id: "truth", label: "ground truth", prio: 4, key: m.image,
		image: func() img.Image { return truth }})
	if m.probErr == nil {
		y := m.yImg
		ps = append(ps, panel{id: "y", label: "measurement y", prio: 1, key: m.prob,
			image: func() img.Image { return y }})
	}
	if m.compare {
		p := m.comparePair()
		ps = append(ps, m.runPanels(p[0], p[0].Label+" ", 2, 3, 6)...)
		ps = append(ps, m.runPanels(p[1], p[1].Label+" ", 2, 3, 7)...)
	} else {
		ps = append(ps, m.runPanels(m.method(), "", 0, 3, 2)...)
		ps = append(ps, m.particlePanels(m.method(), "")...)
	}
	if post := &m.runs.post; post.mean != nil {
		mean, std := post.mean, post.std
		ps = append(ps, panel{id: "pmean", label: "exact E[x0|y]", prio: 8, key: post.id,
			image: func() img.Image { return img.Image{Shape: m.shape, Pix: mean} }})
		sMax := maxAbs64(std)
		ps = append(ps, panel{id: "pstd", label: "exact std 0–" + fmtG(sMax), prio: 9, key: post.id,
			m:     halfblock.Map{Kind: halfblock.Heat, Scale: sMax},
			image: func() img.Image { return img.Image{Shape: m.shape, Pix: std} }})
	}
	ps = append(ps, m.tourPanels()...)
	m.markPanels(ps)
	return ps
}

// runPanels are x_t, x̂0 and the update of one method's run.
func (m *Model) runPanels(meth *method.Method, prefix string, prioX0, prioUpd, prioXt int) []panel {
	s := m.runs.get(meth.Name)
	id := prefix + "·"
	if s == nil || len(s.steps) == 0 {
		text := "computing…"
		if s != nil && s.err != nil {
			text = "no run"
		}
		return []panel{
			{id: id + "xt", label: prefix + "x_t", prio: prioXt, text: text},
			{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, text: text},
			{id: id + "upd", label: prefix + "update", prio: prioUpd, text: text},
		}
	}
	i := m.shownStep(s)
	xt, x0, upd, ok, why := s.rowsAt(i)
	if !ok { // a step the run did not keep (a large image): see replay.go
		text := fmt.Sprintf("recomputing step %d…", i+1)
		if why != "" {
			text = why
		}
		return []panel{
			{id: id + "xt", label: prefix + "x_t", prio: prioXt, text: text},
			{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, text: text},
			{id: id + "upd", label: prefix + "update", prio: prioUpd, text: text},
		}
	}
	key := [2]int{s.id, i}
	vec := func(v []float32) func() img.Image {
		return func() img.Image {
			pix := make([]float64, len(v))
			for j, x := range v {
				pix[j] = float64(x)
			}
			return img.Image{Shape: m.shape, Pix: pix}
		}
	}
	scale := m.updScale(i)
	return []panel{
		{id: id + "xt", label: prefix + "x_t", prio: prioXt, key: key, image: vec(xt)},
		{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, key: key, image: vec(x0)},
		{id: id + "upd", label: prefix + "Δ ±" + fmtE(scale), prio: prioUpd, key: [2]any{key, scale}, image: vec(upd),
			m: halfblock.Map{Kind: halfblock.Diverging, Scale: scale}},
	}
}

func maxAbs32(v []float32) float64 {
	mx := 0.0
	for _, x := range v {
		mx = math.Max(mx, math.Abs(float64(x)))
	}
	return mx
}

func maxAbs64(v []float64) float64 {
	mx := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			mx = math.Max(mx, math.Abs(x))
		}
	}
	return mx
}

func fmtE(x float64) string {
	if x == 0 || math.IsNaN(x) {
		return "0"
	}
	return fmt.Sprintf("%.1e", x)
}

// chooseLayout picks how many of n panels to show (dropping the least
// important), at which scale, in how many columns, for a w×h area: as many
// panels as possible, each as large as possible.
func chooseLayout(n int, shape img.Shape, w, h int) (count int, scale halfblock.Options, cols int) {
	for count = n; count >= 1; count-- {
		for _, scale = range scalesFor(shape) {
			pw, ph := halfblock.SizeOf(shape, scale)
			ph++ // caption
			cols = (w + 1) / (pw + 1)
			if cols < 1 {
				continue
			}
			cols = min(cols, count)
			rows := (count + cols - 1) / cols
			if rows*ph <= h {
				return count, scale, cols
			}
		}
	}
	return 0, halfblock.Options{}, 0
}

// panelScales are the sizes a panel may take, largest first: the whole
// scales, the halves between them, and a shrink by 2.
var panelScales = []halfblock.Options{
	{Scale: 4}, {Scale: 3, Half: true}, {Scale: 3}, {Scale: 2, Half: true}, {Scale: 2},
	{Scale: 1, Half: true}, {Scale: 1}, {Scale: -2},
}

// largeShrinks are further shrinks for a large image (a model's 256×256,
// say), each taken only while the half-block drawing keeps minShrunk
// pixels a side. The panel's box is the half-block drawing's cells; kitty
// and sixel draw the image in that box at full resolution (the whole
// image scaled to the box's pixels, up to gfx.MaxSixelSide), so only
// half-blocks show the average of f×f blocks.
var largeShrinks = []halfblock.Options{{Scale: -3}, {Scale: -4}, {Scale: -6}, {Scale: -8}, {Scale: -12}, {Scale: -16}}

const minShrunk = 32

// scalesFor is panelScales and the large shrinks the shape allows.
func scalesFor(shape img.Shape) []halfblock.Options {
	out := panelScales
	for _, o := range largeShrinks {
		if min(shape.W, shape.H)/-o.Scale >= minShrunk {
			out = append(out[:len(out):len(out)], o)
		}
	}
	return out
}

// compareLayout lays the panels of compare mode out in rows: the shared
// ones (ground truth, y, the exact posterior), then each method's x_t, x̂0
// and Δ on a row of its own, so that they line up. A row too long for the
// width keeps its panels of lowest prio. It returns nil rows when no scale
// gives every method at least two panels in the height h.
func compareLayout(ps []panel, shape img.Shape, w, h int) (rows [][]panel, scale halfblock.Options, cols int) {
	var shared []panel
	byRun := map[string][]panel{}
	var order []string
	for _, p := range ps {
		pre, _, ok := strings.Cut(p.id, "·")
		if !ok {
			shared = append(shared, p)
			continue
		}
		if byRun[pre] == nil {
			order = append(order, pre)
		}
		byRun[pre] = append(byRun[pre], p)
	}
	for _, scale = range scalesFor(shape) {
		pw, ph := halfblock.SizeOf(shape, scale)
		cols = (w + 1) / (pw + 1)
		if cols < 2 || (len(order)+1)*(ph+1) > h {
			continue
		}
		rows = [][]panel{keepLowest(shared, cols)}
		wide := len(rows[0])
		for _, pre := range order {
			r := keepLowest(byRun[pre], cols)
			rows = append(rows, r)
			wide = max(wide, len(r))
		}
		return rows, scale, wide
	}
	return nil, halfblock.Options{}, 0
}

// keepLowest keeps the n panels of lowest prio, in their order.
func keepLowest(ps []panel, n int) []panel {
	if len(ps) <= n {
		return ps
	}
	keep := make([]panel, 0, n)
	for i, p := range ps {
		rank := 0
		for j, q := range ps {
			if q.prio < p.prio || (q.prio == p.prio && j < i) { // ties: the first kept
				rank++
			}
		}
		if rank < n {
			keep = append(keep, p)
		}
	}
	return keep
}

// layout is where the panels go.
type layout struct {
	panels []panel           // the panels shown, in screen order
	scale  halfblock.Options // Scale and Half of the panels' images
	cols   int
	pw, ph int    // a panel's image size in cells (its caption is above)
	help   string // the help view
	fixed  int    // lines that are neither images nor chart
	below  int    // lines between the header and the panels (the tour's box)
}

// imageTop is the screen line of the first row of panels' captions.
const imageTop = 1

// rect returns the cells of panel i's image (not its caption).
func (l *layout) rect(i int) gfx.Rect {
	return gfx.Rect{
		X: (i % l.cols) * (l.pw + 1),
		Y: imageTop + l.below + (i/l.cols)*(l.ph+1) + 1,
		W: l.pw, H: l.ph,
	}
}

// layout chooses which panels fit, at which scale, in how many columns.
func (m *Model) layout() layout {
	var l layout
	if m.width < MinWidth || m.height < MinHeight || m.labOn {
		return l // no images: the lab view has none
	}
	l.help = fitLines(m.Help.View(m.KeyMap), m.width)
	if m.Help.ShowAll && m.height >= 30 { // smaller windows keep their lines for the keys
		l.help = fitLines(wrap(m.glossary(), m.width), m.width) + "\n" + l.help
	}
	nStatus := 1
	if m.guidanceLines() {
		nStatus = 2
	}
	if m.compare {
		nStatus *= 2
	}
	l.below = m.tourLines()
	l.fixed = 1 + nStatus + 3 + 1 + strings.Count(l.help, "\n") + 1 + m.tourExtraLines()
	ps := m.panels()
	if m.compare {
		if rows, scale, cols := compareLayout(ps, m.shape, m.width, m.height-l.fixed-chartMin); rows != nil {
			for _, row := range rows {
				l.panels = append(l.panels, row...)
				for range cols - len(row) {
					l.panels = append(l.panels, panel{id: "gap"}) // blank: rows line up
				}
			}
			l.scale, l.cols = scale, cols
			l.pw, l.ph = halfblock.SizeOf(m.shape, scale)
			return l
		}
	}
	count, scale, cols := chooseLayout(len(ps), m.shape, m.width, m.height-l.fixed-chartMin)
	if count == 0 {
		return l
	}
	keep := keepLowest(ps, count)
	l.panels, l.scale, l.cols = keep, scale, cols
	l.pw, l.ph = halfblock.SizeOf(m.shape, scale)
	return l
}

// drawPanels draws the layout's panels: images as half-blocks or
// characters, or — for sixel — blank cells the image is drawn over, or
// — for kitty — the image's placeholders.
func (m *Model) drawPanels(lay layout) string {
	keep, scale, cols := lay.panels, lay.scale, lay.cols
	if len(keep) == 0 {
		return ""
	}
	pw, ph := lay.pw, lay.ph
	blocks := make([][]string, len(keep))
	for i, p := range keep {
		lines := make([]string, 0, ph+1)
		label := m.Styles.Label
		if p.hi {
			label = m.Styles.Value
		}
		lines = append(lines, label.Render(padTo(fit(p.label, pw), pw)))
		body := ""
		if p.image != nil {
			body = m.gfx.Placeholder(i, pw, ph)
		}
		switch {
		case body != "":
		case p.image != nil:
			c := m.caches[p.id]
			if c == nil {
				c = new(halfblock.Cache)
				m.caches[p.id] = c
			}
			im := img.Image{}
			if !c.Valid(p.key, m.renderOpts(scale, p.m)) {
				im = p.image()
			}
			body = c.Render(p.key, im, m.renderOpts(scale, p.m))
		default:
			blank := halfblock.Blank(pw, ph)
			body = m.Styles.Dim.Render(padTo(fit(" "+p.text, pw), pw)) + blank[pw:]
		}
		lines = append(lines, strings.Split(body, "\n")...)
		blocks[i] = lines
	}
	var b strings.Builder
	for r := 0; r*cols < len(blocks); r++ {
		row := blocks[r*cols : min(r*cols+cols, len(blocks))]
		if r > 0 {
			b.WriteByte('\n')
		}
		for l := 0; l < ph+1; l++ {
			if l > 0 {
				b.WriteByte('\n')
			}
			for j, blk := range row {
				if j > 0 {
					b.WriteByte(' ')
				}
				if l < len(blk) {
					b.WriteString(blk[l])
				}
			}
		}
	}
	return b.String()
}

func (m *Model) renderOpts(scale halfblock.Options, mp halfblock.Map) halfblock.Options {
	return halfblock.Options{Scale: scale.Scale, Half: scale.Half, Map: mp, ASCII: m.gfx.Mode() == termcaps.ASCII}
}

func padTo(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// drawChart draws the legend and the log-scale chart, h lines in all: the
// guidance norms ‖g‖, ‖g*‖, ‖update‖ and the residual with its noise level
// σ·√m, or (key v) the ratios ‖g‖/‖g*‖ and ‖update‖/‖update*‖ against 1.
func (m *Model) drawChart(w, h int) string {
	st := m.Styles
	type src struct {
		s      *slot
		prefix string
	}
	var srcs []src
	if m.compare {
		p := m.comparePair()
		srcs = []src{{m.runs.get(p[0].Name), p[0].Label + " "}, {m.runs.get(p[1].Name), p[1].Label + " "}}
	} else {
		srcs = []src{{m.shown(), ""}}
	}
	c := chart.New(w, h-1)
	c.Styles = st.Chart
	c.Steps = m.total()
	c.Cursor = m.step
	c.XAxis = true
	var legend strings.Builder
	add := func(name string, col halfblock.RGB, vals []float64) {
		c.Series = append(c.Series, chart.Series{Name: name, Values: vals, Color: col})
		legend.WriteString(swatch(col) + " " + m.seriesName(name) + "  ")
	}
	series := func(s *slot, f func(run.Record) float64) []float64 {
		if s == nil {
			return nil
		}
		v := make([]float64, len(s.steps))
		for j, sd := range s.steps {
			v[j] = f(sd.Rec)
		}
		return v
	}
	if m.ratios {
		legend.WriteString(st.Dim.Render(" log scale "))
		for i, sr := range srcs {
			add(sr.prefix+NameGRatio, st.Series[4+2*i], series(sr.s, func(r run.Record) float64 { return r.GRatio }))
			add(sr.prefix+NameUpdateRatio, st.Series[2*i], series(sr.s, func(r run.Record) float64 { return r.UpdateRatio }))
		}
		c.Refs = []chart.Ref{{Name: "1", Value: 1, Color: st.Chart.Axis}}
		legend.WriteString(dashes(st.Chart.Axis) + " 1  ")
	} else {
		legend.WriteString(st.Dim.Render(" log scale "))
		for i, sr := range srcs {
			add(sr.prefix+NameG, st.Series[4+2*i], series(sr.s, func(r run.Record) float64 { return r.GNorm }))
			if !m.compare {
				add(NameGExact, st.Series[5], series(sr.s, func(r run.Record) float64 { return r.GExactNorm }))
			}
			add(sr.prefix+NameUpdate, st.Series[2*i], series(sr.s, func(r run.Record) float64 { return r.UpdateNorm }))
			add(sr.prefix+NameResidual, st.Series[2*i+1], series(sr.s, func(r run.Record) float64 { return r.Residual }))
		}
		if lvl := m.noiseLevel(); lvl > 0 {
			c.Refs = []chart.Ref{{Name: NameNoise, Value: lvl, Color: st.Series[1]}}
			legend.WriteString(dashes(st.Series[1]) + " " + NameNoise + " " + fmtG(lvl) + "  ")
		}
	}
	shownAt := m.step // the step the panels and status show, as they show it
	if s := m.shown(); s != nil && len(s.steps) > 0 {
		shownAt = m.shownStep(s)
		c.Cursor = shownAt
	}
	legend.WriteString(st.Dim.Render(fmt.Sprintf("│ step %d/%d", shownAt+1, m.total())))
	if h <= 1 {
		return fit(legend.String(), w)
	}
	return fit(legend.String(), w) + "\n" + c.View()
}

// The names of the quantities, the same in the chart's legend and the
// status line at every width.
const (
	NameG           = "‖g‖"
	NameGExact      = "‖g*‖"
	NameGRatio      = "‖g‖/‖g*‖"
	NameUpdate      = "‖update‖"
	NameUpdateRatio = "‖update‖/‖update*‖"
	NameResidual    = "‖y−A(x̂0)‖"
	NameNoise       = "σ√m"
)

// noiseLevel is σ·√m, the norm the measurement's noise is expected to
// have (m = the measurement's length): a residual well below it fits the
// noise. Zero without a problem or noise.
func (m *Model) noiseLevel() float64 {
	if m.prob == nil {
		return 0
	}
	return m.prob.Sigma * math.Sqrt(float64(len(m.prob.Y)))
}

func dashes(c halfblock.RGB) string {
	return fmt.Sprintf("\x1b[38;2;%d;%d;%dm╌╌\x1b[m", c.R, c.G, c.B)
}

func swatch(c halfblock.RGB) string {
	return fmt.Sprintf("\x1b[38;2;%d;%d;%dm──\x1b[m", c.R, c.G, c.B)
}

// statusLines are the numbers of the step shown: two lines, the step and
// the guidance, or two per method when comparing.
func (m *Model) statusLines() []string {
	if m.compare {
		p := m.comparePair()
		w := max(ansi.StringWidth(p[0].Label), ansi.StringWidth(p[1].Label)) + 1
		var lines []string
		for _, meth := range p {
			lines = append(lines, m.statusLine(meth, padTo(meth.Label, w))...)
		}
		return lines
	}
	return m.statusLine(m.method(), "")
}

// guidanceLines reports whether the status has its guidance line (‖g‖,
// ‖g*‖, …): in windows of at least 20 lines; below, the chart says it.
func (m *Model) guidanceLines() bool { return m.height >= 20 }

// statusLine is the two status lines of a method: the step, the residual
// against σ√m, PSNR, cos(g,g*) and NFE; then the guidance norms and what
// share of the exact ones they are. The names are the chart's at every
// width; narrow windows only space them closer and drop units.
func (m *Model) statusLine(meth *method.Method, prefix string) []string {
	st := m.Styles
	s := m.runs.get(meth.Name)
	rec, ok := m.record(s)
	if !ok {
		if !m.guidanceLines() {
			return []string{st.Dim.Render(prefix + "waiting for the first step…")}
		}
		return []string{st.Dim.Render(prefix + "waiting for the first step…"), ""}
	}
	narrow := m.width < 110
	sep, db := "  ", " dB"
	if narrow {
		sep, db = " ", ""
	}
	v := func(name, val string) string {
		return st.Dim.Render(name+" ") + st.Value.Render(val) + sep
	}
	i := m.shownStep(s)
	cos := fmtCos(rec.GCos)
	ratio, updRatio := fmtRatio(rec.GRatio, narrow), fmtRatio(rec.UpdateRatio, narrow)
	gNorm, gExact, updNorm := fmtNorm(rec.GNorm, narrow), fmtNorm(rec.GExactNorm, narrow), fmtNorm(rec.UpdateNorm, narrow)
	if s.lazy && i >= s.exact {
		cos, ratio, updRatio, gExact = "computing", "…", "…", "…"
		if narrow {
			cos = "…"
		}
	}
	res := fmtG(rec.Residual)
	if lvl := m.noiseLevel(); lvl > 0 && !narrow { // narrow: the chart's legend has it
		res += st.Dim.Render(" (" + NameNoise + " " + fmtG(lvl) + ")")
	}
	pad := st.Dim.Render(strings.Repeat(" ", ansi.StringWidth(prefix)))
	alpha := v("ᾱ_t", fmtAlphaBar(rec.AlphaBar))
	if narrow && prefix != "" {
		alpha = "" // comparing in a narrow window: the formula has it
	}
	lines := []string{
		st.Dim.Render(prefix) +
			v("step", fmt.Sprintf("%d/%d", i+1, s.total)) +
			v("t", fmt.Sprint(rec.T)) +
			alpha +
			v(NameResidual, res) +
			v("PSNR", fmt.Sprintf("%.1f", rec.PSNR)+db) +
			v("cos(g,g*)", cos) +
			v("NFE", fmtNFE(rec)) +
			m.particleStatus(s, sep),
		pad +
			v(NameG, gNorm) +
			v(NameGExact, gExact) +
			v(NameGRatio, ratio) +
			v(NameUpdate, updNorm) +
			v(NameUpdateRatio, updRatio),
	}
	if !m.guidanceLines() {
		lines = lines[:1]
	}
	return lines
}

// fmtAlphaBar is ᾱ_t with the digits that tell it from 1 near t = 0
// (ᾱ_t = 0.9999 where the formula's r_t = √(1−ᾱ_t) is 0.01).
func fmtAlphaBar(a float64) string {
	if a > 0.99 && a < 1 {
		return strconv.FormatFloat(a, 'g', 6, 64)
	}
	return fmtG(a)
}

// fmtNorm is a norm, "n/a" when NaN (no exact guidance); short, it has
// two significant digits and no exponent when it needs none.
func fmtNorm(x float64, short bool) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	if short {
		return strconv.FormatFloat(x, 'g', 2, 64)
	}
	return fmtE(x)
}

// fmtRatio is a ratio of norms to three significant digits (two when
// short), "n/a" when NaN.
func fmtRatio(x float64, short bool) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	if short {
		return strconv.FormatFloat(x, 'g', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// fmtNFE is a sample's network evaluations so far: denoiser calls, with
// VJPs after a plus.
func fmtNFE(rec run.Record) string {
	if rec.VJPs == 0 {
		return fmt.Sprint(rec.NFE)
	}
	return fmt.Sprintf("%d+%d", rec.NFE, rec.VJPs)
}

// axisLine places the methods shown on the axis of how they model
// Cov[x0|x_t], from 0 (DPS) to the exact covariance.
func (m *Model) axisLine() string {
	st := m.Styles
	on := map[method.Cov]bool{}
	for _, meth := range m.shownMethods() {
		on[meth.CovarianceOf(m.values(meth))] = true
	}
	var b strings.Builder
	b.WriteString(st.Dim.Render("    Cov[x0|x_t] models: "))
	for i, c := range method.CovAxis() {
		if i > 0 {
			b.WriteString(st.Dim.Render(" · "))
		}
		if on[c] {
			b.WriteString(st.Value.Render("▸" + c.String()))
		} else {
			b.WriteString(st.Dim.Render(c.String()))
		}
	}
	if on[method.OffAxis] {
		b.WriteString(st.Dim.Render("   (" + m.method().Label + ": off the axis)"))
	}
	return b.String()
}

func fmtCos(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

// formulaLines are the formula panel: the rule of the method shown with
// its values, or one line per method when comparing.
func (m *Model) formulaLines() (string, string) {
	if m.compare {
		p := m.comparePair()
		return p[0].ShortFormula(m.values(p[0]), m.frameOf(p[0])), p[1].ShortFormula(m.values(p[1]), m.frameOf(p[1]))
	}
	meth := m.method()
	f := meth.Formula(m.values(meth), m.frameOf(meth))
	return f[0], f[1]
}

// frameOf is what a method's formula shows values of: the problem and
// the step shown of its run.
func (m *Model) frameOf(meth *method.Method) method.Frame {
	f := method.Frame{Sigma: m.set.Sigma, Linear: m.prob == nil || m.prob.Op.Linear(),
		AlphaBarT: math.NaN(), Residual: math.NaN()}
	if rec, ok := m.record(m.runs.get(meth.Name)); ok {
		f.AlphaBarT, f.Residual = rec.AlphaBar, rec.Residual
	}
	return f
}

// zeroGuidance reports whether a run's ‖g‖ has been 0 at each of its
// first steps (at least 3): guidance through an operator whose VJP is zero,
// such as quantisation's, does nothing.
func zeroGuidance(s *slot) bool {
	if len(s.steps) < 3 {
		return false
	}
	for _, sd := range s.steps {
		if sd.Rec.GNorm != 0 {
			return false
		}
	}
	return true
}

// noticeLine is the line of errors and notices.
func (m *Model) noticeLine() string {
	st := m.Styles
	if m.prompting() {
		return m.promptView() + st.Dim.Render("   step N · t N · σ X · "+paramNames()+" X · digit D · image N   enter · esc")
	}
	if m.probErr != nil {
		return st.Error.Render("problem: " + m.probErr.Error())
	}
	var parts []string
	for _, meth := range m.shownMethods() {
		s := m.runs.get(meth.Name)
		if s != nil && !meth.Baseline && zeroGuidance(s) {
			parts = append(parts, st.Notice.Render(meth.Label+": ‖g‖ = 0 at every step so far: the operator passes no gradient back (its VJP is zero), so this guidance does nothing"))
		}
		if s != nil && s.exactErr != nil {
			parts = append(parts, st.Error.Render(meth.Label+": no exact comparison: "+s.exactErr.Error()))
		}
		if s != nil && s.replay.err != nil && len(s.steps) > 0 && s.replay.errAt == m.shownStep(s) {
			parts = append(parts, st.Error.Render(s.replay.err.Error())) // a panel has room for its first words only
		}
		if s == nil || s.err == nil {
			continue
		}
		var de *run.DivergedError
		if errors.As(s.err, &de) {
			parts = append(parts, st.Error.Render(fmt.Sprintf("%s diverged at step %d (t = %d): %s", meth.Label, de.Step+1, de.T, de.Reason)))
		} else {
			parts = append(parts, st.Error.Render(meth.Label+": "+s.err.Error()))
		}
	}
	if m.notice != "" {
		parts = append(parts, st.Notice.Render(m.notice))
	}
	switch post := &m.runs.post; {
	case post.pending:
		parts = append(parts, st.Dim.Render("exact posterior: computing…"))
	case errors.Is(post.err, errNoExact):
		parts = append(parts, st.Dim.Render("exact posterior: n/a"))
	case post.err != nil:
		parts = append(parts, st.Error.Render("exact posterior: "+post.err.Error()))
	}
	return strings.Join(parts, st.Dim.Render("  ·  "))
}

// frame is where the layout puts its images, for the gfx component.
func (m *Model) frame() gfx.Frame {
	lay := m.layout()
	// The rows above the panels (the tour's box) move them too.
	f := gfx.Frame{Sig: [4]int{len(lay.panels) | lay.below<<16, lay.cols, lay.pw, lay.ph}}
	for i, p := range lay.panels {
		if p.image != nil {
			f.Images = append(f.Images, gfx.Placed{Pos: i, ID: p.id, Key: p.key, Map: p.m, Rect: lay.rect(i), Image: p.image})
		}
	}
	return f
}
