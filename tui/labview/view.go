package labview

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Column widths of the distances table.
const (
	numW   = 4 // a bar's number, "0.31"
	colGap = 2
)

// View draws the lab view in its size: as many lines as its height, none
// wider than its width.
func (m Model) View() string {
	w, h := max(m.width, 1), max(m.height, 1)
	st := m.Styles
	head := []string{m.header()}
	if m.err != nil {
		head = append(head, "", st.Error.Render("lab: "+m.err.Error()))
		return m.assemble(head, nil, nil, nil, w, h)
	}
	head = append(head, st.Dim.Render(" "+m.note(w-1)))
	if m.rep == nil {
		head = append(head, "", st.Dim.Render(" computing the exact posterior and its reference samples…"))
		return m.assemble(head, nil, nil, nil, w, h)
	}
	caption := st.Dim.Render(fit(m.caption(), w))
	table := m.table()
	legend := st.Dim.Render(fit(" TV ½Σ|f−π'| · SW sliced W2 to the exact posterior (90% bootstrap) · cover: exact mass in the samples' 90% bands · floor: exact sampler's median and 5–95%", w))
	// Optional lines go first when space is short; then components.
	rows := h - len(head) - len(table) // for the bars, their head included
	opt := []string{"", caption, "", legend}
	for len(opt) > 0 && rows-len(opt) < m.components()+1 {
		opt = opt[1:]
	}
	rows -= len(opt)
	bars := m.middle(w, rows)
	var top, mid []string
	switch len(opt) {
	case 4:
		top, mid = opt[:2], opt[2:3]
		table = append(table, opt[3])
	case 3:
		top, mid = opt[:1], opt[1:2]
		table = append(table, opt[2])
	case 2:
		top = opt[:1]
		table = append(table, opt[1])
	case 1:
		table = append(table, opt[0])
	}
	head = append(head, top...)
	return m.assemble(head, bars, mid, table, w, h)
}

