package labview

import (
	"fmt"
	"math"
	"strings"

	"tweedie/core/lab"
	"tweedie/tui/chart"
	"tweedie/tui/halfblock"
)

// section is what the lab view shows between its header and its table
// (key t cycles through them).
type section int

const (
	// sectionComponents: the fraction of samples in each component beside π'.
	sectionComponents section = iota
	// sectionTime: the mode TV over time, TV_t per method and an exact
	// sampler's 95% bound.
	sectionTime
	// sectionCalibration: per posterior component, the samples against it.
	sectionCalibration
	sections
)

// short names the section in the help bar.
func (s section) short() string {
	return [...]string{"components", "over time", "calibration"}[s]
}

// caption is the line over a section.
func (m Model) caption() string {
	if m.sweep {
		return " " + m.sweepCaption()
	}
	switch m.section {
	case sectionTime:
		return " mode TV over time: ½Σ|mean p(k|x_t,y) − π'| over the seeds, from t = T (left) to 0; log scale (t: next view)"
	case sectionCalibration:
		return " per posterior component: mean error /√trΣ', spread trĈ/trΣ', variance along A, coverage (t: next view)"
	}
	return " fraction of samples in each component, beside the exact posterior weights π' (t: next view)"
}

// middle draws the current section in w × rows cells.
func (m Model) middle(w, rows int) []string {
	if m.sweep {
		return m.sweepMap(w, rows)
	}
	switch m.section {
	case sectionTime:
		return m.timeChart(w, rows)
	case sectionCalibration:
		return m.calibration(w, rows)
	}
	return m.bars(w, rows)
}

// timeChart is the chart of TV_t: a legend line, then the chart.
func (m Model) timeChart(w, rows int) []string {
	st := m.Styles
	rep := m.rep
	if rows < 4 || len(rep.Results) == 0 || len(rep.Results[0].Time) == 0 {
		return []string{st.Dim.Render(" no time-resolved figures yet")}
	}
	c := chart.New(w, rows-1)
	c.Styles = st.Chart
	c.Steps = len(rep.Results[0].Time)
	var legend strings.Builder
	legend.WriteString(" ")
	add := func(name string, col halfblock.RGB, vals []float64) {
		c.Series = append(c.Series, chart.Series{Name: name, Values: vals, Color: col})
		legend.WriteString(swatch(col) + " " + name + "  ")
	}
	for _, i := range rep.Ranked() {
		r := rep.Results[i]
		vals := make([]float64, len(r.Time))
		for j, p := range r.Time {
			vals[j] = p.TV
		}
		add(r.Label, st.Lines[i%len(st.Lines)], vals)
	}
	bound := make([]float64, c.Steps)
	for j, p := range rep.Results[0].Time {
		bound[j] = p.TVExactCI.Hi
	}
	add("exact sampler (95%)", st.ExactLine, bound)
	return append([]string{fit(legend.String(), w)}, strings.Split(c.View(), "\n")...)
}

// swatch is a coloured block for a legend.
func swatch(c halfblock.RGB) string {
	return fmt.Sprintf("\x1b[38;2;%d;%d;%dm━━\x1b[39m", c.R, c.G, c.B)
}

// calibrationShown: components with a smaller weight and frequency are
// left out of the calibration section.
const calibrationShown = 0.01

// calibration is the per-component table, as many rows as fit.
func (m Model) calibration(w, rows int) []string {
	st := m.Styles
	rep := m.rep
	nameW := len("method")
	for _, r := range rep.Results {
		nameW = max(nameW, len([]rune(r.Label)))
	}
	heads := []string{"comp", "π'", "f", "n", "err/√trΣ'", "trĈ/trΣ'", "var A", "exact", "cover"}
	// Widths with the space before each cell; %.3g takes up to 9
	// characters ("-1.23e-05").
	widths := []int{8, 7, 7, 6, 11, 10, 10, 10, 7}
	var b strings.Builder
	b.WriteString(st.Label.Render(" " + padRight("method", nameW)))
	for i, h := range heads {
		b.WriteString(st.Label.Render(cell(h, widths[i])))
	}
	lines := []string{b.String()}
	num := func(x float64, f string) string { return fmtNum(x, f) }
	for _, i := range rep.Ranked() {
		r := rep.Results[i]
		for _, c := range r.Calibration {
			if c.Weight < calibrationShown && c.Frequency < calibrationShown {
				continue
			}
			if len(lines) >= rows {
				return lines
			}
			cells := []string{m.label(c.Component), fmt.Sprintf("%.3f", c.Weight), fmt.Sprintf("%.3f", c.Frequency),
				fmt.Sprint(c.Samples), num(c.MeanErrorRel, "%.3f"), num(c.TraceRatio, "%.3f"), num(c.VarA, "%.3g"),
				num(c.VarAExact, "%.3g"), num(c.Coverage, "%.3f")}
			b.Reset()
			b.WriteString(" " + m.barStyle(i).Render(padRight(r.Label, nameW)))
			for j, s := range cells {
				b.WriteString(st.Value.Render(cell(s, widths[j])))
			}
			lines = append(lines, b.String())
		}
	}
	return lines
}

// cell is s right-aligned in w columns after a space, which it keeps
// when s is wider: "–" (no value) beside "0.000985" never reads as a
// negative number.
func cell(s string, w int) string { return " " + padLeft(s, w-1) }

// heatLevel is the heat style index of v among lo…hi on a log scale.
func heatLevel(v, lo, hi float64, levels int) int {
	if !(v > 0) || !(hi > lo) || lo <= 0 {
		return 0
	}
	f := (math.Log(v) - math.Log(lo)) / (math.Log(hi) - math.Log(lo))
	return min(max(int(f*float64(levels)), 0), levels-1)
}

// fmtCI is an interval as "lo–hi".
func fmtCI(iv lab.Interval) string {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return "–"
	}
	return fmt.Sprintf("%.3g–%.3g", iv.Lo, iv.Hi)
}
