package method

import (
	"strings"
	"testing"
)

// TestSpectralRefusals: the projection methods refuse nonlinear operators.
func TestSpectralRefusals(t *testing.T) {
	for _, name := range []string{"ddrm", "ddnm", "ddnm+", "mcg"} {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range []string{"phase", "quantize:levels=4"} {
			if err := m.Serves(offerFor(t, spec, 0), nil); err == nil {
				t.Errorf("%s serves %s", name, spec)
			}
			if _, err := newFixture(t, spec).bind(t, name, 0.1, nil); err == nil {
				t.Errorf("%s bound to %s", name, spec)
			}
		}
		for _, spec := range spectralSpecs {
			if err := m.Serves(offerFor(t, spec, 0), nil); err != nil {
				t.Errorf("%s on %s: %v", name, spec, err)
			}
		}
		// Without the capability the refusal names what is missing.
		o := offerFor(t, "sr:factor=2", 0)
		o.Caps &^= Spectral
		if err := m.Serves(o, nil); err == nil || !strings.Contains(err.Error(), "singular value decomposition") {
			t.Errorf("%s without Spectral: %v", name, err)
		}
	}
}

// TestSpectralEtaRange: η and η_b outside [0, 1] are refused at Bind.
func TestSpectralEtaRange(t *testing.T) {
	for _, c := range []struct {
		name string
		v    Values
	}{{"ddrm", Values{"step-eta": "1.5"}}, {"ddrm", Values{"eta-b": "2"}}, {"ddnm", Values{"step-eta": "1.01"}}, {"ddnm+", Values{"step-eta": "3"}}} {
		if _, err := newFixture(t, "sr:factor=2").bind(t, c.name, 0.1, c.v); err == nil || !strings.Contains(err.Error(), "[0, 1]") {
			t.Errorf("%s %v: %v", c.name, c.v, err)
		}
	}
	if _, err := newFixture(t, "sr:factor=2").bind(t, "ddrm", 0.1, Values{"step-eta": "0", "eta-b": "1"}); err != nil {
		t.Error(err)
	}
}

// TestProjectionFormulas: the panels show the parameters' and the frame's
// values, and dashes before the first step.
func TestProjectionFormulas(t *testing.T) {
	frame := Frame{AlphaBarT: 0.5, Residual: 2, Sigma: 0.05, Linear: true}
	for _, c := range []struct {
		name string
		v    Values
		want []string
	}{
		{"ddrm", Values{"step-eta": "0.7", "eta-b": "0.9"}, []string{"η = 0.7", "η_b = 0.9", "σ_y = 0.05", "σ_t = 1", "ȳ_i/s_i"}},
		{"ddnm", Values{"step-eta": "0.7"}, []string{"η = 0.7", "A†(A x̂0 − y)", "= 2"}},
		{"ddnm+", Values{"step-eta": "0.7"}, []string{"η = 0.7", "σ_y = 0.05", "λ_i"}},
		{"mcg", Values{"zeta": "0.4"}, []string{"ζ = 0.4", "= 2", "A†A"}},
	} {
		m, _ := Lookup(c.name)
		f := m.Formula(c.v, frame)
		both := f[0] + "\n" + f[1] + "\n" + m.ShortFormula(c.v, frame)
		for _, w := range c.want {
			if !strings.Contains(f[0]+f[1], w) {
				t.Errorf("%s's panel lacks %q:\n%s", c.name, w, both)
			}
		}
		if !strings.Contains(m.ShortFormula(c.v, frame), m.Label+" ") {
			t.Errorf("%s's short rule %q", c.name, m.ShortFormula(c.v, frame))
		}
		nf := m.Formula(c.v, Frame{AlphaBarT: nan(), Residual: nan(), Sigma: 0.1})
		if strings.Contains(nf[0]+nf[1], "NaN") {
			t.Errorf("%s before the first step: %q", c.name, nf)
		}
	}
}

// TestSpectralGuidesNoAllocs: a step of DDRM, DDNM or DDNM+ allocates nothing.
func TestSpectralGuidesNoAllocs(t *testing.T) {
	for _, name := range []string{"ddrm", "ddnm", "ddnm+"} {
		for _, spec := range []string{"sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=5"} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, name, 0.1, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := len(f.xt)
			out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d), Xs: make([]float64, d)}
			if n := testing.AllocsPerRun(10, func() { g.Guide(t.Context(), f.st, out) }); n != 0 {
				t.Errorf("%s on %s: %v allocations a step", name, spec, n)
			}
		}
	}
}
