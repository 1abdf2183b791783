package method

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// denseDDNM is DDNM's step with explicit matrices: x̂0' = x̂0 − A†(A·x̂0 − y)
// with gonum's pseudo-inverse, x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(η·z + √(1−η²)·ε̂).
func denseDDNM(t *testing.T, f *fixture, eta float64) (xs, corr []float64) {
	m, d := f.A.Dims()
	var ax, back mat.VecDense
	ax.MulVec(f.A, mat.NewVecDense(d, f.st.X0Hat))
	ax.SubVec(&ax, mat.NewVecDense(m, f.y))
	back.MulVec(denseSVD(t, f.A).pinv(), &ax)
	eps := f.epsHat()
	xs, corr = make([]float64, d), make([]float64, d)
	for i := range xs {
		corr[i] = -back.AtVec(i)
		xs[i] = math.Sqrt(0.6)*(f.st.X0Hat[i]+corr[i]) + math.Sqrt(0.4)*(eta*f.st.Z[i]+math.Sqrt(1-eta*eta)*eps[i])
	}
	return xs, corr
}

func TestDDNMMatchesDense(t *testing.T) {
	for _, spec := range spectralSpecs {
		for _, c := range []struct {
			sigma float64
			eta   float64
			v     Values
		}{
			{0, 0.85, nil}, {0.3, 0.85, nil}, {0, 0.2, Values{"step-eta": "0.2"}}, {0, 1, Values{"step-eta": "1"}},
		} {
			f := newFixture(t, spec)
			f.withStep()
			g, err := f.bind(t, "ddnm", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			xs, corr := denseDDNM(t, f, c.eta)
			if e := absErr(out.Xs, xs); e > 1e-10 {
				t.Errorf("%s σ=%v η=%v: x_s err %.2e", spec, c.sigma, c.eta, e)
			}
			for i := range corr {
				corr[i] /= TweedieShift(0.5)
			}
			if e := absErr(out.ScoreY, corr); e > 1e-10 {
				t.Errorf("%s σ=%v η=%v: g err %.2e", spec, c.sigma, c.eta, e)
			}
		}
	}
}

// TestDDNMConsistency: the corrected x̂0' is consistent with y, A·x̂0' = y,
// where A has no singular value below the cut (masks, pooling).
func TestDDNMConsistency(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "identity"} {
		f := newFixture(t, spec)
		f.withStep()
		f.st.AlphaBarS = 1 // x_0 = x̂0'
		g, _ := f.bind(t, "ddnm", 0, nil)
		out := f.replace(t, g)
		ax := f.op.Apply(make([]float64, len(f.y)), out.Xs)
		if e := absErr(ax, f.y); e > 1e-12 {
			t.Errorf("%s: A·x̂0' − y = %.2e", spec, e)
		}
	}
}
