package run

import (
	"context"
	"math"
	"slices"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
)

// TestParticleRuns: a particle method's step costs N network evaluations
// (and N VJPs for TDS), every step leaves a particle record with an ESS in
// [1, N] (MCGdiff resamples at every step, TDS only below N/2), the top
// particles' x̂0 are kept, and the same seed gives the same run bit for
// bit while another seed does not.
func TestParticleRuns(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 2, W: 2, C: 1}, 2, 2, "svd:dy=2,seed=1", 0.2)
	const steps, n = 12, 6
	for _, tc := range []struct {
		name     string
		vjps     int
		resample func(ParticleRecord) bool
	}{
		{"mcgdiff", 0, func(ParticleRecord) bool { return true }},
		{"tds", n, func(p ParticleRecord) bool { return p.ESS < n/2 }},
	} {
		cfg := Config{Steps: steps, Seed: 4, Method: mustMethod(t, tc.name), Params: method.Values{"particles": "6"}}
		a, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		last := a.Records[steps-1]
		if last.NFE != n*steps || last.VJPs != tc.vjps*steps {
			t.Errorf("%s: NFE %d, VJPs %d after %d steps of %d particles", tc.name, last.NFE, last.VJPs, steps, n)
		}
		if !a.HasParticles() {
			t.Fatalf("%s: no particle records", tc.name)
		}
		for i := range steps {
			p, ok := a.Particle(i)
			if !ok || p.N != n || p.ESS < 1-1e-12 || p.ESS > n+1e-9 || p.Distinct < 1 || p.Distinct > n {
				t.Fatalf("%s step %d: record %+v", tc.name, i, p)
			}
			if p.Resampled != tc.resample(p) {
				t.Errorf("%s step %d: ESS %.3f, resampled %v", tc.name, i, p.ESS, p.Resampled)
			}
			sum, kids := 0.0, 0
			for k, w := range p.Weights {
				sum += w
				kids += p.Offspring[k]
				if k > 0 && w > p.Weights[k-1] {
					t.Errorf("%s step %d: top weights not descending: %v", tc.name, i, p.Weights)
				}
			}
			if len(p.Weights) != n || math.Abs(sum-1) > 1e-9 || kids != n {
				t.Errorf("%s step %d: weights %v (sum %v), offspring %v", tc.name, i, p.Weights, sum, p.Offspring)
			}
		}
		top, at := a.TopParticles()
		if len(top) != n || at != steps-1 || len(top[0]) != 4 {
			t.Errorf("%s: %d top particles at step %d", tc.name, len(top), at)
		}
		b, _ := runAll(t, prob, cfg)
		for i := range a.Final {
			if math.Float64bits(a.Final[i]) != math.Float64bits(b.Final[i]) {
				t.Fatalf("%s: same seed, runs differ at %d", tc.name, i)
			}
		}
		if !slices.EqualFunc(a.Particles, b.Particles, func(p, q ParticleRecord) bool {
			return p.ESS == q.ESS && p.Resampled == q.Resampled && slices.Equal(p.Weights, q.Weights)
		}) {
			t.Errorf("%s: same seed, particle records differ", tc.name)
		}
		cfg.Seed = 5
		c, _ := runAll(t, prob, cfg)
		if slices.Equal(a.Final, c.Final) {
			t.Errorf("%s: seeds 4 and 5 give the same sample", tc.name)
		}
	}
}

// TestOneParticle: with N = 1 a step costs one evaluation, and methods
// without particles leave no particle records.
func TestOneParticle(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 2, W: 2, C: 1}, 2, 2, "svd:dy=2,seed=1", 0.2)
	cfg := Config{Steps: 5, Seed: 1, Method: mustMethod(t, "mcgdiff"), Params: method.Values{"particles": "1"}}
	tr, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Records[4].NFE != 5 {
		t.Errorf("N = 1: NFE %d after 5 steps", tr.Records[4].NFE)
	}
	if p, _ := tr.Particle(4); p.ESS != 1 || p.N != 1 {
		t.Errorf("N = 1: record %+v", p)
	}
	cfg.Method = mustMethod(t, "pig")
	tr, _ = runAll(t, prob, cfg)
	if tr.HasParticles() {
		t.Error("ΠG has particle records")
	}
}

// TestParticleLimit: N beyond the limits is refused before anything is allocated.
func TestParticleLimit(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 2, W: 2, C: 1}, 2, 2, "svd:dy=2,seed=1", 0.2)
	for _, n := range []string{"0", "4097", "1.5"} {
		cfg := Config{Steps: 5, Seed: 1, Method: mustMethod(t, "tds"), Params: method.Values{"particles": n}}
		if _, err := New(prob, cfg); err == nil {
			t.Errorf("N = %s accepted", n)
		}
	}
}

// TestParticlesGaussianPosterior: on a Gaussian prior with two observed
// coordinates, MCGdiff's and TDS's samples (one per seed) have the exact
// posterior's mean and standard deviation, to within their sampling
// error and the sampler's discretisation (1000 steps). A twist that
// pins a coordinate and must then let it spread again (MCGdiff with the
// exact likelihood kept below ᾱ*) gave 30 % too narrow a spread here.
func TestParticlesGaussianPosterior(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	shape := img.Shape{H: 1, W: 2, C: 1}
	mix := gmm.Random(shape, 1, 2, 3)
	op, err := operator.Parse("svd:dy=2,seed=1", shape)
	if err != nil {
		t.Fatal(err)
	}
	prob, err := NewProblem(mix, op, mix.Components[0].Mean, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	mean, std, err := mix.PosteriorMoments(context.Background(), op.(operator.Linear), prob.Y, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	const seeds = 300
	for _, name := range []string{"mcgdiff", "tds"} {
		var sum, sq [2]float64
		for seed := 1; seed <= seeds; seed++ {
			tr, err := runAll(t, prob, Config{Steps: 1000, Seed: uint64(seed), Method: mustMethod(t, name), Params: method.Values{"particles": "16"}})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range tr.Final {
				sum[i] += v
				sq[i] += v * v
			}
		}
		for i := range sum {
			mu := sum[i] / seeds
			sd := math.Sqrt(sq[i]/seeds - mu*mu)
			t.Logf("%s pixel %d: mean %.3f (exact %.3f), std %.3f (exact %.3f)", name, i, mu, mean[i], sd, std[i])
			if math.Abs(mu-mean[i]) > 4*std[i]/math.Sqrt(seeds) || math.Abs(sd-std[i]) > 0.12*std[i] {
				t.Errorf("%s pixel %d: mean %.3f, std %.3f; exact %.3f, %.3f", name, i, mu, sd, mean[i], std[i])
			}
		}
	}
}

// benchmarkParticleSteps runs 20 steps of a particle method with 16
// particles at d = 784 (a K = 10, q = 32 mixture, centre-box inpainting):
// 320 denoiser rows, 16 per batched call.
func benchmarkParticleSteps(b *testing.B, name string) {
	prob := testProblem(b, img.Shape{H: 28, W: 28, C: 1}, 10, 32, "inpaint-box:size=14", 0.05)
	cfg := Config{Steps: 20, Seed: 1, Method: mustMethod(b, name), Params: method.Values{"particles": "16"}, NoExact: true}
	b.ReportAllocs()
	for b.Loop() {
		r, err := New(prob, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParticlesMCGdiff(b *testing.B) { benchmarkParticleSteps(b, "mcgdiff") }
func BenchmarkParticlesTDS(b *testing.B)     { benchmarkParticleSteps(b, "tds") }
