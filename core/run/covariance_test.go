package run

import (
	"math"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// TestMMPSExactThroughRunner: on a Gaussian prior (one component) MMPS
// with the exact covariance is the exact guidance at every step of a run —
// cos(g, g*) = 1 and ‖g‖/‖g*‖ = 1 to 1e-8 — and the runner counts its cost:
// one denoiser evaluation and m + 1 VJPs a step; TMPD-diag's is 2 VJPs a
// step, MMPS's n_CG + 1.
func TestMMPSExactThroughRunner(t *testing.T) {
	shape := img.Shape{H: 4, W: 4, C: 1}
	mix := gmm.Random(shape, 1, 3, 11)
	op, err := operator.Parse("svd:dy=3", shape)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float64, shape.Len())
	prob, err := NewProblem(mix, op, truth, 0.1, 5)
	if err != nil {
		t.Fatal(err)
	}
	const steps = 30
	for _, c := range []struct {
		name    string
		v       method.Values
		vjps    int
		isExact bool
	}{
		{"mmps", method.Values{"mmps-solve": "exact"}, 4, true},
		{"mmps", method.Values{"cg-iters": "2"}, 3, false},
		{"tmpd", nil, 2, false},
	} {
		tr, err := runAll(t, prob, Config{Sampler: sampler.DDPM, Steps: steps, Seed: 2, Method: mustMethod(t, c.name), Params: c.v})
		if err != nil {
			t.Fatalf("%s %v: %v", c.name, c.v, err)
		}
		for i, rec := range tr.Records {
			if rec.NFE != i+1 || rec.VJPs != c.vjps*(i+1) {
				t.Fatalf("%s %v step %d: NFE %d, VJPs %d; want %d, %d", c.name, c.v, i, rec.NFE, rec.VJPs, i+1, c.vjps*(i+1))
			}
			if c.isExact && (math.Abs(rec.GCos-1) > 1e-8 || math.Abs(rec.GRatio-1) > 1e-8) {
				t.Fatalf("%s %v step %d: cos %v ratio %v to the exact guidance", c.name, c.v, i, rec.GCos, rec.GRatio)
			}
		}
	}
}
