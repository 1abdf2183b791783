package gmm

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/operator"
)

// denseA builds A column by column from Apply.
func denseA(op operator.Operator) *mat.Dense {
	d, m := op.InShape().Len(), op.OutLen()
	A := mat.NewDense(m, d, nil)
	e, col := make([]float64, d), make([]float64, m)
	for j := 0; j < d; j++ {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		A.SetCol(j, col)
	}
	return A
}

// denseMeasured is component c seen through y = A·x0 + σz, densely: its
// covariance Σ, A·Σ, the covariance AΣAᵀ + σ²I of y and the mean A·μ.
func denseMeasured(c *Component, A *mat.Dense, sigma float64) (Sig *mat.SymDense, ASig *mat.Dense, Ss *mat.SymDense, Amu *mat.VecDense) {
	m, d := A.Dims()
	Sig = denseCov(c, d)
	ASig = new(mat.Dense)
	ASig.Mul(A, Sig)
	var S mat.Dense
	S.Mul(ASig, A.T())
	Ss = mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		for j := i; j < m; j++ {
			Ss.SetSym(i, j, 0.5*(S.At(i, j)+S.At(j, i)))
		}
		Ss.SetSym(i, i, Ss.At(i, i)+sigma*sigma)
	}
	Amu = new(mat.VecDense)
	Amu.MulVec(A, mat.NewVecDense(d, c.Mean))
	return Sig, ASig, Ss, Amu
}

// densePosterior returns π'_k, m'_k and Σ'_k from the textbook formulas.
func densePosterior(t testing.TB, mix *Mixture, A *mat.Dense, y []float64, sigma float64) ([]float64, [][]float64, []*mat.SymDense) {
	m, d := A.Dims()
	K := len(mix.Components)
	logW := make([]float64, K)
	means := make([][]float64, K)
	covs := make([]*mat.SymDense, K)
	yv := mat.NewVecDense(m, y)
	for k := range mix.Components {
		c := &mix.Components[k]
		Sig, ASig, Ss, Amu := denseMeasured(c, A, sigma)
		logW[k] = math.Log(c.Weight) + denseLogNormal(t, y, Amu.RawVector().Data, Ss)
		var ch mat.Cholesky
		ch.Factorize(Ss)
		var e, sol, back mat.VecDense
		e.SubVec(yv, Amu)
		ch.SolveVecTo(&sol, &e)
		back.MulVec(ASig.T(), &sol)
		means[k] = make([]float64, d)
		for i := range means[k] {
			means[k][i] = c.Mean[i] + back.AtVec(i)
		}
		var X, corr mat.Dense
		ch.SolveTo(&X, ASig)
		corr.Mul(ASig.T(), &X)
		covs[k] = mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				covs[k].SetSym(i, j, Sig.At(i, j)-0.5*(corr.At(i, j)+corr.At(j, i)))
			}
		}
	}
	normalizeLog(logW)
	for k := range logW {
		logW[k] = math.Exp(logW[k])
	}
	return logW, means, covs
}

type posteriorCase struct {
	spec  string
	shape img.Shape
}

var posteriorCases = []posteriorCase{
	{"inpaint-box:size=2", img.Shape{H: 4, W: 4, C: 1}},
	{"inpaint-random:p=0.5,seed=3", img.Shape{H: 3, W: 4, C: 1}},
	{"sr:factor=2", img.Shape{H: 4, W: 4, C: 1}},
	{"blur-gauss:size=3,std=1", img.Shape{H: 4, W: 4, C: 1}},
	{"identity", img.Shape{H: 3, W: 3, C: 1}},
}

func measured(t testing.TB, pc posteriorCase, K, q int, sigma float64) (*Mixture, operator.Linear, []float64) {
	mix := Random(pc.shape, K, q, 5)
	op, err := operator.Parse(pc.spec, pc.shape)
	if err != nil {
		t.Fatal(err)
	}
	lin := op.(operator.Linear)
	rng := rand.New(rand.NewPCG(4, 4))
	x, _ := mix.Sample(make([]float64, mix.Dim()), rng)
	y := op.Apply(make([]float64, op.OutLen()), x)
	for i := range y {
		y[i] += sigma * rng.NormFloat64()
	}
	return mix, lin, y
}

func TestPosteriorMatchesDense(t *testing.T) {
	mixed := false // some case must have weights far from one-hot, or π' is untested
	for _, sigma := range []float64{0.1, 2} {
		for _, pc := range posteriorCases {
			mixed = mixed || checkPosteriorDense(t, pc, sigma)
		}
	}
	if !mixed {
		t.Error("every posterior was one-hot: the weight check cannot fail")
	}
}