// assemble stacks the sections, fits each line to w and pads to h lines.
func (m Model) assemble(head, bars, mid, table []string, w, h int) string {
	var lines []string
	for _, sec := range [][]string{head, bars, mid, table} {
		lines = append(lines, sec...)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// header is the title line with the batch's progress at the right.
func (m Model) header() string {
	st := m.Styles
	s := m.prob.Settings
	left := fmt.Sprintf(" tweedie lab │ %s │ σ = %s │ %s ", s.Op, fmtG(s.Sigma), m.prob.TruthName)
	var right string
	switch {
	case m.err != nil:
		right = st.Error.Render(" failed ")
	case m.rep == nil:
		right = st.Progress.Render(" starting… ")
	case !m.fin:
		right = st.Progress.Render(fmt.Sprintf(" running %d/%d ", m.done, m.total))
	default:
		right = st.Progress.Render(fmt.Sprintf(" done %d/%d ", m.done, m.total))
	}
	l := st.Title.Render(left)
	pad := m.width - ansi.StringWidth(l) - ansi.StringWidth(right)
	if pad < 0 {
		return ansi.Truncate(l, max(m.width-ansi.StringWidth(right), 0), "…") + right
	}
	return l + strings.Repeat(" ", pad) + right
}

// note says which seeds and steps the batch uses, and why, in w cells
// when it can.
func (m Model) note(w int) string {
	s := m.prob.Settings
	explorer, steps := s.Steps, m.steps(m.prob)
	seeds := fmt.Sprintf("seeds %d–%d · %s %d steps", s.Seed, s.Seed+uint64(m.cfg.Seeds)-1, s.Sampler, steps)
	var why string
	switch {
	case steps < explorer:
		why = fmt.Sprintf(" for speed, not the explorer's %d (f)", explorer)
	case m.full && explorer > m.cfg.FastSteps:
		why = fmt.Sprintf(" as in the explorer (f: fast, %d)", m.cfg.FastSteps)
	default:
		why = " as in the explorer"
	}
	workers := fmt.Sprintf(" · %d worker%s", m.cfg.Workers, plural(m.cfg.Workers))
	if ansi.StringWidth(seeds+why+workers) > w {
		workers = ""
	}
	return seeds + why + workers
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// components is the number of mixture components.
func (m Model) components() int {
	if m.rep != nil {
		return len(m.rep.Weights)
	}
	if m.prob.Prior != nil {
		return len(m.prob.Prior.Components)
	}
	return 0
}

func (m Model) label(k int) string {
	if k < len(m.prob.Labels) {
		return m.prob.Labels[k]
	}
	return strconv.Itoa(k)
}

// bars is the chart of components in rows lines: a head line, then one
// line per component, or when they do not fit, the rows − 2 most likely
// (under the exact weights or any method) and a line of the rest.
func (m Model) bars(w, rows int) []string {
	st := m.Styles
	rep := m.rep
	K := len(rep.Weights)
	title := m.prob.LabelTitle
	if title == "" {
		title = "k"
	}
	labelW := ansi.StringWidth(title)
	for k := range K {
		labelW = max(labelW, ansi.StringWidth(m.label(k)))
	}
	labelW += 2 // a leading space and a gap
	cols := 1 + len(rep.Results)
	barW := min(max((w-labelW)/cols-numW-1-colGap, 3), 30)
	colW := barW + 1 + numW + colGap

	// The components shown: all, or the most likely under any column.
	show := make([]int, K)
	for k := range show {
		show[k] = k
	}
	if rows < 3 {
		return nil
	}
	more := K+1 > rows
	if more {
		score := func(k int) float64 {
			s := rep.Weights[k]
			for _, r := range rep.Results {
				if v := r.Frequencies[k]; !math.IsNaN(v) && r.Runs > 0 {
					s = math.Max(s, v)
				}
			}
			return s
		}
		slices.SortStableFunc(show, func(a, b int) int {
			if d := score(b) - score(a); d != 0 {
				if d > 0 {
					return 1
				}
				return -1
			}
			return a - b
		})
		show = show[:rows-2]
		slices.Sort(show)
	}

	var lines []string
	var b strings.Builder
	b.WriteString(st.Label.Render(padLeft(title, labelW-2) + "  "))
	b.WriteString(st.Exact.Render(padRight("exact π'", colW)))
	for i, r := range rep.Results {
		b.WriteString(m.barStyle(i).Render(padRight(fit(r.Label, colW-1), colW)))
	}
	lines = append(lines, b.String())

	row := func(name string, exact float64, freq func(i int) (float64, bool)) string {
		var b strings.Builder
		b.WriteString(st.Label.Render(padLeft(name, labelW-2) + "  "))
		b.WriteString(st.Exact.Render(m.bar(exact, barW)) + " " + st.Value.Render(fmtF(exact)) + strings.Repeat(" ", colGap))
		for i := range rep.Results {
			v, ok := freq(i)
			if !ok {
				b.WriteString(strings.Repeat(" ", barW) + " " + st.Dim.Render(padLeft("–", numW)) + strings.Repeat(" ", colGap))
				continue
			}
			b.WriteString(m.barStyle(i).Render(m.bar(v, barW)) + " " + st.Value.Render(fmtF(v)) + strings.Repeat(" ", colGap))
		}
		return strings.TrimRight(b.String(), " ")
	}
	converged := func(i int) bool {
		r := rep.Results[i]
		return r.Runs > 0 && !math.IsNaN(r.TV)
	}
	for _, k := range show {
		lines = append(lines, row(m.label(k), rep.Weights[k], func(i int) (float64, bool) {
			return rep.Results[i].Frequencies[k], converged(i)
		}))
	}
	if more {
		rest := func(f []float64) float64 {
			s := 0.0
			for k, v := range f {
				if !slices.Contains(show, k) {
					s += v
				}
			}
			return s
		}
		name := fmt.Sprintf("+%d", K-len(show))
		lines = append(lines, row(name, rest(rep.Weights), func(i int) (float64, bool) {
			return rest(rep.Results[i].Frequencies), converged(i)
		}))
	}
	return lines
}

func (m Model) barStyle(i int) lipgloss.Style {
	return m.Styles.Bars[i%len(m.Styles.Bars)]
}

// eighths are the left-aligned block elements of 0/8 … 8/8 of a cell.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"}

// bar draws v ∈ [0, 1] as a bar barW cells long, in eighths of a cell; a
// positive v shows at least an eighth.
func (m Model) bar(v float64, barW int) string {
	if math.IsNaN(v) {
		return strings.Repeat(" ", barW)
	}
	n := int(math.Round(math.Min(math.Max(v, 0), 1) * float64(barW*8)))
	if v > 0 && n == 0 {
		n = 1
	}
	full, rem := n/8, n%8
	var b strings.Builder
	if m.ASCII {
		if rem >= 4 || (full == 0 && n > 0) {
			full++
		}
		full = min(full, barW)
		b.WriteString(strings.Repeat("#", full))
		b.WriteString(strings.Repeat(" ", barW-full))
		return b.String()
	}
	b.WriteString(strings.Repeat("█", full))
	used := full
	if rem > 0 {
		b.WriteString(eighths[rem])
		used++
	}
	b.WriteString(strings.Repeat(" ", barW-used))
	return b.String()
}

// table is the distances of each method to the exact posterior, and the
// floor band an exact sampler reaches with as many samples (median; the
// 5–95% band under SW 90% when the width allows that column).
func (m Model) table() []string {
	st := m.Styles
	rep := m.rep
	nameW := len("exact (floor)")
	for _, r := range rep.Results {
		nameW = max(nameW, ansi.StringWidth(r.Label))
	}
	heads := []string{"runs", "div", "TV", "SW", "SW 90%", "PSNR dB", "cover", "truth", "NFE"}
	widths := []int{7, 6, 7, 7, 14, 8, 7, 7, 10}
	total := 1 + nameW
	for _, w := range widths {
		total += w
	}
	withCI := total <= m.width
	var b strings.Builder
	b.WriteString(st.Label.Render(" " + padRight("method", nameW)))
	for i, h := range heads {
		if i == 4 && !withCI {
			continue
		}
		b.WriteString(st.Label.Render(column(h, widths[i])))
	}
	lines := []string{b.String()}
	cell := func(i int, s string) string {
		if i == 4 && !withCI {
			return ""
		}
		if s == "–" {
			return st.Dim.Render(column(s, widths[i]))
		}
		return st.Value.Render(column(s, widths[i]))
	}
	for _, i := range rep.Ranked() { // closest to the exact posterior first
		r := rep.Results[i]
		b.Reset()
		b.WriteString(" " + m.barStyle(i).Render(padRight(r.Label, nameW)))
		b.WriteString(cell(0, fmt.Sprintf("%d/%d", r.Runs, rep.Seeds)))
		b.WriteString(cell(1, fmtNum(r.Diverged, "%.2f")))
		b.WriteString(cell(2, fmtNum(r.TV, "%.3f")))
		b.WriteString(cell(3, fmtNum(r.SW, "%.3f")))
		b.WriteString(cell(4, fmtCI(r.SWCI)))
		b.WriteString(cell(5, fmtNum(r.PSNR, "%.2f")))
		b.WriteString(cell(6, fmtNum(r.Coverage, "%.3f")))
		b.WriteString(cell(7, fmtNum(r.TruthCoverage, "%.3f")))
		b.WriteString(cell(8, fmtNFE(r.NFE, r.VJPs)))
		lines = append(lines, b.String())
	}
	b.Reset()
	b.WriteString(" " + st.Exact.Render(padRight("exact (floor)", nameW)))
	b.WriteString(strings.Repeat(" ", widths[0]+widths[1]))
	b.WriteString(cell(2, fmtNum(rep.TVFloor.Median, "%.3f")))
	b.WriteString(cell(3, fmtNum(rep.SWFloor.Median, "%.3f")))
	b.WriteString(cell(4, fmtCI(rep.SWFloor.Interval)))
	b.WriteString(strings.Repeat(" ", widths[5]))
	b.WriteString(cell(6, fmtNum(rep.CoverageFloor.Median, "%.3f")))
	lines = append(lines, b.String())
	return lines
}

// column right-aligns s in a column w cells wide, after at least one
// space: a figure wider than its column pushes the row on rather than
// running into its neighbour.
func column(s string, w int) string {
	return " " + padLeft(s, w-1)
}

func fmtNum(x float64, format string) string {
	if math.IsNaN(x) {
		return "–"
	}
	if math.Abs(x) >= 1000 && strings.HasPrefix(format, "%.") && strings.HasSuffix(format, "f") {
		format = "%.4g" // 197.798 fits; 1.23e+04 rather than 12345.678
	}
	return fmt.Sprintf(format, x)
}

func fmtF(x float64) string {
	if math.IsNaN(x) {
		return padLeft("–", numW)
	}
	if x > 0 && x < 0.005 {
		return "<.01" // not nothing: its bar shows an eighth
	}
	return fmt.Sprintf("%.2f", x)
}

func fmtG(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3g", x)
}

func fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, max(w, 0), "…")
}

func padRight(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

func padLeft(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// fmtNFE is a sample's network evaluations: denoiser calls, with VJPs
// after a plus ("100+200").
func fmtNFE(nfe, vjps float64) string {
	if nfe == 0 {
		return "–"
	}
	if vjps == 0 {
		return fmt.Sprintf("%.0f", nfe)
	}
	return fmt.Sprintf("%.0f+%.0f", nfe, vjps)
}
