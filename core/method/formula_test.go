package method

import (
	"strings"
	"testing"
)

// TestFormulaShortMatchesFull: each method's one-line rule says what its
// full rule says: ΠG's pseudo-inverse form for a nonlinear operator, its
// weighting, DPS's likelihood form.
func TestFormulaShortMatchesFull(t *testing.T) {
	frame := func(linear bool) Frame { return Frame{AlphaBarT: 0.5, Residual: 2, Sigma: 0.05, Linear: linear} }
	for _, c := range []struct {
		name, meth string
		v          Values
		linear     bool
		want       []string
		notWant    []string
	}{
		{"ΠG linear tweedie", "pig", Values{"r": "auto", "weight": "1", "weighting": "tweedie"}, true,
			[]string{"(r_t² AAᵀ + σ² I)⁻¹", "x̂0 ← x̂0 + 0.707·w·g", "r_t = 0.707"}, []string{"A†"}},
		{"ΠG nonlinear", "pig", Values{"r": "0.3", "weight": "1", "weighting": "tweedie"}, false,
			[]string{"A†(y) − A†(A(x̂0))", "r_t = 0.3"}, []string{"AAᵀ"}},
		{"ΠG pigdm", "pig", Values{"r": "auto", "weight": "2", "weighting": "pigdm"}, true,
			[]string{"x_s ← x_s + √(ᾱ_s ᾱ_t) · w · Jᵀ(A†y − A†A x̂0)", "w = 2"}, []string{"x̂0 ←"}},
		{"DPS norm", "dps", Values{"dps-form": "norm", "zeta": "0.5"}, true,
			[]string{"ζ ∇‖y − A(x̂0)‖", "ζ = 0.5"}, []string{"2σ²"}},
		{"DPS squared", "dps", Values{"dps-form": "squared", "zeta": "0.25"}, true,
			[]string{"ζ ∇‖y − A(x̂0)‖²", "ζ = 0.25"}, []string{"2σ²"}},
		{"DPS gradnorm", "dps", Values{"dps-form": "gradnorm", "zeta": "0.5"}, true,
			[]string{"/ ‖∇‖y − A(x̂0)‖‖", "ζ = 0.5"}, []string{"2σ²"}},
		{"TMPD-diag", "tmpd", nil, true,
			[]string{tmpdRule, "γ_t = 0.707", "σ = 0.05"}, nil},
		{"MMPS cg", "mmps", Values{"mmps-solve": "cg", "cg-iters": "3"}, true,
			[]string{mmpsRule, "γ_t = 0.707", "n_CG = 3"}, []string{"exact"}},
		{"MMPS exact", "mmps", Values{"mmps-solve": "exact", "cg-iters": "1"}, true,
			[]string{mmpsRule, "exact solve"}, []string{"n_CG"}},
		{"DPS likelihood", "dps", Values{"dps-form": "likelihood", "zeta": "1"}, true,
			[]string{"x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g", "−∇‖y − A(x̂0)‖²/(2σ²)"}, []string{"x_{t−1}"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, _ := Lookup(c.meth)
			short := m.ShortFormula(c.v, frame(c.linear))
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
			full := m.Formula(c.v, frame(c.linear))
			if c.meth == "pig" {
				rule, _, _ := strings.Cut(strings.TrimPrefix(full[0], "ΠG  "), "   ") // g, without its values
				if !strings.Contains(short, rule) {
					t.Errorf("short %q lacks the full rule's %q", short, rule)
				}
				if c.v["weighting"] == "pigdm" && (!strings.Contains(full[1], pigdmStep) || !strings.Contains(short, pigdmStep)) {
					t.Errorf("short %q or full %q lacks the step %q", short, full[1], pigdmStep)
				}
			}
		})
	}
	// Before the first step the values are dashes, not NaN.
	m, _ := Lookup("oracle")
	if f := m.Formula(nil, Frame{AlphaBarT: nan(), Residual: nan(), Sigma: 0.1}); strings.Contains(f[1], "NaN") {
		t.Errorf("formula before the first step: %q", f[1])
	}
}
