package method

import (
	"math"
	"testing"
)

func TestDPSStep(t *testing.T) {
	f := newFixture(t, "inpaint-box:size=2")
	g, err := f.bind(t, "dps", 0.1, Values{"zeta": "0.7"})
	if err != nil {
		t.Fatal(err)
	}
	out := f.guide(t, g)
	// h = Jᵀ·Aᵀ·(y − A·x̂0); the r → 0 limit of ΠG at σ: h/σ².
	want := f.densePiG(0, 1)
	for i := range want {
		if math.Abs(out.ScoreY[i]-want[i]/0.01) > 1e-10*math.Abs(want[i]/0.01)+1e-12 {
			t.Fatalf("g[%d] = %v, want %v", i, out.ScoreY[i], want[i]/0.01)
		}
		if math.Abs(out.Corr[i]-0.7*want[i]/out.Residual) > 1e-12 {
			t.Fatalf("corr[%d] = %v, want ζ·h/‖res‖ = %v", i, out.Corr[i], 0.7*want[i]/out.Residual)
		}
	}
	if out.Target != ToXs {
		t.Errorf("target %v", out.Target)
	}
	// The likelihood form shifts x̂0 by ζ·(1−ᾱ)/sqrt(ᾱ)·h/σ².
	g, _ = f.bind(t, "dps", 0.1, Values{"zeta": "0.7", "dps-form": "likelihood"})
	out = f.guide(t, g)
	if out.Target != ToX0Hat || math.Abs(out.Corr[0]-0.7*0.5/math.Sqrt(0.5)*out.ScoreY[0]) > 1e-12 {
		t.Errorf("likelihood form: target %v, corr %v", out.Target, out.Corr[0])
	}
}

// TestDPSThroughQuantisationIsZero: the VJP of rounding is zero.
func TestDPSThroughQuantisationIsZero(t *testing.T) {
	f := newFixture(t, "quantize:levels=4")
	g, err := f.bind(t, "dps", 0.1, Values{"zeta": "1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.guide(t, g).ScoreY {
		if v != 0 {
			t.Fatal("DPS through quantisation is not zero")
		}
	}
}

// TestDPSDefaults: ζ as published per operator family, 1 in the likelihood form.
func TestDPSDefaults(t *testing.T) {
	m, _ := Lookup("dps")
	for spec, want := range map[string]string{"inpaint-box:size=2": "0.5", "sr:factor=2": "0.3", "phase": "1"} {
		f := newFixture(t, spec)
		v, err := m.Resolve(nil, f.op)
		if err != nil || v["zeta"] != want {
			t.Errorf("%s: ζ = %q (%v), want %s", spec, v["zeta"], err, want)
		}
		v, _ = m.Resolve(Values{"dps-form": "likelihood"}, f.op)
		if v["zeta"] != "1" {
			t.Errorf("%s likelihood: ζ = %q, want 1", spec, v["zeta"])
		}
	}
	if m.Needs(Values{"dps-form": "likelihood"})&PositiveSigma == 0 {
		t.Error("the likelihood form does not need σ > 0")
	}
}

// TestDPSForms: each form's step against h = Jᵀ·Aᵀ·(y − A·x̂0) computed
// densely: norm ζ·h/‖r‖, squared 2ζ·h (−ζ·∇‖r‖²), gradnorm ζ·h/‖h‖, all
// added to x_s; g = h/σ² whatever the form.
func TestDPSForms(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "svd:dy=5"} {
		f := newFixture(t, spec)
		h := f.densePiG(0, 1) // Jᵀ·Aᵀ·(y − A·x̂0)
		rn := f.residual().Norm(2)
		hn := 0.0
		for _, v := range h {
			hn += v * v
		}
		hn = math.Sqrt(hn)
		for form, scale := range map[string]float64{"norm": 0.7 / rn, "squared": 2 * 0.7, "gradnorm": 0.7 / hn} {
			g, err := f.bind(t, "dps", 0.1, Values{"zeta": "0.7", "dps-form": form})
			if err != nil {
				t.Fatal(err)
			}
			out := f.guide(t, g)
			for i := range h {
				if math.Abs(out.Corr[i]-scale*h[i]) > 1e-12*(1+math.Abs(scale*h[i])) {
					t.Fatalf("%s %s: corr[%d] = %v, want %v", spec, form, i, out.Corr[i], scale*h[i])
				}
				if math.Abs(out.ScoreY[i]-h[i]/0.01) > 1e-10*(1+math.Abs(h[i]/0.01)) {
					t.Fatalf("%s %s: g[%d] = %v, want h/σ² = %v", spec, form, i, out.ScoreY[i], h[i]/0.01)
				}
			}
			if out.Target != ToXs || math.Abs(out.Residual-rn) > 1e-12 {
				t.Errorf("%s %s: target %v, residual %v want %v", spec, form, out.Target, out.Residual, rn)
			}
		}
		// gradnorm's step has length ζ.
		g, _ := f.bind(t, "dps", 0.1, Values{"zeta": "0.3", "dps-form": "gradnorm"})
		out := f.guide(t, g)
		n := 0.0
		for _, v := range out.Corr {
			n += v * v
		}
		if math.Abs(math.Sqrt(n)-0.3) > 1e-12 {
			t.Errorf("%s gradnorm: step length %v, want ζ = 0.3", spec, math.Sqrt(n))
		}
	}
	m, _ := Lookup("dps")
	f := newFixture(t, "inpaint-box:size=2")
	for form, want := range map[string]string{"norm": "0.5", "squared": "0.25", "gradnorm": "0.5", "likelihood": "1"} {
		if v, err := m.Resolve(Values{"dps-form": form}, f.op); err != nil || v["zeta"] != want {
			t.Errorf("%s: default ζ %q (%v), want %s", form, v["zeta"], err, want)
		}
		if form != "likelihood" && m.Needs(Values{"dps-form": form})&PositiveSigma != 0 {
			t.Errorf("%s needs σ > 0", form)
		}
	}
}
