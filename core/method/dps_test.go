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
