package method

import (
	"math"
	"testing"
)

// TestDDRMMatchesDense: DDRM's step, per component of gonum's SVD of the
// dense A, for each branch (σ_y = 0: every observed component takes y;
// larger σ_y: some or all pull the residual in instead).
func TestDDRMMatchesDense(t *testing.T) {
	for _, spec := range spectralSpecs {
		for _, c := range []struct {
			sigma float64
			v     Values
		}{
			{0, Values{}},
			{0.3, Values{}},
			{1, Values{"step-eta": "0.3", "eta-b": "0.6"}},
			{0.3, Values{"step-eta": "1", "eta-b": "0"}},
		} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, "ddrm", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			eta, etaB := 0.85, 1.0
			if c.v["step-eta"] != "" {
				eta, etaB = c.v.Float("step-eta"), c.v.Float("eta-b")
			}
			a := denseSVD(t, f.A)
			xb, eb, zb, yb := a.vt(f.st.X0Hat), a.vt(f.epsHat()), a.vt(f.st.Z), a.ut(f.y)
			sigS := math.Sqrt(0.4 / 0.6) // √(1−ᾱ_s)/√ᾱ_s
			cb := make([]float64, a.d)
			shift := make([]float64, a.d)
			for i := range cb {
				s := 0.0
				if i < a.m {
					s = a.s[i]
				}
				mean := xb[i] + math.Sqrt(1-eta*eta)*sigS*eb[i]
				switch {
				case s > 0 && s*sigS > c.sigma:
					m := etaB*yb[i]/s + (1-etaB)*xb[i]
					cb[i] = m + math.Sqrt(sigS*sigS-c.sigma*c.sigma*etaB*etaB/(s*s))*zb[i]
					shift[i] = m - mean
				case s > 0 && s*sigS < c.sigma:
					m := xb[i] + math.Sqrt(1-eta*eta)*sigS*(yb[i]-s*xb[i])/c.sigma
					cb[i] = m + eta*sigS*zb[i]
					shift[i] = m - mean
				default:
					cb[i] = mean + eta*sigS*zb[i]
				}
			}
			want := a.v(cb)
			for i := range want {
				want[i] *= math.Sqrt(0.6)
			}
			if e := absErr(out.Xs, want); e > 1e-10 {
				t.Errorf("%s σ=%v %v: x_s err %.2e", spec, c.sigma, c.v, e)
			}
			g0 := a.v(shift)
			for i := range g0 {
				g0[i] /= TweedieShift(0.5)
			}
			if e := absErr(out.ScoreY, g0); e > 1e-10 {
				t.Errorf("%s σ=%v %v: g err %.2e", spec, c.sigma, c.v, e)
			}
			if math.Abs(out.Residual-f.residual().Norm(2)) > 1e-12 {
				t.Errorf("residual %v", out.Residual)
			}
		}
	}
}

// TestDDRMMaskInPixels: on a mask at σ = 0 with η_b = 1, DDRM puts the
// observed pixels at √ᾱ_s·y + √(1−ᾱ_s)·z (y noised to the level s) and
// steps the missing ones by DDIM(η).
func TestDDRMMaskInPixels(t *testing.T) {
	f := newFixture(t, "inpaint-box:size=2")
	f.withStep()
	g, err := f.bind(t, "ddrm", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := f.replace(t, g)
	eps := f.epsHat()
	j := 0
	for i, m := range f.op.(interface{ Mask() []float64 }).Mask() {
		var want float64
		if m == 1 {
			want = math.Sqrt(0.6)*f.y[j] + math.Sqrt(0.4)*f.st.Z[i]
			j++
		} else {
			want = math.Sqrt(0.6)*f.st.X0Hat[i] + math.Sqrt(0.4)*(0.85*f.st.Z[i]+math.Sqrt(1-0.85*0.85)*eps[i])
		}
		if math.Abs(out.Xs[i]-want) > 1e-12 {
			t.Errorf("pixel %d (observed %v): %v, want %v", i, m == 1, out.Xs[i], want)
		}
	}
}

// TestDDRMLastStep: at s = 0 (ᾱ_s = 1) DDRM returns x̂0.
func TestDDRMLastStep(t *testing.T) {
	for _, sigma := range []float64{0, 0.2} {
		f := newFixture(t, "sr:factor=2")
		f.withStep()
		f.st.AlphaBarS = 1
		g, _ := f.bind(t, "ddrm", sigma, nil)
		if e := absErr(f.replace(t, g).Xs, f.st.X0Hat); e > 1e-12 {
			t.Errorf("σ=%v: x_0 − x̂0 = %.2e", sigma, e)
		}
	}
}
