package method

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestMCGMatchesDense: DPS's step on the norm, then the orthogonal
// projection x_s = (I − A†A)·x”_s + √ᾱ_s·A†y + √(1−ᾱ_s)·A†A·z, with
// gonum's pseudo-inverse and projector.
func TestMCGMatchesDense(t *testing.T) {
	for _, spec := range spectralSpecs {
		for _, c := range []struct {
			sigma float64
			v     Values
		}{{0.1, nil}, {0, Values{"zeta": "2"}}} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, "mcg", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			_, d := f.A.Dims()
			res := f.residual()
			var atr mat.VecDense
			atr.MulVec(f.A.T(), res)
			h := f.den.vjp(atr.RawVector().Data)
			zeta := 2.0
			if c.v == nil {
				zeta = 0.5 // DPS's inpainting value
				if spec[0] != 'i' || spec == "identity" {
					zeta = 0.3
				}
			}
			co, st := f.st.Step, f.st
			x2 := make([]float64, d)
			for i := range x2 {
				x2[i] = co.A*st.X0Hat[i] + co.B*st.Xt[i] + co.C*st.Z[i] + zeta*h[i]/res.Norm(2)
			}
			a := denseSVD(t, f.A)
			P := a.rangeProj()
			Px2, Pz, py := mulVec(P, x2), mulVec(P, st.Z), mulVec(a.pinv(), f.y)
			want := make([]float64, d)
			for i := range want {
				want[i] = x2[i] - Px2[i] + math.Sqrt(0.6)*py[i] + math.Sqrt(0.4)*Pz[i]
			}
			if e := absErr(out.Xs, want); e > 1e-10 {
				t.Errorf("%s σ=%v: x_s err %.2e", spec, c.sigma, e)
			}
			// g is DPS's: h/σ², or h/‖y − A x̂0‖ at σ = 0.
			scale := 1 / res.Norm(2)
			if c.sigma > 0 {
				scale = 1 / (c.sigma * c.sigma)
			}
			for i := range h {
				h[i] *= scale
			}
			if e := relErr(out.ScoreY, h); e > 1e-12 {
				t.Errorf("%s: g err %.2e", spec, e)
			}
		}
	}
}

// TestMCGDefaultZetaIsDPSs: MCG's ζ defaults to DPS's for the operator.
func TestMCGDefaultZetaIsDPSs(t *testing.T) {
	mcg, _ := Lookup("mcg")
	dps, _ := Lookup("dps")
	for _, spec := range spectralSpecs {
		op := newFixture(t, spec).op
		vm, _ := mcg.Resolve(nil, op)
		vd, _ := dps.Resolve(nil, op)
		if vm["zeta"] != vd["zeta"] {
			t.Errorf("%s: MCG ζ %s, DPS ζ %s", spec, vm["zeta"], vd["zeta"])
		}
	}
}
