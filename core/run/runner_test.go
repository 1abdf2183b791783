package run

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// testProblem is box inpainting of a draw from a random mixture.
func testProblem(t testing.TB, shape img.Shape, K, q int, spec string, sigma float64) *Problem {
	t.Helper()
	mix := gmm.Random(shape, K, q, 11)
	op, err := operator.Parse(spec, shape)
	if err != nil {
		t.Fatal(err)
	}
	truth := append([]float64(nil), mix.Components[0].Mean...)
	prob, err := NewProblem(mix, op, truth, sigma, 5)
	if err != nil {
		t.Fatal(err)
	}
	return prob
}

func runAll(t testing.TB, prob *Problem, cfg Config) (*Trajectory, error) {
	t.Helper()
	r, err := New(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background(), nil)
}

func mustMethod(t testing.TB, name string) *method.Method {
	m, err := method.Lookup(name)
	if err != nil {
		panic(err)
	}
	return m
}

func pigConfig(prob *Problem, steps int) Config {
	return Config{Sampler: sampler.DDPM, Steps: steps, Seed: 3,
		Method: mustMethod(nil, "pig")}
}

// TestStepEqualsRun: driving the runner one step at a time gives the same result.
func TestStepEqualsRun(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 2, 3, "sr:factor=2", 0.05)
	cfg := pigConfig(prob, 20)
	whole, _ := runAll(t, prob, cfg)
	r, _ := New(prob, cfg)
	for !r.Done() {
		if err := r.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range r.Trajectory().Final {
		if v != whole.Final[i] {
			t.Fatal("stepping differs from Run")
		}
	}
}

// TestPiGEndsConsistentWithY: with small σ, ΠG's final sample agrees with y
// on the observed pixels of an inpainting mask to within a few σ.
func TestPiGEndsConsistentWithY(t *testing.T) {
	const sigma = 0.001
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, "inpaint-box:size=4", sigma)
	tr, err := runAll(t, prob, pigConfig(prob, 100))
	if err != nil {
		t.Fatal(err)
	}
	ax := prob.Op.Apply(make([]float64, prob.Op.OutLen()), tr.Final)
	worst := 0.0
	for i := range ax {
		worst = math.Max(worst, math.Abs(ax[i]-prob.Y[i]))
	}
	if worst > 5*sigma {
		t.Errorf("max |A(x) − y| = %.3g, want ≤ 5σ = %.3g", worst, 5*sigma)
	}
	// Unguided sampling from the same noise is far from y: the test can fail.
	cfg := pigConfig(prob, 100)
	cfg.Method = mustMethod(t, "none")
	un, _ := runAll(t, prob, cfg)
	ax = prob.Op.Apply(ax, un.Final)
	far := 0.0
	for i := range ax {
		far = math.Max(far, math.Abs(ax[i]-prob.Y[i]))
	}
	if far < 20*sigma {
		t.Errorf("unguided run also matches y (%.3g): the test cannot tell", far)
	}
}

func TestAbsurdZetaReportsDivergence(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, "inpaint-box:size=4", 0.05)
	cfg := pigConfig(prob, 100)
	cfg.Method = mustMethod(t, "dps")
	cfg.Params = method.Values{"zeta": "1e+12"}
	tr, err := runAll(t, prob, cfg)
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a DivergedError", err)
	}
	if tr.DivergedAt != de.Step || de.Step < 0 || de.Step >= 100 || tr.Done != de.Step+1 {
		t.Errorf("diverged at %d, trajectory says %d with %d done", de.Step, tr.DivergedAt, tr.Done)
	}
	if de.T != tr.Grid[de.Step] {
		t.Errorf("reported t = %d, grid has %d", de.T, tr.Grid[de.Step])
	}
	t.Logf("%v", err)
}

// TestLikelihoodDPSDivergesAtSmallSigma shows the 1/σ² form blowing up.
func TestLikelihoodDPSDivergesAtSmallSigma(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, "inpaint-box:size=4", 1e-4)
	cfg := pigConfig(prob, 100)
	cfg.Method = mustMethod(t, "dps")
	cfg.Params = method.Values{"dps-form": "likelihood", "zeta": "1"}
	if _, err := runAll(t, prob, cfg); err == nil {
		t.Error("likelihood DPS at σ = 1e-4 did not diverge")
	}
}

