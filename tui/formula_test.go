package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"tweedie/core/guidance"
	"tweedie/core/run"
)

// TestFormulaShortMatchesFull: compare mode's one-line rule is the full
// rule's: ΠG's pseudo-inverse form for a nonlinear operator, its
// weighting, DPS's likelihood form.
func TestFormulaShortMatchesFull(t *testing.T) {
	rec := run.Record{AlphaBar: 0.5, Residual: 2}
	for _, c := range []struct {
		name    string
		meth    guidance.Method
		edit    func(*guidance.Params)
		linear  bool
		want    []string
		notWant []string
	}{
		{"ΠG linear tweedie", guidance.PiG, nil, true,
			[]string{"(r_t² AAᵀ + σ² I)⁻¹", "x̂0 ← x̂0 + 0.707·w·g"}, []string{"A†"}},
		{"ΠG nonlinear", guidance.PiG, nil, false,
			[]string{"A†(y) − A†(A(x̂0))"}, []string{"AAᵀ"}},
		{"ΠG pigdm", guidance.PiG, func(p *guidance.Params) { p.Weighting = guidance.PiGDM }, true,
			[]string{"x_s ← x_s + √(ᾱ_s ᾱ_t) · w · g"}, []string{"x̂0 ←"}},
		{"ΠG alphabar", guidance.PiG, func(p *guidance.Params) { p.Weighting = guidance.AlphaBar }, false,
			[]string{"A†", "x_s ← x_s + ᾱ_s ᾱ_t · w · g"}, []string{"x̂0 ←", "√(ᾱ_s"}},
		{"DPS norm", guidance.DPS, nil, true,
			[]string{"ζ ∇‖y − A(x̂0)‖"}, []string{"2σ²"}},
		{"DPS likelihood", guidance.DPS, func(p *guidance.Params) { p.DPSForm = guidance.DPSLikelihood }, true,
			[]string{"x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g", "−∇‖y − A(x̂0)‖²/(2σ²)"}, []string{"x_{t−1}"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := run.DefaultSettings().Guidance
			if c.edit != nil {
				c.edit(&p)
			}
			short := formulaShort(c.meth, p, 0.05, c.linear, rec, true)
			for _, w := range c.want {
				if !strings.Contains(short, w) {
					t.Errorf("%q lacks %q", short, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(short, w) {
					t.Errorf("%q has %q", short, w)
				}
			}
			// Whatever the full rule says of g, the short one says too.
			l1, l2 := formula(c.meth, p, 0.05, c.linear, rec, true)
			if c.meth == guidance.PiG {
				rule, _, _ := strings.Cut(strings.TrimPrefix(l1, "ΠG  "), "   ") // g, without its values
				if !strings.Contains(short, rule) {
					t.Errorf("short %q lacks the full rule's %q", short, rule)
				}
				if step := pigStep(p.Weighting); p.Weighting != guidance.Tweedie && (!strings.Contains(l2, step) || !strings.Contains(short, step)) {
					t.Errorf("short %q or full %q lacks the step %q", short, l2, step)
				}
			}
		})
	}
}

// TestCompareFormulaNonlinear: comparing on a nonlinear operator shows
// ΠG's pseudo-inverse rule, not the linear one.
func TestCompareFormulaNonlinear(t *testing.T) {
	o := testOptions()
	o.Settings.Op = "quantize:levels=5"
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	drain(m, m.Init())
	drain(m, press(m, "c"))
	f1, _ := m.formulaLines()
	if !strings.Contains(f1, "A†") || strings.Contains(f1, "AAᵀ") {
		t.Errorf("ΠG on %s in compare mode: %q", m.prob.Op.Name(), ansi.Strip(f1))
	}
}
