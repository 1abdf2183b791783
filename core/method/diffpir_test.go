package method

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDiffPIRMatchesDense: the proximal point from the normal equations
// (AᵀA + ρ_t·I)·x = Aᵀy + ρ_t·x̂0 with ρ_t = λσ²ᾱ_t/(1−ᾱ_t), solved densely,
// then x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(√(1−ζ)·ε̂' + √ζ·z).
func TestDiffPIRMatchesDense(t *testing.T) {
	for _, spec := range append(spectralSpecs, "blur-gauss:size=3,std=1") {
		for _, c := range []struct {
			sigma, lambda, zeta float64
			v                   Values
		}{{0.1, 7, 0.3, nil}, {0.5, 2, 0.8, Values{"diffpir-lambda": "2", "diffpir-zeta": "0.8"}}} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, "diffpir", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			m, d := f.A.Dims()
			st := f.st
			rho := c.lambda * c.sigma * c.sigma * st.AlphaBarT / (1 - st.AlphaBarT)
			var N mat.Dense
			N.Mul(f.A.T(), f.A)
			for i := 0; i < d; i++ {
				N.Set(i, i, N.At(i, i)+rho)
			}
			rhs := mulVec(f.A.T(), f.y)
			for i := range rhs {
				rhs[i] += rho * st.X0Hat[i]
			}
			var x0p mat.VecDense
			if err := x0p.SolveVec(&N, mat.NewVecDense(d, rhs)); err != nil {
				t.Fatal(err)
			}
			want := make([]float64, d)
			for i := range want {
				x := x0p.AtVec(i)
				eps := (st.Xt[i] - math.Sqrt(st.AlphaBarT)*x) / math.Sqrt(1-st.AlphaBarT)
				want[i] = math.Sqrt(st.AlphaBarS)*x + math.Sqrt(1-st.AlphaBarS)*(math.Sqrt(1-c.zeta)*eps+math.Sqrt(c.zeta)*st.Z[i])
			}
			if e := absErr(out.Xs, want); e > 1e-8 {
				t.Errorf("%s σ=%v λ=%v: x_s err %.2e (m=%d)", spec, c.sigma, c.lambda, e, m)
			}
			// g is the proximal shift over (1−ᾱ_t)/√ᾱ_t.
			shift := (1 - st.AlphaBarT) / math.Sqrt(st.AlphaBarT)
			wg := make([]float64, d)
			for i := range wg {
				wg[i] = (x0p.AtVec(i) - st.X0Hat[i]) / shift
			}
			if e := relErr(out.ScoreY, wg); e > 1e-7 {
				t.Errorf("%s: g err %.2e", spec, e)
			}
		}
	}
}

// TestDiffPIRNoiselessProjects: at σ = 0 the proximal point is the
// projection x̂0 + A†(y − A·x̂0), so A·x̂0' = y.
func TestDiffPIRNoiselessProjects(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "identity"} {
		f := newFixture(t, spec)
		f.withStep()
		f.st.AlphaBarS = 1 // the last step: x_s = x̂0'
		g, err := f.bind(t, "diffpir", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := f.replace(t, g)
		P := denseSVD(t, f.A).pinv()
		py := mulVec(P, f.residual().RawVector().Data)
		want := make([]float64, len(py))
		for i := range want {
			want[i] = f.st.X0Hat[i] + py[i]
		}
		if e := absErr(out.Xs, want); e > 1e-9 {
			t.Errorf("%s: err %.2e", spec, e)
		}
	}
}

// TestDiffPIRRefusals: nonlinear operators, λ = 0 and ζ outside [0, 1].
func TestDiffPIRRefusals(t *testing.T) {
	m, _ := Lookup("diffpir")
	if err := m.Serves(offerFor(t, "phase", 0), nil); err == nil {
		t.Error("DiffPIR serves phase retrieval")
	}
	for _, v := range []Values{{"diffpir-lambda": "0"}, {"diffpir-zeta": "1.5"}} {
		if _, err := newFixture(t, "sr:factor=2").bind(t, "diffpir", 0.1, v); err == nil {
			t.Errorf("%v accepted", v)
		}
	}
	f := m.Formula(Values{"diffpir-lambda": "7", "diffpir-zeta": "0.3"}, Frame{AlphaBarT: 0.5, Sigma: 0.1, Residual: 2, Linear: true})
	for _, w := range []string{"λ = 7", "ζ = 0.3", "= 2", "r² = σ̄_t²/λ"} {
		if !strings.Contains(f[0]+f[1], w) {
			t.Errorf("panel lacks %q: %q", w, f)
		}
	}
}
