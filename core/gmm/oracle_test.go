package gmm

import (
	"context"
	"math"
	"testing"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/run"
	"tweedie/core/sampler"
)

// separatedMixture has three rank-1 components over 2×2 images, far apart
// in the bottom row so that a sample's component is unambiguous.
func separatedMixture() *Mixture {
	shape := img.Shape{H: 2, W: 2, C: 1}
	inv := 1 / math.Sqrt(4)
	comp := func(w float64, mean []float64) Component {
		return Component{Weight: w, Mean: mean, Basis: []float64{inv, inv, inv, inv}, Eigen: []float64{0.04}, Resid: 0.01}
	}
	return &Mixture{Shape: shape, Components: []Component{
		comp(0.5, []float64{0.6, 0.6, 0.8, 0.8}),
		comp(0.3, []float64{0.6, 0.6, -0.8, -0.8}),
		comp(0.2, []float64{-0.6, -0.6, 0.8, -0.8}),
	}}
}

// TestOracleSamplesExactPosterior runs the oracle sampler from many seeds on
// bottom-half inpainting and compares with the exact posterior: the
// frequency of each component (assigned by the largest π'_k·N(x; m'_k, Σ'_k))
// within 4.5 binomial standard errors of π'_k, and per-pixel mean within 4.5
// standard errors and standard deviation within 12% (1000 DDPM steps).
func TestOracleSamplesExactPosterior(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	mix := separatedMixture()
	if err := mix.Validate(); err != nil {
		t.Fatal(err)
	}
	op, err := operator.Parse("inpaint-half", mix.Shape)
	if err != nil {
		t.Fatal(err)
	}
	const sigma, N = 0.3, 600
	prob, err := run.NewProblem(mix, op, []float64{0.6, 0.6, 0.8, 0.8}, sigma, 2)
	if err != nil {
		t.Fatal(err)
	}
	post, err := mix.Posterior(context.Background(), op.(operator.Linear), prob.Y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	w, means, covs := densePosterior(t, mix, denseA(op), prob.Y, sigma)
	if maxAbs(w) > 0.9 {
		t.Fatalf("posterior weights %v too concentrated for a useful test", w)
	}
	d := mix.Dim()
	counts := make([]float64, len(w))
	sum, sum2 := make([]float64, d), make([]float64, d)
	oracle, err := method.Lookup("oracle")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < N; n++ {
		cfg := run.Config{Sampler: sampler.DDPM, Steps: 1000, Seed: uint64(n + 1), Method: oracle}
		r, err := run.New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := r.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		x := tr.Final
		best, bestK := math.Inf(-1), -1
		for k := range w {
			if l := math.Log(w[k]) + denseLogNormal(t, x, means[k], covs[k]); l > best {
				best, bestK = l, k
			}
		}
		counts[bestK]++
		for i, v := range x {
			sum[i] += v
			sum2[i] += v * v
		}
	}
	for k, c := range counts {
		p := w[k]
		if tol := 4.5 * math.Sqrt(p*(1-p)/N); math.Abs(c/N-p) > tol {
			t.Errorf("component %d reached %.3f of the time, exact weight %.3f ± %.3f", k, c/N, p, tol)
		}
	}
	for i := 0; i < d; i++ {
		mean := sum[i] / N
		std := math.Sqrt(sum2[i]/N - mean*mean)
		if tol := 4.5 * post.Std[i] / math.Sqrt(N); math.Abs(mean-post.Mean[i]) > tol {
			t.Errorf("pixel %d: mean %.4f, exact %.4f ± %.4f", i, mean, post.Mean[i], tol)
		}
		if math.Abs(std-post.Std[i]) > 0.12*post.Std[i] {
			t.Errorf("pixel %d: std %.4f, exact %.4f", i, std, post.Std[i])
		}
	}
	t.Logf("weights %.3f, frequencies %.3f", w, []float64{counts[0] / N, counts[1] / N, counts[2] / N})
}
