package method

import (
	"math"
	"testing"
)

// TestDDNMPlusMatchesDense: DDNM+'s step per component of gonum's SVD of
// the dense A, with λ_i, d1_i, d2_i written out from the paper's rules.
func TestDDNMPlusMatchesDense(t *testing.T) {
	for _, spec := range spectralSpecs {
		for _, c := range []struct{ sigma, eta float64 }{{0.3, 0.85}, {1, 0.85}, {0.05, 0.4}, {2, 0}} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, "ddnm+", c.sigma, Values{"step-eta": FormatFloat(c.eta)})
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			a := denseSVD(t, f.A)
			xb, eb, zb, yb := a.vt(f.st.X0Hat), a.vt(f.epsHat()), a.vt(f.st.Z), a.ut(f.y)
			al, sigS := math.Sqrt(0.6), math.Sqrt(0.4)
			cb, shift := make([]float64, a.d), make([]float64, a.d)
			for i := range cb {
				s := 0.0
				if i < a.m {
					s = a.s[i]
				}
				lam, d1, d2 := 1.0, sigS*c.eta, sigS*math.Sqrt(1-c.eta*c.eta)
				if s > 0 {
					if sigS < al*c.sigma/s {
						lam, d2 = s*sigS*math.Sqrt(1-c.eta*c.eta)/(al*c.sigma), 0
					} else {
						d1, d2 = math.Sqrt(sigS*sigS-al*al*c.sigma*c.sigma/(s*s)), 0
					}
					shift[i] = -lam * (xb[i] - yb[i]/s)
				}
				cb[i] = al*(xb[i]+shift[i]) + d1*zb[i] + d2*eb[i]
			}
			if e := absErr(out.Xs, a.v(cb)); e > 1e-10 {
				t.Errorf("%s σ=%v η=%v: x_s err %.2e", spec, c.sigma, c.eta, e)
			}
			gw := a.v(shift)
			for i := range gw {
				gw[i] /= TweedieShift(0.5)
			}
			if e := absErr(out.ScoreY, gw); e > 1e-10 {
				t.Errorf("%s σ=%v: g err %.2e", spec, c.sigma, e)
			}
		}
	}
}

// TestDDNMPlusAtSigmaZeroIsDDNM: with y exact DDNM+ is DDNM.
func TestDDNMPlusAtSigmaZeroIsDDNM(t *testing.T) {
	for _, spec := range spectralSpecs {
		f := newFixture(t, spec)
		f.withStep()
		gp, _ := f.bind(t, "ddnm+", 0, nil)
		g, _ := f.bind(t, "ddnm", 0, nil)
		if e := absErr(f.replace(t, gp).Xs, f.replace(t, g).Xs); e > 0 {
			t.Errorf("%s: DDNM+ − DDNM = %.2e", spec, e)
		}
	}
}

// TestDDNMPlusLastStep: at s = 0 with σ > 0, λ = 0 and x_0 = x̂0.
func TestDDNMPlusLastStep(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	f.withStep()
	f.st.AlphaBarS = 1
	g, _ := f.bind(t, "ddnm+", 0.1, nil)
	if e := absErr(f.replace(t, g).Xs, f.st.X0Hat); e > 1e-12 {
		t.Errorf("x_0 − x̂0 = %.2e", e)
	}
}

// TestDDNMPlusIsDDRMWithEtaB1: the two rules coincide per component when
// DDRM takes y fully (η_b = 1) — in x/√ᾱ units DDNM+'s λ_i and noise are
// DDRM's "before" and "after" cases — a cross-check of both. Only for
// σ > 0: at σ = 0 DDNM+ is DDNM, whose observed components keep ε̂'s share
// √(1−η²) of the noise where DDRM draws it fresh (the limit σ → 0 of DDNM+
// is DDRM's, not DDNM's).
func TestDDNMPlusIsDDRMWithEtaB1(t *testing.T) {
	for _, spec := range spectralSpecs {
		for _, sigma := range []float64{1e-9, 0.05, 0.3, 1} {
			f := newFixture(t, spec)
			f.withStep()
			gp, _ := f.bind(t, "ddnm+", sigma, Values{"step-eta": "0.7"})
			gr, _ := f.bind(t, "ddrm", sigma, Values{"step-eta": "0.7", "eta-b": "1"})
			if e := absErr(f.replace(t, gp).Xs, f.replace(t, gr).Xs); e > 1e-12 {
				t.Errorf("%s σ=%v: DDNM+ − DDRM(η_b = 1) = %.2e", spec, sigma, e)
			}
		}
	}
}
