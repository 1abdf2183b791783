package gauss

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/denoiser"
	"tweedie/core/img"
)

var testAlphaBars = []float64{1e-4, 0.05, 0.5, 0.97, 1}

// TestDenoiserDense checks x̂0 = μ + sqrt(ᾱ)·Σ·C⁻¹·(x_t − sqrt(ᾱ)·μ) and
// Jᵀ·v against dense algebra, for a batch of three rows.
func TestDenoiserDense(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2, 2))
	for _, shape := range smallShapes {
		p := newPrior(t, shape, 2)
		sig := denseSigma(p)
		d := p.Dim()
		dn := p.NewDenoiser().(*Denoiser)
		for _, ab := range testAlphaBars {
			J := denseGain(t, sig, ab)
			const B = 3
			xt, v := randVec(rng, B*d, 1), randVec(rng, B*d, 1)
			x0 := make([]float64, B*d)
			pt, err := dn.Linearize(ctx, x0, xt, ab)
			if err != nil {
				t.Fatal(err)
			}
			vjp := make([]float64, B*d)
			if err := pt.VJP(ctx, vjp, v); err != nil {
				t.Fatal(err)
			}
			mean := p.Mean()
			for i := range B {
				row := xt[i*d : (i+1)*d]
				want := add(mean, mulVec(J, sub(row, scaled(math.Sqrt(ab), mean))))
				if e := relErr(x0[i*d:(i+1)*d], want); e > denseTol {
					t.Errorf("%v ᾱ=%v row %d: x̂0 off by %.2g", shape, ab, i, e)
				}
				var Jt = J.T()
				if e := relErr(vjp[i*d:(i+1)*d], mulVec(Jt, v[i*d:(i+1)*d])); e > denseTol {
					t.Errorf("%v ᾱ=%v row %d: Jᵀv off by %.2g", shape, ab, i, e)
				}
			}
		}
	}
}

// TestVJPFiniteDifferences checks Jᵀ·v against central differences of
// v·x̂0 (exact for a linear map up to rounding).
func TestVJPFiniteDifferences(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 3))
	shape := img.Shape{H: 6, W: 5, C: 3}
	p := newPrior(t, shape, 2)
	d := p.Dim()
	dn := p.NewDenoiser().(*Denoiser)
	for _, ab := range []float64{0.01, 0.5, 0.99} {
		xt, v := randVec(rng, d, 1), randVec(rng, d, 1)
		x0 := make([]float64, d)
		pt, err := dn.Linearize(ctx, x0, xt, ab)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, d)
		if err := pt.VJP(ctx, got, v); err != nil {
			t.Fatal(err)
		}
		fd := make([]float64, d)
		const h = 1e-3
		plus, minus := make([]float64, d), make([]float64, d)
		for j := range d {
			x := slices.Clone(xt)
			x[j] += h
			_ = dn.Denoise(ctx, plus, x, ab)
			x[j] -= 2 * h
			_ = dn.Denoise(ctx, minus, x, ab)
			for i := range d {
				fd[j] += v[i] * (plus[i] - minus[i]) / (2 * h)
			}
		}
		if e := relErr(got, fd); e > fdTol {
			t.Errorf("ᾱ=%v: Jᵀv against finite differences off by %.2g", ab, e)
		}
	}
}

// TestDenoiserRowBits checks that a row's bits do not depend on its batch.
func TestDenoiserRowBits(t *testing.T) {
	ctx := context.Background()
	p := newPrior(t, img.Shape{H: 8, W: 6, C: 3}, 2)
	d := p.Dim()
	rng := rand.New(rand.NewPCG(4, 4))
	const B = 5
	xt := randVec(rng, B*d, 1)
	batch := make([]float64, B*d)
	dn := p.NewDenoiser()
	if err := dn.Denoise(ctx, batch, xt, 0.3); err != nil {
		t.Fatal(err)
	}
	for i := range B {
		one := make([]float64, d)
		if err := p.NewDenoiser().Denoise(ctx, one, xt[i*d:(i+1)*d], 0.3); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one, batch[i*d:(i+1)*d]) {
			t.Fatalf("row %d differs alone and in a batch", i)
		}
	}
}

func TestDenoiserErrors(t *testing.T) {
	ctx := context.Background()
	p := newPrior(t, img.Shape{H: 4, W: 4, C: 1}, 2)
	d := p.Dim()
	dn := p.NewDenoiser().(*Denoiser)
	x := make([]float64, 2*d)
	out := make([]float64, 2*d)
	for _, ab := range []float64{0, -1, 1.5, math.NaN()} {
		if err := dn.Denoise(ctx, out, x, ab); err == nil {
			t.Errorf("ᾱ = %v accepted", ab)
		}
	}
	if err := dn.Denoise(ctx, out[:d+1], x[:d+1], 0.5); err == nil {
		t.Error("a length that is not a multiple of d accepted")
	}
	old, err := dn.Linearize(ctx, out, x, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.VJP(ctx, out[:d], x[:d]); err == nil {
		t.Error("a VJP of 1 row at a point of 2 accepted")
	}
	if _, err := dn.Linearize(ctx, out, x, 0.4); err != nil {
		t.Fatal(err)
	}
	if err := old.VJP(ctx, out, x); !errors.Is(err, denoiser.ErrStale) {
		t.Errorf("VJP at a stale point: %v, want ErrStale", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := dn.Denoise(cancelled, out, x, 0.5); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestDenoiserAllocs checks that calls after the first allocate nothing.
func TestDenoiserAllocs(t *testing.T) {
	ctx := context.Background()
	p := newPrior(t, img.Shape{H: 16, W: 16, C: 3}, 2)
	d := p.Dim()
	dn := p.NewDenoiser()
	x, out, v := make([]float64, d), make([]float64, d), make([]float64, d)
	ab := 0.5
	allocs := testing.AllocsPerRun(10, func() {
		ab = 1.5 - ab // alternate the noise level: the gain is recomputed in place
		pt, err := dn.(denoiser.Differentiable).Linearize(ctx, out, x, ab)
		if err != nil {
			t.Fatal(err)
		}
		if err := pt.VJP(ctx, out, v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations per call after the first", allocs)
	}
}

// TestCondCovDense checks the diagonal and the largest eigenvalue of
// Cov[x0|x_t] = (1−ᾱ)/sqrt(ᾱ)·J against dense algebra.
func TestCondCovDense(t *testing.T) {
	for _, shape := range smallShapes {
		p := newPrior(t, shape, 2)
		sig := denseSigma(p)
		for _, ab := range []float64{0, 0.05, 0.5, 1} {
			sym := denseCondCov(t, sig, ab)
			diag, top, err := p.CondCov(ab)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range diag {
				if math.Abs(v-sym.At(i, i)) > 1e-10*(1+sym.At(i, i)) {
					t.Fatalf("%v ᾱ=%v: variance of pixel %d: %v, want %v", shape, ab, i, v, sym.At(i, i))
				}
			}
			var eig mat.EigenSym
			eig.Factorize(sym, false)
			vals := eig.Values(nil)
			if want := vals[len(vals)-1]; math.Abs(top-want) > 1e-10*(1+want) {
				t.Errorf("%v ᾱ=%v: largest eigenvalue %v, want %v", shape, ab, top, want)
			}
		}
	}
	if _, _, err := newPrior(t, smallShapes[0], 2).CondCov(1.5); err == nil {
		t.Error("ᾱ = 1.5 accepted")
	}
}