func TestBadSettingsRefused(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 2, 2, "inpaint-box:size=4", 0.05)
	cases := map[string]func(*Config){
		"zero steps": func(c *Config) { c.Steps = 0 },
		"too many":   func(c *Config) { c.Steps = 1001 },
		"NaN eta":    func(c *Config) { c.Sampler = sampler.DDIM; c.Eta = math.NaN() },
		"negative ζ": func(c *Config) { c.Method = mustMethod(t, "dps"); c.Params = method.Values{"zeta": "-1"} },
		"NaN r":      func(c *Config) { c.Params = method.Values{"r": "NaN"} },
		"no method":  func(c *Config) { c.Method = nil },
	}
	for name, mod := range cases {
		cfg := pigConfig(prob, 10)
		mod(&cfg)
		if _, err := New(prob, cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	mix := gmm.Random(img.Shape{H: 8, W: 8, C: 1}, 2, 2, 1)
	op, _ := operator.Parse("identity", mix.Shape)
	for _, s := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewProblem(mix, op, mix.Components[0].Mean, s, 1); err == nil {
			t.Errorf("σ = %v accepted", s)
		}
	}
	// The oracle needs σ > 0 (an exact posterior).
	exact, err := NewProblem(mix, op, mix.Components[0].Mean, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pigConfig(exact, 10)
	cfg.Method = mustMethod(t, "oracle")
	if _, err := New(exact, cfg); err == nil {
		t.Error("oracle accepted σ = 0")
	}
	// ΠG refuses phase retrieval with a reason.
	ph, err := operator.Parse("phase", mix.Shape)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := NewProblem(mix, ph, mix.Components[0].Mean, 0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(pp, pigConfig(pp, 10)); err == nil {
		t.Error("ΠG accepted phase retrieval")
	} else {
		t.Log(err)
	}
}

// TestGaussianPriorMoments: with an exact single-Gaussian prior and no
// guidance, DDPM (1000 steps) and DDIM (η = 0 and 1, 100 steps) draw
// samples whose mean and variance along the prior's principal directions
// match the prior. (Ancestral sampling on a coarse grid is biased: DDIM
// η = 1 at 100 steps gave variances about 16% low here, since it steps from
// E[x0|x_t] and drops Cov[x0|x_t]; at 1000 steps the bias is within 2%.)
// With N samples the sample mean has standard error
// sqrt(λ/N) and the sample variance ≈ λ·sqrt(2/N); we allow 4.5 standard
// errors plus 2% of λ for discretisation.
func TestGaussianPriorMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	shape := img.Shape{H: 2, W: 2, C: 1}
	mix := gmm.Random(shape, 1, 2, 21)
	c := &mix.Components[0]
	d := shape.Len()
	op, _ := operator.Parse("identity", shape)
	prob, err := NewProblem(mix, op, c.Mean, 0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	const N = 3000
	for _, sc := range []struct {
		kind  sampler.Kind
		eta   float64
		steps int
	}{{sampler.DDPM, 0, 1000}, {sampler.DDIM, 0, 100}, {sampler.DDIM, 1, 1000}} {
		// Directions: the two basis vectors and one residual direction.
		rng := rand.New(rand.NewPCG(9, 9))
		full := append([]float64(nil), c.Basis...)
		for i := 0; i < d; i++ {
			full = append(full, rng.NormFloat64())
		}
		if err := gmm.Orthonormalize(full, 3, d, math.Inf(1)); err != nil {
			t.Fatal(err)
		}
		dirs := [][]float64{full[:d], full[d : 2*d], full[2*d:]}
		lambdas := []float64{c.Eigen[0], c.Eigen[1], c.Resid}
		sum := make([]float64, 3)
		sum2 := make([]float64, 3)
		for n := 0; n < N; n++ {
			cfg := Config{Sampler: sc.kind, Eta: sc.eta, Steps: sc.steps, Seed: uint64(1000 + n),
				Method: mustMethod(t, "none")}
			tr, err := runAll(t, prob, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for j, u := range dirs {
				p := 0.0
				for i := range u {
					p += u[i] * (tr.Final[i] - c.Mean[i])
				}
				sum[j] += p
				sum2[j] += p * p
			}
		}
		for j, l := range lambdas {
			mean := sum[j] / N
			variance := sum2[j]/N - mean*mean
			if tol := 4.5 * math.Sqrt(l/N); math.Abs(mean) > tol {
				t.Errorf("%v η=%v: mean along direction %d is %.4f, want 0 ± %.4f", sc.kind, sc.eta, j, mean, tol)
			}
			if tol := 4.5*l*math.Sqrt(2.0/N) + 0.02*l; math.Abs(variance-l) > tol {
				t.Errorf("%v η=%v: variance along direction %d is %.4f, want %.4f ± %.4f", sc.kind, sc.eta, j, variance, l, tol)
			}
		}
	}
}

// TestCosineToExact: with an exact prior every step compares the method's
// estimate with the exact guidance; the oracle's estimate is the exact one.
func TestCosineToExact(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	for _, m := range []string{"oracle", "pig", "dps"} {
		cfg := pigConfig(prob, 50)
		cfg.Method = mustMethod(t, m)
		tr, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range tr.Records {
			if math.IsNaN(rec.GCos) || rec.GCos < -1-1e-12 || rec.GCos > 1+1e-12 {
				t.Fatalf("%v step %d: cos = %v", m, rec.Index, rec.GCos)
			}
			if m == "oracle" && (math.Abs(rec.GCos-1) > 1e-12 || math.Abs(rec.GRatio-1) > 1e-12) {
				t.Fatalf("oracle step %d: cos %v, ratio %v", rec.Index, rec.GCos, rec.GRatio)
			}
		}
	}
	cfg := pigConfig(prob, 10)
	cfg.NoExact = true
	tr, _ := runAll(t, prob, cfg)
	if !math.IsNaN(tr.Records[0].GCos) {
		t.Error("NoExact still compared with the exact guidance")
	}
}

// TestCompareExactAfterwards: filling the comparison after a NoExact run
// agrees with the inline comparison (float32 storage: to about 1e-5).
func TestCompareExactAfterwards(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 40)
	inline, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NoExact = true
	r, _ := New(prob, cfg)
	if !r.HasExact() {
		t.Fatal("no exact guidance for an exact prior")
	}
	tr, _ := r.Run(context.Background(), nil)
	for i := range tr.Records {
		if !math.IsNaN(tr.Records[i].GCos) {
			t.Fatal("NoExact run compared inline")
		}
		r.CompareExact(i)
		got, want := tr.Records[i], inline.Records[i]
		if math.Abs(got.GCos-want.GCos) > 1e-5 || math.Abs(got.GRatio/want.GRatio-1) > 1e-5 {
			t.Errorf("step %d: cos %v ratio %v, inline %v %v", i, got.GCos, got.GRatio, want.GCos, want.GRatio)
		}
	}
}
