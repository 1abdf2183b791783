package tui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/tui/labview"
)

// Smallest window the explorer draws in.
const (
	MinWidth  = 40
	MinHeight = 16
)

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
