package gmm

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"tweedie/core/internal/ctxtest"
)

// The posterior's loops check their context once per component
// (PosteriorWeights) and once per application of Σ'_k (the probes): with
// a context that ends at its n-th check they return context.Canceled at
// that check, having made no further one, for every n up to the checks a
// full computation makes.
func TestProbesObserveCancellation(t *testing.T) {
	const sigma = 0.3
	pc := posteriorCases[3] // a blur: A·Aᵀ not scalar
	mix, op, y := measured(t, pc, 3, 2, sigma)
	post, err := mix.PosteriorWeights(context.Background(), op, y, sigma)
	K := len(mix.Components)
	if err != nil {
		t.Fatal(err)
	}
	d, m := mix.Dim(), op.OutLen()
	vs := make([][]float64, 5)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range vs {
		vs[i] = make([]float64, d)
		for j := range vs[i] {
			vs[i][j] = rng.NormFloat64()
		}
	}
	kept := 0 // components whose standard deviations are probed
	for _, w := range post.Weights {
		if w >= posteriorNegligible {
			kept++
		}
	}
	for _, c := range []struct {
		name   string
		probes int
		f      func(ctx context.Context) error
	}{
		{"CovDiag", d, func(ctx context.Context) error { _, err := post.CovDiag(ctx, 1); return err }},
		{"MeasuredTrace", m, func(ctx context.Context) error { _, _, err := post.MeasuredTrace(ctx, 1); return err }},
		{"CovQuad", len(vs), func(ctx context.Context) error { _, err := post.CovQuad(ctx, 1, vs); return err }},
		{"PosteriorWeights", K, func(ctx context.Context) error { _, err := mix.PosteriorWeights(ctx, op, y, sigma); return err }},
		{"Posterior", K + kept*d, func(ctx context.Context) error { _, err := mix.Posterior(ctx, op, y, sigma); return err }},
	} {
		full := ctxtest.Never()
		if err := c.f(full); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := full.Checks(); n != int64(c.probes) {
			t.Errorf("%s: %d checks of its context, want one per probe (%d)", c.name, n, c.probes)
		}
		for _, cut := range []int64{1, int64(c.probes / 2), int64(c.probes)} {
			ctx := ctxtest.Cut(cut)
			if err := c.f(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("%s, context ending at check %d: error %v, want context.Canceled", c.name, cut, err)
			}
			if n := ctx.Checks(); n != cut {
				t.Errorf("%s, context ending at check %d: %d checks", c.name, cut, n)
			}
		}
	}
}
