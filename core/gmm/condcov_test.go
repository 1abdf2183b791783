package gmm

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
)

// denseCondCov is Cov[x0|x_t] with dense d×d algebra: per component
// Σ_k|t = Σ_k − ᾱ·Σ_k·C_k⁻¹·Σ_k, C_k = ᾱ·Σ_k + (1−ᾱ)·I, and the law of total
// covariance over the responsibilities of denseDenoise.
func denseCondCov(t *testing.T, mix *Mixture, xt []float64, alphaBar float64) *mat.SymDense {
	d := mix.Dim()
	w, x0 := denseDenoise(t, mix, xt, alphaBar)
	sa := math.Sqrt(alphaBar)
	out := mat.NewSymDense(d, nil)
	for k := range mix.Components {
		c := &mix.Components[k]
		S := denseCov(c, d)
		C := mat.NewSymDense(d, nil)
		C.ScaleSym(alphaBar, S)
		for i := range d {
			C.SetSym(i, i, C.At(i, i)+1-alphaBar)
		}
		var Cinv mat.Dense
		if err := Cinv.Inverse(C); err != nil {
			t.Fatal(err)
		}
		var SC, SCS mat.Dense
		SC.Mul(S, &Cinv)
		SCS.Mul(&SC, S)
		// m_k = μ_k + √ᾱ·Σ_k·C_k⁻¹·(x_t − √ᾱ·μ_k)
		r := mat.NewVecDense(d, nil)
		for i := range d {
			r.SetVec(i, xt[i]-sa*c.Mean[i])
		}
		var mk mat.VecDense
		mk.MulVec(&SC, r)
		for a := range d {
			da := c.Mean[a] + sa*mk.AtVec(a) - x0[a]
			for b := a; b < d; b++ {
				db := c.Mean[b] + sa*mk.AtVec(b) - x0[b]
				within := S.At(a, b) - alphaBar*SCS.At(a, b)
				out.SetSym(a, b, out.At(a, b)+w[k]*(within+da*db))
			}
		}
	}
	return out
}

func TestCondCovMatchesDense(t *testing.T) {
	shape := img.Shape{H: 3, W: 4, C: 1}
	mix := Random(shape, 4, 3, 11)
	d := mix.Dim()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, alphaBar := range []float64{0.05, 0.5, 0.97} {
		xt := make([]float64, d)
		for i := range xt {
			xt[i] = rng.NormFloat64()
		}
		cc, err := mix.CondCov(xt, alphaBar)
		if err != nil {
			t.Fatal(err)
		}
		want := denseCondCov(t, mix, xt, alphaBar)
		diag := cc.Diag()
		for i := range d {
			if math.Abs(diag[i]-want.At(i, i)) > 1e-10 {
				t.Errorf("ᾱ %g: Var[x0_%d|x_t] = %.12g, dense %.12g", alphaBar, i, diag[i], want.At(i, i))
			}
		}
		v := make([]float64, d)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		got := make([]float64, d)
		cc.Apply(got, v)
		var wv mat.VecDense
		wv.MulVec(want, mat.NewVecDense(d, slices.Clone(v)))
		for i := range d {
			if math.Abs(got[i]-wv.AtVec(i)) > 1e-10 {
				t.Errorf("ᾱ %g: (Cov·v)_%d = %.12g, dense %.12g", alphaBar, i, got[i], wv.AtVec(i))
			}
		}
		var es mat.EigenSym
		if !es.Factorize(want, false) {
			t.Fatal("dense eigen failed")
		}
		vals := es.Values(nil)
		top, err := cc.Top(3, d)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range top {
			if w := vals[d-1-i]; math.Abs(x-w) > 1e-9*math.Max(1, w) {
				t.Errorf("ᾱ %g: λ_%d = %.12g, dense %.12g", alphaBar, i, x, w)
			}
		}
	}
}

// Second-order Tweedie: Cov[x0|x_t] = (1−ᾱ)/√ᾱ·∂x̂0/∂x_t, checked by
// central differences of the exact denoiser.
func TestCondCovIsTweedieJacobian(t *testing.T) {
	shape := img.Shape{H: 2, W: 3, C: 1}
	mix := Random(shape, 3, 2, 3)
	d := mix.Dim()
	const alphaBar, h = 0.6, 1e-5
	xt := []float64{0.3, -0.2, 0.5, 0.1, -0.7, 0.9}
	cc, err := mix.CondCov(xt, alphaBar)
	if err != nil {
		t.Fatal(err)
	}
	dn := mix.NewDenoiser()
	plus, minus := make([]float64, d), make([]float64, d)
	col := make([]float64, d)
	e := make([]float64, d)
	for j := range d {
		x := slices.Clone(xt)
		x[j] += h
		if err := dn.Denoise(context.Background(), plus, x, alphaBar); err != nil {
			t.Fatal(err)
		}
		x[j] -= 2 * h
		if err := dn.Denoise(context.Background(), minus, x, alphaBar); err != nil {
			t.Fatal(err)
		}
		clear(e)
		e[j] = 1
		cc.Apply(col, e)
		for i := range d {
			fd := (1 - alphaBar) / math.Sqrt(alphaBar) * (plus[i] - minus[i]) / (2 * h)
			if math.Abs(fd-col[i]) > 1e-6 {
				t.Errorf("Cov[%d,%d] = %.9g, (1−ᾱ)/√ᾱ·∂x̂0/∂x_t = %.9g", i, j, col[i], fd)
			}
		}
	}
}

func TestCondCovBadInput(t *testing.T) {
	mix := Random(img.Shape{H: 2, W: 2, C: 1}, 2, 1, 1)
	if _, err := mix.CondCov(make([]float64, 3), 0.5); err == nil {
		t.Error("wrong length accepted")
	}
	for _, a := range []float64{0, 1, math.NaN(), -1} {
		if _, err := mix.CondCov(make([]float64, 4), a); err == nil {
			t.Errorf("ᾱ = %v accepted", a)
		}
	}
	cc, err := mix.CondCov(make([]float64, 4), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Top(0, 4); err == nil {
		t.Error("Top(0, 4) accepted")
	}
	if _, err := cc.Top(3, MaxTopIters+1); err == nil {
		t.Error("Top beyond MaxTopIters accepted")
	}
}

// BenchmarkCondCov is the tour's Cov[x0|x_t] at MNIST's size (K = 10,
// q = 120, 28×28): the diagonal and 40 Lanczos steps.
func BenchmarkCondCov(b *testing.B) {
	mix := Random(img.Shape{H: 28, W: 28, C: 1}, 10, 120, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	xt := make([]float64, mix.Dim())
	for i := range xt {
		xt[i] = rng.NormFloat64()
	}
	for b.Loop() {
		cc, err := mix.CondCov(xt, 0.3)
		if err != nil {
			b.Fatal(err)
		}
		_ = cc.Diag()
		if _, err := cc.Top(1, 40); err != nil {
			b.Fatal(err)
		}
	}
}
