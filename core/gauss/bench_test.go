package gauss

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"tweedie/core/img"
)

var shape128 = img.Shape{H: 128, W: 128, C: 3}

// BenchmarkTransform compares a forward and inverse transform of a
// 128×128×3 image: the package's real FFT over rows then complex FFT down
// half the columns ("real"), against a complex 2-D FFT of each channel by
// rows then columns, as core/operator's fft2 does ("complex").
func BenchmarkTransform(b *testing.B) {
	p := newPrior(b, shape128, 2)
	x := randVec(rand.New(rand.NewPCG(1, 1)), p.Dim(), 1)
	b.Run("real", func(b *testing.B) {
		pl := newPlan(shape128, p.col.q)
		s := make([]complex128, pl.specLen())
		out := make([]float64, p.Dim())
		for b.Loop() {
			pl.forward(s, x)
			pl.inverse(out, s)
		}
	})
	b.Run("complex", func(b *testing.B) {
		H, W := shape128.H, shape128.W
		row, col := fourier.NewCmplxFFT(W), fourier.NewCmplxFFT(H)
		a := make([]complex128, H*W)
		buf := make([]complex128, H)
		transform := func(inv bool) {
			for y := range H {
				r := a[y*W : (y+1)*W]
				if inv {
					row.Sequence(r, r)
				} else {
					row.Coefficients(r, r)
				}
			}
			for xx := range W {
				for y := range H {
					buf[y] = a[y*W+xx]
				}
				if inv {
					col.Sequence(buf, buf)
				} else {
					col.Coefficients(buf, buf)
				}
				for y := range H {
					a[y*W+xx] = buf[y]
				}
			}
		}
		for b.Loop() {
			for c := range 3 {
				for p := range H * W {
					a[p] = complex(x[3*p+c], 0)
				}
				transform(false)
				transform(true)
			}
		}
	})
}

// BenchmarkDenoise is one x̂0 and one VJP of a 128×128×3 image.
func BenchmarkDenoise(b *testing.B) {
	ctx := context.Background()
	p := newPrior(b, shape128, 2)
	d := p.Dim()
	rng := rand.New(rand.NewPCG(1, 1))
	xt, v, out := randVec(rng, d, 1), randVec(rng, d, 1), make([]float64, d)
	dn := p.NewDenoiser().(*Denoiser)
	for b.Loop() {
		pt, err := dn.Linearize(ctx, out, xt, 0.5)
		if err != nil {
			b.Fatal(err)
		}
		if err := pt.VJP(ctx, out, v); err != nil {
			b.Fatal(err)
		}
	}
}