func checkPosteriorDense(t *testing.T, pc posteriorCase, sigma float64) (mixed bool) {
	{
		mix, op, y := measured(t, pc, 3, 2, sigma)
		post, err := mix.Posterior(context.Background(), op, y, sigma)
		if err != nil {
			t.Fatalf("%s: %v", pc.spec, err)
		}
		w, means, covs := densePosterior(t, mix, denseA(op), y, sigma)
		d := mix.Dim()
		mean := make([]float64, d)
		second := make([]float64, d)
		for k := range w {
			if math.Abs(post.Weights[k]-w[k]) > 1e-9 {
				t.Errorf("%s: π'_%d = %v, dense %v", pc.spec, k, post.Weights[k], w[k])
			}
			if e := maxRelErr(post.Means[k], means[k]); e > 1e-9 {
				t.Errorf("%s: m'_%d rel err %.2e", pc.spec, k, e)
			}
			for i := 0; i < d; i++ {
				mean[i] += w[k] * means[k][i]
				second[i] += w[k] * (covs[k].At(i, i) + means[k][i]*means[k][i])
			}
		}
		for i := 0; i < d; i++ {
			std := math.Sqrt(second[i] - mean[i]*mean[i])
			if math.Abs(post.Std[i]-std) > 1e-7*(1+std) {
				t.Errorf("%s: std[%d] = %v, dense %v", pc.spec, i, post.Std[i], std)
			}
			if math.Abs(post.Mean[i]-mean[i]) > 1e-9 {
				t.Errorf("%s: mean[%d] = %v, dense %v", pc.spec, i, post.Mean[i], mean[i])
			}
		}
		return maxAbs(w) < 0.99
	}
}

