package sampler

import (
	"math"
	"testing"

	"tweedie/core/schedule"
)

// TestDDPMFullGridMatchesPaper: on consecutive steps the respaced formula
// reduces to the DDPM paper's c0, c1 and β̃_t.
func TestDDPMFullGridMatchesPaper(t *testing.T) {
	s := schedule.Default()
	for _, tt := range []int{2, 10, 500, 1000} {
		abT, abS := s.AlphaBar[tt], s.AlphaBar[tt-1]
		alpha := abT / abS
		beta := 1 - alpha
		c0 := math.Sqrt(abS) * beta / (1 - abT)
		c1 := math.Sqrt(alpha) * (1 - abS) / (1 - abT)
		tilde := beta * (1 - abS) / (1 - abT)
		got := DDPM.StepCoeffs(abT, abS, 0)
		if math.Abs(got.A-c0) > 1e-15 || math.Abs(got.B-c1) > 1e-15 || math.Abs(got.C*got.C-tilde) > 1e-15 {
			t.Errorf("t=%d: %+v, want A=%v B=%v C²=%v", tt, got, c0, c1, tilde)
		}
	}
}

// TestDDIMEtaOneIsDDPM: DDIM with η = 1 is ancestral sampling on any grid.
func TestDDIMEtaOneIsDDPM(t *testing.T) {
	s := schedule.Default()
	for _, pair := range [][2]int{{1000, 990}, {500, 400}, {20, 1}, {2, 1}} {
		abT, abS := s.AlphaBar[pair[0]], s.AlphaBar[pair[1]]
		a, b := DDPM.StepCoeffs(abT, abS, 0), DDIM.StepCoeffs(abT, abS, 1)
		if math.Abs(a.A-b.A) > 1e-12 || math.Abs(a.B-b.B) > 1e-12 || math.Abs(a.C-b.C) > 1e-12 {
			t.Errorf("%v: DDPM %+v, DDIM(1) %+v", pair, a, b)
		}
	}
}

// TestDDIMEtaZeroFormula checks DDIM(0) against x_s = sqrt(ᾱ_s)·x̂0 + sqrt(1−ᾱ_s)·ε̂.
func TestDDIMEtaZeroFormula(t *testing.T) {
	abT, abS := 0.3, 0.6
	x0, xt := 0.7, -1.2
	eps := (xt - math.Sqrt(abT)*x0) / math.Sqrt(1-abT)
	want := math.Sqrt(abS)*x0 + math.Sqrt(1-abS)*eps
	c := DDIM.StepCoeffs(abT, abS, 0)
	if got := c.A*x0 + c.B*xt; math.Abs(got-want) > 1e-14 || c.C != 0 {
		t.Errorf("got %v (C=%v), want %v", got, c.C, want)
	}
}

// TestLastStepReturnsX0Hat: stepping to ᾱ_0 = 1 gives x̂0 with no noise.
func TestLastStepReturnsX0Hat(t *testing.T) {
	s := schedule.Default()
	for _, k := range []Kind{DDPM, DDIM} {
		c := k.StepCoeffs(s.AlphaBar[5], 1, 1)
		if math.Abs(c.A-1) > 1e-15 || math.Abs(c.B) > 1e-15 || math.Abs(c.C) > 1e-15 {
			t.Errorf("%v: last step %+v", k, c)
		}
	}
}

func TestNoiseDeterministic(t *testing.T) {
	a := NewNoise(7).Fill(make([]float64, 100))
	b := NewNoise(7).Fill(make([]float64, 100))
	c := NewNoise(8).Fill(make([]float64, 100))
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different noise")
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("different seeds, same noise")
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{DDPM, DDIM} {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	if _, err := ParseKind("euler"); err == nil {
		t.Error("accepted euler")
	}
}
