package method

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tweedie/core/denoiser"
)

// TestRedDiffMatchesDense: three steps of RED-diff against Adam written out
// with dense matrices: μ0 = A⁺y (from gonum's SVD, cut as SpectralCut says), at each step
// ε = (x_t − √ᾱ_t·μ)/√(1−ᾱ_t), ε̂ from the affine denoiser, the gradient
// λ·σ̄_t·(ε̂ − ε)/d − Aᵀ(y − A·μ)/m, Adam(0.9, 0.99), x_s = √ᾱ_s·μ + √(1−ᾱ_s)·z.
func TestRedDiffMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "svd:dy=5", "blur-gauss:size=3,std=1"} {
		for _, c := range []struct {
			lambda, lr float64
			v          Values
		}{{0.25, 0.1, nil}, {2, 0.03, Values{"reddiff-lambda": "2", "reddiff-lr": "0.03"}}} {
			f := newFixture(t, spec)
			g, err := f.bind(t, "reddiff", 0.1, c.v)
			if err != nil {
				t.Fatal(err)
			}
			m, d := f.A.Dims()
			// μ0 = A⁺y with the singular values at most 3e-2 of the largest dropped.
			mu := mulVec(denseSVD(t, f.A).pinv(), f.y)
			m1, m2 := make([]float64, d), make([]float64, d)
			rng := rand.New(rand.NewPCG(3, 4))
			xt := append([]float64(nil), f.xt...)
			abs := []float64{0.02, 0.3, 0.7, 1}
			for k := 1; k < len(abs); k++ {
				abT, abS := abs[k-1], abs[k]
				z := make([]float64, d)
				for i := range z {
					z[i] = rng.NormFloat64()
				}
				x0 := f.den.denoise(make([]float64, d), xt)
				st := &State{AlphaBarT: abT, AlphaBarS: abS, Xt: xt, X0Hat: x0, Z: z, Point: denoiser.NewPoint(f.den, 0)}
				out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d), Xs: make([]float64, d)}
				if err := g.Guide(t.Context(), st, out); err != nil {
					t.Fatal(err)
				}
				// The dense step.
				at, bt := math.Sqrt(abT), math.Sqrt(1-abT)
				wt := c.lambda * bt / at
				res := mulVec(f.A, mu)
				for i := range res {
					res[i] = f.y[i] - res[i]
				}
				atr := mulVec(f.A.T(), res)
				c1, c2 := 1-math.Pow(0.9, float64(k)), 1-math.Pow(0.99, float64(k))
				want := make([]float64, d)
				for i := range mu {
					eh := (xt[i] - at*x0[i]) / bt
					e := (xt[i] - at*mu[i]) / bt
					gr := wt*(eh-e)/float64(d) - atr[i]/float64(m)
					m1[i] = 0.9*m1[i] + 0.1*gr
					m2[i] = 0.99*m2[i] + 0.01*gr*gr
					mu[i] -= c.lr * (m1[i] / c1) / (math.Sqrt(m2[i]/c2) + 1e-8)
					want[i] = math.Sqrt(abS)*mu[i] + math.Sqrt(1-abS)*z[i]
				}
				if e := absErr(out.Xs, want); e > 1e-9 {
					t.Errorf("%s λ=%v step %d: x_s err %.2e", spec, c.lambda, k, e)
				}
				if out.Target != Replace {
					t.Errorf("target %v", out.Target)
				}
				xt = out.Xs
			}
			// The last step (ᾱ_s = 1) returns μ itself.
			if e := absErr(xt, mu); e > 1e-9 {
				t.Errorf("%s: final x_0 is not μ: %.2e", spec, e)
			}
		}
	}
}

// TestRedDiffFormula: the panel shows λ, lr and w_t.
func TestRedDiffFormula(t *testing.T) {
	m, _ := Lookup("reddiff")
	f := m.Formula(Values{"reddiff-lambda": "0.25", "reddiff-lr": "0.1"}, Frame{AlphaBarT: 0.5, Sigma: 0.1, Residual: 2})
	for _, w := range []string{"λ = 0.25", "lr = 0.1", "= 0.25 ", "mode-seeker", "= 2"} {
		if !strings.Contains(f[0]+f[1], w) {
			t.Errorf("panel lacks %q: %q", w, f)
		}
	}
	nf := m.Formula(Values{"reddiff-lambda": "0.25", "reddiff-lr": "0.1"}, Frame{AlphaBarT: nan(), Residual: nan()})
	if strings.Contains(nf[0]+nf[1], "NaN") {
		t.Errorf("before the first step: %q", nf)
	}
}
