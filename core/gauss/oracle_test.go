package gauss

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/run"
	"tweedie/core/sampler"
)

// oracleRun runs the oracle sampler (core/run and core/method, through
// denoiser.ExactPrior) for steps DDPM steps and returns x_0.
func oracleRun(t testing.TB, prob *run.Problem, steps int, seed uint64) []float64 {
	t.Helper()
	oracle, err := method.Lookup("oracle")
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.New(prob, run.Config{Sampler: sampler.DDPM, Steps: steps, Seed: seed, Method: oracle, NoExact: true})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr.DivergedAt >= 0 {
		t.Fatalf("the oracle diverged at step %d", tr.DivergedAt)
	}
	return tr.Final
}

// TestOracleSamplesExactPosterior runs the oracle sampler of core/run with
// the prior's exact guidance from many seeds and compares its samples with
// the exact posterior: per-pixel means within 4.5 standard errors and
// standard deviations within 12% (1000 DDPM steps, whose discretisation
// the tolerance absorbs), for a convolution and for a mask (conjugate
// gradients at every step).
func TestOracleSamplesExactPosterior(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	ctx := context.Background()
	shape := img.Shape{H: 3, W: 2, C: 3}
	pr := newPrior(t, shape, 2)
	truth := pr.Sample(make([]float64, pr.Dim()), rand.New(rand.NewPCG(1, 2)))
	for _, spec := range []string{"blur-gauss:size=3,std=0.8", "inpaint-half"} {
		op, err := operator.Parse(spec, shape)
		if err != nil {
			t.Fatal(err)
		}
		const sigma, N = 0.2, 500
		prob, err := run.NewProblem(pr, op, truth, sigma, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !prob.HasExact() {
			t.Fatalf("%s: the run package offers no exact guidance: %s", spec, prob.Offer.NoExact)
		}
		post, err := pr.Posterior(ctx, op.(operator.Linear), prob.Y, sigma, Options{StdSamples: 20000})
		if err != nil {
			t.Fatal(err)
		}
		std, _, err := post.Std(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d := pr.Dim()
		sum, sum2 := make([]float64, d), make([]float64, d)
		for n := range N {
			for i, v := range oracleRun(t, prob, 1000, uint64(n+1)) {
				sum[i] += v
				sum2[i] += v * v
			}
		}
		worst := 0.0
		for i := range d {
			mean := sum[i] / N
			sd := math.Sqrt(sum2[i]/N - mean*mean)
			if tol := 4.5 * std[i] / math.Sqrt(N); math.Abs(mean-post.Mean[i]) > tol {
				t.Errorf("%s: pixel %d: mean %.4f, exact %.4f ± %.4f", spec, i, mean, post.Mean[i], tol)
			}
			if math.Abs(sd-std[i]) > 0.12*std[i] {
				t.Errorf("%s: pixel %d: std %.4f, exact %.4f", spec, i, sd, std[i])
			}
			worst = math.Max(worst, math.Abs(sd/std[i]-1))
		}
		t.Logf("%s: worst relative std error %.3f over %d pixels", spec, worst, d)
	}
}
