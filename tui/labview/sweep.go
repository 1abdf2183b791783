package labview

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"tweedie/core/lab"
	"tweedie/core/method"
)

// Sweep mode (key w): the batch runs the explorer's method over the values
// of its first numeric parameter that has keys (DPS's ζ, ΠG's r, …), at
// most maxSweepValues of its key ladder evenly picked, and the view shows
// the distances over the grid as a heat strip beside the floor band: a
// sensitivity map of the explorer's problem.

// maxSweepValues bounds the grid of the view's sweep.
const maxSweepValues = 9

// sweepParam is the explorer's method's parameter a sweep runs over.
func sweepParam(p Problem) (*method.Method, *method.Param, error) {
	m, err := method.Lookup(p.Settings.Method)
	if err != nil {
		return nil, nil, err
	}
	for i := range m.Params {
		if pa := &m.Params[i]; pa.Kind != method.Choice && len(pa.Ladder) >= 2 {
			return m, pa, nil
		}
	}
	return nil, nil, fmt.Errorf("%s has no numeric parameter with keys to sweep (w: back)", m.Label)
}

// SweepEntries are the entries of the view's sweep: the explorer's method
// at each picked value of its swept parameter.
func SweepEntries(p Problem, steps int) ([]lab.Entry, error) {
	if p.Prior == nil {
		return nil, errors.New("the lab needs an exact mixture prior")
	}
	if p.Settings.Sigma <= 0 {
		return nil, errors.New("the exact posterior needs σ > 0 (raise σ with S)")
	}
	m, pa, err := sweepParam(p)
	if err != nil {
		return nil, err
	}
	base := p.Settings
	base.Steps = steps
	prob, err := base.Problem(p.Prior, p.Truth)
	if err != nil {
		return nil, err
	}
	vals := pickLadder(pa.Ladder, maxSweepValues)
	var es []lab.Entry
	for _, v := range vals {
		s := base
		s.Params = s.Params.With(pa.Name, strconv.FormatFloat(v, 'g', -1, 64))
		rv, err := m.Resolve(s.Params, prob.Op)
		if err != nil {
			return nil, err
		}
		if err := m.Serves(prob.Offer, rv); err != nil {
			return nil, err
		}
		es = append(es, lab.Entry{Label: m.Describe(rv, pa.Name), Settings: s, Values: rv})
	}
	return es, nil
}

// pickLadder returns at most n of the ladder's values, evenly spread, the
// ends included.
func pickLadder(ladder []float64, n int) []float64 {
	if len(ladder) <= n {
		return append([]float64(nil), ladder...)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = ladder[i*(len(ladder)-1)/(n-1)]
	}
	return out
}

func (m Model) sweepCaption() string {
	_, pa, err := sweepParam(m.prob)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("sweep of %s over %s: distance to the exact posterior per value (w: back to the methods)", m.prob.Settings.Method, pa.Symbol)
}

// sweepMap is the heat strip: a row of values, then SW, its interval, TV
// and coverage per value, SW cells shaded from the closest (green) to the
// farthest (red) on a log scale, and the floor band.
func (m Model) sweepMap(w, rows int) []string {
	st := m.Styles
	rep := m.rep
	_, pa, err := sweepParam(m.prob)
	if err != nil || len(rep.Results) == 0 {
		return nil
	}
	const headW, cellW = 9, 13
	fitCols := max((w-headW-1)/cellW, 1)
	res := rep.Results
	if len(res) > fitCols {
		res = res[:fitCols]
	}
	lo, hi := 0.0, 0.0
	for _, r := range res {
		if r.SW > 0 && (lo == 0 || r.SW < lo) {
			lo = r.SW
		}
		hi = max(hi, r.SW)
	}
	line := func(head string, cell func(r lab.Result) string, style func(r lab.Result) func(...string) string) string {
		var b strings.Builder
		b.WriteString(st.Label.Render(" " + padRight(head, headW)))
		for _, r := range res {
			s := padLeft(cell(r), cellW-1) + " "
			b.WriteString(style(r)(s))
		}
		return b.String()
	}
	value := func(lab.Result) func(...string) string { return st.Value.Render }
	var b strings.Builder
	b.WriteString(st.Label.Render(" " + padRight(pa.Symbol, headW)))
	for i := range res {
		v := "?"
		if i < len(m.entries) {
			v = m.entries[i].Values[pa.Name]
		}
		b.WriteString(st.Label.Render(padLeft(v, cellW-1) + " "))
	}
	lines := []string{b.String()}
	lines = append(lines, line("SW", func(r lab.Result) string { return fmtNum(r.SW, "%.3f") }, func(r lab.Result) func(...string) string {
		return st.Heat[heatLevel(r.SW, lo, hi, len(st.Heat))].Render
	}))
	lines = append(lines, line("SW 90%", func(r lab.Result) string { return fmtCI(r.SWCI) }, value))
	lines = append(lines, line("TV", func(r lab.Result) string { return fmtNum(r.TV, "%.3f") }, value))
	lines = append(lines, line("cover", func(r lab.Result) string { return fmtNum(r.Coverage, "%.3f") }, value))
	lines = append(lines, line("div", func(r lab.Result) string { return fmtNum(r.Diverged, "%.2f") }, value))
	lines = append(lines, st.Dim.Render(fmt.Sprintf(" exact sampler with %d seeds: SW %s (%s), TV %s", rep.Seeds,
		fmtNum(rep.SWFloor.Median, "%.3f"), fmtCI(rep.SWFloor.Interval), fmtNum(rep.TVFloor.Median, "%.3f"))))
	if len(lines) > rows {
		lines = lines[:rows]
	}
	return lines
}
