package gmm

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// denseCov returns Σ_k = U·diag(λ)·Uᵀ + s²·(I − U·Uᵀ) as a dense matrix.
func denseCov(c *Component, d int) *mat.SymDense {
	S := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		S.SetSym(i, i, c.Resid)
	}
	for j, l := range c.Eigen {
		u := c.Basis[j*d : (j+1)*d]
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				S.SetSym(a, b, S.At(a, b)+(l-c.Resid)*u[a]*u[b])
			}
		}
	}
	return S
}

// denseLogNormal returns log N(x; mean, cov) by Cholesky, constant included.
func denseLogNormal(t testing.TB, x, mean []float64, cov *mat.SymDense) float64 {
	d := len(x)
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	r := mat.NewVecDense(d, nil)
	for i := range x {
		r.SetVec(i, x[i]-mean[i])
	}
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, r); err != nil {
		t.Fatal(err)
	}
	return -0.5 * (float64(d)*math.Log(2*math.Pi) + ch.LogDet() + mat.Dot(r, &sol))
}

// denseDenoise computes responsibilities and x̂0 with dense d×d algebra:
// w_k ∝ π_k·N(x_t; sqrt(ᾱ)μ_k, ᾱΣ_k + (1−ᾱ)I), m_k = μ_k + sqrt(ᾱ)Σ_k C_k⁻¹ r_k.
func denseDenoise(t testing.TB, mix *Mixture, xt []float64, alphaBar float64) (w, x0 []float64) {
	d := mix.Dim()
	K := len(mix.Components)
	logW := make([]float64, K)
	ms := make([][]float64, K)
	sa := math.Sqrt(alphaBar)
	for k := range mix.Components {
		c := &mix.Components[k]
		S := denseCov(c, d)
		C := mat.NewSymDense(d, nil)
		C.ScaleSym(alphaBar, S)
		for i := 0; i < d; i++ {
			C.SetSym(i, i, C.At(i, i)+1-alphaBar)
		}
		mean := make([]float64, d)
		for i := range mean {
			mean[i] = sa * c.Mean[i]
		}
		logW[k] = math.Log(c.Weight) + denseLogNormal(t, xt, mean, C)
		var ch mat.Cholesky
		ch.Factorize(C)
		r := mat.NewVecDense(d, nil)
		for i := range xt {
			r.SetVec(i, xt[i]-mean[i])
		}
		var sol, sr mat.VecDense
		ch.SolveVecTo(&sol, r)
		sr.MulVec(S, &sol)
		ms[k] = make([]float64, d)
		for i := range ms[k] {
			ms[k][i] = c.Mean[i] + sa*sr.AtVec(i)
		}
	}
	mx := math.Inf(-1)
	for _, l := range logW {
		mx = math.Max(mx, l)
	}
	w = make([]float64, K)
	z := 0.0
	for k, l := range logW {
		w[k] = math.Exp(l - mx)
		z += w[k]
	}
	x0 = make([]float64, d)
	for k := range w {
		w[k] /= z
		for i := range x0 {
			x0[i] += w[k] * ms[k][i]
		}
	}
	return w, x0
}
