package tui

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"tweedie/core/method"
	"tweedie/core/run"
)

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
