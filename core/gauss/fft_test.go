package gauss

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
)

// TestTransform checks both engines' spectra against a plain O(d²) DFT of
// each eigen-channel, and that inverse undoes forward.
func TestTransform(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for _, shape := range []img.Shape{{H: 1, W: 1, C: 3}, {H: 1, W: 4, C: 3}, {H: 4, W: 1, C: 1}, {H: 2, W: 8, C: 3},
		{H: 8, W: 2, C: 1}, {H: 16, W: 8, C: 3}, {H: 5, W: 3, C: 3}, {H: 6, W: 4, C: 1}, {H: 4, W: 6, C: 3}} {
		p := newPrior(t, shape, 2)
		x := randVec(rng, shape.Len(), 1)
		pl := newPlan(shape, p.col.q)
		s := make([]complex128, pl.specLen())
		pl.forward(s, x)
		H, W, C := shape.H, shape.W, shape.C
		for k := range C {
			for u := range H {
				for v := range pl.wc {
					var want complex128
					for y := range H {
						for xx := range W {
							z := 0.0
							for c := range C {
								z += p.col.q[c*C+k] * x[shape.Index(y, xx, c)]
							}
							want += complex(z, 0) * cmplx.Exp(complex(0, -2*math.Pi*(float64(u*y)/float64(H)+float64(v*xx)/float64(W))))
						}
					}
					if got := s[(k*H+u)*pl.wc+v]; cmplx.Abs(got-want) > 1e-12*float64(H*W) {
						t.Fatalf("%v (%T): mode (%d, %d, %d): %v, want %v", shape, pl.eng, k, u, v, got, want)
					}
				}
			}
		}
		back := make([]float64, len(x))
		pl.inverse(back, s)
		if e := relErr(back, x); e > 1e-14 {
			t.Errorf("%v (%T): inverse(forward(x)) off by %.2g", shape, pl.eng, e)
		}
	}
}