// TestPosteriorSamples checks Matheron's-rule samples against the exact
// component frequencies (binomial, 4.5 standard errors) and per-pixel mean
// and standard deviation (4.5 standard errors of the mean; 10% for the std).
func TestPosteriorSamples(t *testing.T) {
	const sigma, N = 0.3, 4000
	mix, op, y := measured(t, posteriorCases[0], 3, 2, sigma)
	post, err := mix.Posterior(context.Background(), op, y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	d := mix.Dim()
	rng := rand.New(rand.NewPCG(8, 8))
	counts := make([]float64, len(post.Weights))
	sum, sum2 := make([]float64, d), make([]float64, d)
	x := make([]float64, d)
	for n := 0; n < N; n++ {
		_, k := post.Sample(x, rng)
		counts[k]++
		for i, v := range x {
			sum[i] += v
			sum2[i] += v * v
		}
	}
	for k, c := range counts {
		p := post.Weights[k]
		if tol := 4.5 * math.Sqrt(p*(1-p)/N); math.Abs(c/N-p) > tol+1e-12 {
			t.Errorf("component %d drawn %.4f of the time, weight %.4f ± %.4f", k, c/N, p, tol)
		}
	}
	for i := 0; i < d; i++ {
		mean := sum[i] / N
		std := math.Sqrt(sum2[i]/N - mean*mean)
		if tol := 4.5 * post.Std[i] / math.Sqrt(N); math.Abs(mean-post.Mean[i]) > tol {
			t.Errorf("pixel %d: sample mean %.4f, exact %.4f ± %.4f", i, mean, post.Mean[i], tol)
		}
		if math.Abs(std-post.Std[i]) > 0.1*post.Std[i] {
			t.Errorf("pixel %d: sample std %.4f, exact %.4f", i, std, post.Std[i])
		}
	}
}

// denseLogPYGivenXt is log p(y|x_t) up to a constant in x_t, from the note's
// closed forms: log p_t(x_t|y) − log p_t(x_t), with
// x_t|y ~ Σ π'_k N(sqrt(ᾱ)m'_k, ᾱΣ'_k + (1−ᾱ)I) and x_t ~ Σ π_k N(sqrt(ᾱ)μ_k, ᾱΣ_k + (1−ᾱ)I).
func denseLogPYGivenXt(t testing.TB, mix *Mixture, w []float64, means [][]float64, covs []*mat.SymDense, xt []float64, alphaBar float64) float64 {
	d := len(xt)
	sa := math.Sqrt(alphaBar)
	mixLog := func(weights []float64, mu func(k int) []float64, cov func(k int) *mat.SymDense) float64 {
		terms := make([]float64, len(weights))
		for k := range weights {
			C := mat.NewSymDense(d, nil)
			C.ScaleSym(alphaBar, cov(k))
			for i := 0; i < d; i++ {
				C.SetSym(i, i, C.At(i, i)+1-alphaBar)
			}
			m := make([]float64, d)
			for i := range m {
				m[i] = sa * mu(k)[i]
			}
			terms[k] = math.Log(weights[k]) + denseLogNormal(t, xt, m, C)
		}
		mx := math.Inf(-1)
		for _, v := range terms {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for _, v := range terms {
			s += math.Exp(v - mx)
		}
		return mx + math.Log(s)
	}
	prior := make([]float64, len(mix.Components))
	for k := range prior {
		prior[k] = mix.Components[k].Weight
	}
	post := mixLog(w, func(k int) []float64 { return means[k] }, func(k int) *mat.SymDense { return covs[k] })
	marg := mixLog(prior, func(k int) []float64 { return mix.Components[k].Mean },
		func(k int) *mat.SymDense { return denseCov(&mix.Components[k], d) })
	return post - marg
}

// TestExactGuidanceFiniteDifference checks the exact guidance against a
// central-difference derivative of log p(y|x_t) computed densely from the
// conditional marginal, at several noise levels.
func TestExactGuidanceFiniteDifference(t *testing.T) {
	const sigma = 0.2
	rng := rand.New(rand.NewPCG(6, 6))
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 3, 2, sigma)
		w, means, covs := densePosterior(t, mix, denseA(op), y, sigma)
		eg, err := mix.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		d := mix.Dim()
		for _, ab := range testAlphaBars() {
			xt := noisyPoint(mix, ab, rng)
			got := eg.Guidance(make([]float64, d), xt, ab)
			want := make([]float64, d)
			h := 1e-5 * math.Sqrt(1-ab)
			for i := range xt {
				xp := append([]float64(nil), xt...)
				xp[i] += h
				fp := denseLogPYGivenXt(t, mix, w, means, covs, xp, ab)
				xp[i] -= 2 * h
				fm := denseLogPYGivenXt(t, mix, w, means, covs, xp, ab)
				want[i] = (fp - fm) / (2 * h)
			}
			if e := maxRelErr(got, want); e > 1e-5 {
				t.Errorf("%s ᾱ=%.4g: exact guidance rel err %.2e (‖g‖∞ %.3g)", pc.spec, ab, e, maxAbs(want))
			}
		}
	}
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func TestExactNeedsPositiveSigma(t *testing.T) {
	mix, op, y := measured(t, posteriorCases[0], 2, 2, 0.1)
	for _, s := range []float64{0, -1, math.NaN()} {
		if _, err := mix.Posterior(context.Background(), op, y, s); err == nil {
			t.Errorf("σ = %v accepted", s)
		}
	}
}

func TestPosteriorWeightsSkipsStd(t *testing.T) {
	mix, op, y := measured(t, posteriorCases[2], 3, 2, 0.5)
	full, _ := mix.Posterior(context.Background(), op, y, 0.5)
	light, err := mix.PosteriorWeights(context.Background(), op, y, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if light.Std != nil || len(full.Std) != mix.Dim() {
		t.Fatalf("Std: %d and %d values", len(light.Std), len(full.Std))
	}
	for k := range full.Weights {
		if light.Weights[k] != full.Weights[k] {
			t.Fatalf("weights differ at %d", k)
		}
	}
	for i := range full.Mean {
		if light.Mean[i] != full.Mean[i] {
			t.Fatalf("means differ at %d", i)
		}
	}
}

// The posterior's standard deviation does not move when every image is
// shifted by 1e8 (the prior's means, and y by A·1e8): it comes from the
// components' deviations from their mean, not from second moments of
// order 1e16 that cancel.
func TestStdLargeMean(t *testing.T) {
	const sigma, shift = 2, 1e8
	pc := posteriorCases[0]
	mix, op, y := measured(t, pc, 3, 2, sigma)
	post, err := mix.Posterior(context.Background(), op, y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	mixed := 0
	for _, w := range post.Weights {
		if w > 0.01 {
			mixed++
		}
	}
	if mixed < 2 {
		t.Fatalf("posterior weights %v: one component, the spread of the means is not tested", post.Weights)
	}
	far := &Mixture{Shape: mix.Shape, Components: slices.Clone(mix.Components)}
	for k := range far.Components {
		c := &far.Components[k]
		c.Mean = slices.Clone(c.Mean)
		for i := range c.Mean {
			c.Mean[i] += shift
		}
	}
	ones := make([]float64, mix.Dim())
	for i := range ones {
		ones[i] = shift
	}
	yFar := op.Apply(make([]float64, op.OutLen()), ones)
	floats.Add(yFar, y)
	got, err := far.Posterior(context.Background(), op, yFar, sigma)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range post.Std {
		if math.Abs(got.Std[i]-want) > 1e-6*want {
			t.Errorf("pixel %d: std %.9g shifted by 1e8, %.9g unshifted", i, got.Std[i], want)
		}
	}
}
