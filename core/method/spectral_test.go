package method

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/sampler"
)

// The projection methods' tests take the SVD of the fixture's dense A with
// gonum (a basis of its own, not the operator's) and compute each update
// with explicit matrices.

// dsvd is A = U·[diag(s) 0]·Vᵀ from gonum, s cut as SpectralCut says.
type dsvd struct {
	U, V *mat.Dense
	s    []float64 // length m
	m, d int
}

func denseSVD(t *testing.T, A *mat.Dense) dsvd {
	t.Helper()
	m, d := A.Dims()
	var f mat.SVD
	if !f.Factorize(A, mat.SVDFull) {
		t.Fatal("SVD failed")
	}
	var U, V mat.Dense
	f.UTo(&U)
	f.VTo(&V)
	s := f.Values(nil)
	for i := range s {
		if s[i] <= 3e-2*s[0] {
			s[i] = 0
		}
	}
	return dsvd{U: &U, V: &V, s: s, m: m, d: d}
}

func mulVec(M mat.Matrix, x []float64) []float64 {
	r, _ := M.Dims()
	var v mat.VecDense
	v.MulVec(M, mat.NewVecDense(len(x), x))
	out := make([]float64, r)
	for i := range out {
		out[i] = v.AtVec(i)
	}
	return out
}

func (a dsvd) vt(x []float64) []float64 { return mulVec(a.V.T(), x) }
func (a dsvd) v(c []float64) []float64  { return mulVec(a.V, c) }
func (a dsvd) ut(y []float64) []float64 { return mulVec(a.U.T(), y) }

// pinv is A† = V·[diag(1/s); 0]·Uᵀ (cut singular values dropped), d×m.
func (a dsvd) pinv() *mat.Dense {
	P := mat.NewDense(a.d, a.m, nil)
	for i, s := range a.s {
		if s == 0 {
			continue
		}
		var outer mat.Dense
		outer.Outer(1/s, a.V.ColView(i), a.U.ColView(i))
		P.Add(P, &outer)
	}
	return P
}

// rangeProj is A†A = Σ_{s_i>0} v_i v_iᵀ, d×d.
func (a dsvd) rangeProj() *mat.Dense {
	P := mat.NewDense(a.d, a.d, nil)
	for i, s := range a.s {
		if s == 0 {
			continue
		}
		var outer mat.Dense
		outer.Outer(1, a.V.ColView(i), a.V.ColView(i))
		P.Add(P, &outer)
	}
	return P
}

// withStep gives the fixture's state a step: z from a seed and DDPM's
// coefficients from ᾱ_t = 0.5 to ᾱ_s = 0.6.
func (f *fixture) withStep() {
	rng := rand.New(rand.NewPCG(7, 8))
	f.st.Z = make([]float64, len(f.xt))
	for i := range f.st.Z {
		f.st.Z[i] = rng.NormFloat64()
	}
	f.st.Step = sampler.DDPM.StepCoeffs(f.st.AlphaBarT, f.st.AlphaBarS, 0)
}

// replace runs a bound Replace method on the fixture and returns its output.
func (f *fixture) replace(t *testing.T, g Guide) *Output {
	t.Helper()
	out := f.guideXs(t, g)
	if out.Target != Replace {
		t.Fatalf("target %v, want Replace", out.Target)
	}
	return out
}

func (f *fixture) guideXs(t *testing.T, g Guide) *Output {
	t.Helper()
	d := len(f.xt)
	out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d), Xs: make([]float64, d)}
	if err := g.Guide(t.Context(), f.st, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// epsHat is (x_t − √ᾱ_t·x̂0)/√(1−ᾱ_t).
func (f *fixture) epsHat() []float64 {
	e := make([]float64, len(f.xt))
	for i := range e {
		e[i] = (f.xt[i] - math.Sqrt(f.st.AlphaBarT)*f.st.X0Hat[i]) / math.Sqrt(1-f.st.AlphaBarT)
	}
	return e
}

// absErr is max |got − want| over max(1, max |want|).
func absErr(got, want []float64) float64 {
	n, dn := 0.0, 1.0
	for i := range got {
		n = math.Max(n, math.Abs(got[i]-want[i]))
		dn = math.Max(dn, math.Abs(want[i]))
	}
	return n / dn
}

var spectralSpecs = []string{"inpaint-box:size=2", "inpaint-random:p=0.4,seed=3", "sr:factor=2", "blur-gauss:size=3,std=1",
	"blur-motion:size=3,seed=2", "svd:dy=5", "svd:dy=1,seed=4", "identity"}
