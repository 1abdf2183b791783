package tui

import (
	"fmt"
	"math"
	"strings"

	"tweedie/core/run"
	"tweedie/tui/chart"
	"tweedie/tui/halfblock"
)

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
