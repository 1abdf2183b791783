package gmm

import (
	"context"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/internal/spread"
	"tweedie/core/internal/vec"
	"tweedie/core/operator"
)

// Posterior is the exact p(x0 | y) of a mixture prior for a linear
// measurement y = A·x0 + σ·z, σ > 0:
//
//	p(x0|y) = Σ_k π'_k·N(m'_k, Σ'_k),
//	S_k   = A·Σ_k·Aᵀ + σ²·I,
//	π'_k  ∝ π_k·N(y; A·μ_k, S_k),
//	m'_k  = μ_k + Σ_k·Aᵀ·S_k⁻¹·(y − A·μ_k),
//	Σ'_k  = Σ_k − Σ_k·Aᵀ·S_k⁻¹·A·Σ_k.
type Posterior struct {
	// Weights are π'_k.
	Weights []float64
	// Means are m'_k, one per component.
	Means [][]float64
	// Mean is E[x0|y] = Σ_k π'_k·m'_k.
	Mean []float64
	// Std is the per-pixel posterior standard deviation,
	// sqrt(Σ_k π'_k·(Σ'_k,ii + m'_ki²) − E[x0_i|y]²); nil from PosteriorWeights.
	Std []float64
	// LogEvidence is log p(y) = log Σ_k π_k·N(y; A·μ_k, S_k).
	LogEvidence float64

	ms *measurement
}

// posteriorNegligible: components whose posterior weight is below this are
// left out of the standard deviation (they change it by less than 1e-12 of
// the variance scale) and are never sampled in practice.
const posteriorNegligible = 1e-12

// Posterior computes the exact posterior for y = A·x0 + σ·z. It needs σ > 0
// and eigenvalues λ_kj ≥ s_k² (true of probabilistic PCA). The per-pixel
// standard deviation costs one probe per pixel and component; it returns
// ctx's error when ctx ends first.
func (mix *Mixture) Posterior(ctx context.Context, op operator.Linear, y []float64, sigma float64) (*Posterior, error) {
	post, err := mix.PosteriorWeights(ctx, op, y, sigma)
	if err != nil {
		return nil, err
	}
	post.Std = make([]float64, len(post.Mean))
	if err := post.std(ctx); err != nil {
		return nil, err
	}
	return post, nil
}

// PosteriorWeights is Posterior without the per-pixel standard deviation
// (Std is nil): weights, means and exact samples only, at the cost of one
// factorisation and solve per component (ctx is checked before each).
func (mix *Mixture) PosteriorWeights(ctx context.Context, op operator.Linear, y []float64, sigma float64) (*Posterior, error) {
	ms, err := newMeasurement(mix, op, y, sigma)
	if err != nil {
		return nil, err
	}
	K, d, m := len(mix.Components), ms.d, ms.m
	post := &Posterior{Weights: make([]float64, K), Means: make([][]float64, K), Mean: make([]float64, d), ms: ms}
	logW := make([]float64, K)
	e, sinv, back := make([]float64, m), make([]float64, m), make([]float64, d)
	for k := range mix.Components {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := &mix.Components[k]
		delta := priorDelta(c)
		logDetS := ms.baseLogDet(c.Resid) + ms.factor(k, c.Resid, delta)
		op.Apply(e, c.Mean)
		floats.SubTo(e, y, e) // y − A·μ_k
		ms.solve(sinv, e, k, c.Resid, delta)
		logW[k] = math.Log(c.Weight) + ms.logNormal(e, sinv, logDetS)
		// m'_k = μ_k + Σ_k·Aᵀ·S_k⁻¹·(y − A·μ_k)
		post.Means[k] = append([]float64(nil), c.Mean...)
		op.Adjoint(back, sinv)
		mix.applyCov(post.Means[k], c, back, 1)
	}
	logZ := floats.LogSumExp(logW)
	post.LogEvidence = logZ
	for k := range logW {
		post.Weights[k] = math.Exp(logW[k] - logZ)
		vec.AddScaled(post.Mean, post.Weights[k], post.Means[k])
	}
	return post, nil
}

// priorDelta returns δ_j = λ_j − s² for Σ = s²·I + U·diag(δ)·Uᵀ.
func priorDelta(c *Component) []float64 {
	delta := make([]float64, c.Rank())
	for j, l := range c.Eigen {
		delta[j] = l - c.Resid
	}
	return delta
}

// applyCov adds scale·Σ_k·v to dst: Σ_k·v = s²·v + U·diag(λ − s²)·Uᵀ·v.
func (mix *Mixture) applyCov(dst []float64, c *Component, v []float64, scale float64) {
	d := len(v)
	vec.AddScaled(dst, scale*c.Resid, v)
	for j, l := range c.Eigen {
		u := c.Basis[j*d : (j+1)*d]
		vec.AddScaled(dst, scale*(l-c.Resid)*vec.Dot(u, v), u)
	}
}

// std fills Std by the law of total variance over the components with
// weight above posteriorNegligible (K' of them, weights summing to W):
//
//	Var[x0_i|y] = (Σ_k π'_k·Σ'_k,ii + Σ_k π'_k·(m'_ki − m̄_i)²) / W,
//
// m̄ their weighted mean; the second sum is spread.Columns's, from the
// deviations m'_ki − m̄_i (not Σ_k π'_k·m'_ki² − W·m̄_i², which cancels
// when the means are large beside the spread). Σ'_k,ii = Σ_k,ii −
// (A·Σ_k·e_i)ᵀ·S_k⁻¹·(A·Σ_k·e_i), one probe per pixel and component. It
// returns ctx's error, checked at every probe, when ctx ends first.
func (post *Posterior) std(ctx context.Context) error {
	ms := post.ms
	mix, op := ms.mix, ms.op
	d, m := ms.d, ms.m
	within := make([]float64, d) // Σ_k π'_k·Σ'_k,ii
	var means [][]float64
	var weights []float64
	col, acol, sinv, ei := make([]float64, d), make([]float64, m), make([]float64, m), make([]float64, d)
	for k := range mix.Components {
		wk := post.Weights[k]
		if wk < posteriorNegligible {
			continue
		}
		means, weights = append(means, post.Means[k]), append(weights, wk)
		c := &mix.Components[k]
		delta := priorDelta(c)
		ms.factor(k, c.Resid, delta)
		for i := 0; i < d; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			ei[i] = 1
			clear(col)
			mix.applyCov(col, c, ei, 1) // Σ_k·e_i
			ei[i] = 0
			op.Apply(acol, col)
			ms.solve(sinv, acol, k, c.Resid, delta)
			within[i] += wk * math.Max(col[i]-vec.Dot(acol, sinv), 0)
		}
	}
	_, between := spread.Columns(means, weights)
	total := floats.Sum(weights)
	for i := range post.Std {
		post.Std[i] = math.Sqrt((within[i] + between[i]) / total)
	}
	return nil
}

// Sample writes an exact draw from p(x0|y) into dst (length d) by Matheron's
// rule: with k ~ π', x ~ N(μ_k, Σ_k) and ε ~ N(0, σ²·I),
//
//	x0 = x + Σ_k·Aᵀ·S_k⁻¹·(y − A·x − ε)
//
// is distributed as N(m'_k, Σ'_k). It returns dst and the component drawn.
func (post *Posterior) Sample(dst []float64, rng *rand.Rand) ([]float64, int) {
	ms := post.ms
	mix, op := ms.mix, ms.op
	d, m := ms.d, ms.m
	u := rng.Float64()
	k := 0
	for acc := post.Weights[0]; u > acc && k < len(post.Weights)-1; {
		k++
		acc += post.Weights[k]
	}
	c := &mix.Components[k]
	mix.sampleComponent(dst, c, rng)
	e, sinv, back := make([]float64, m), make([]float64, m), make([]float64, d)
	op.Apply(e, dst)
	sigma := math.Sqrt(ms.sigma2)
	for i := range e {
		e[i] = ms.y[i] - e[i] - sigma*rng.NormFloat64()
	}
	delta := priorDelta(c)
	ms.factor(k, c.Resid, delta)
	ms.solve(sinv, e, k, c.Resid, delta)
	op.Adjoint(back, sinv)
	mix.applyCov(dst, c, back, 1)
	return dst, k
}

// sampleComponent writes a draw from N(μ_k, Σ_k) into dst:
// x = μ + s·z + U·((sqrt λ − s)⊙(Uᵀz)), z ~ N(0, I).
func (mix *Mixture) sampleComponent(dst []float64, c *Component, rng *rand.Rand) {
	d := len(dst)
	s := math.Sqrt(c.Resid)
	z := make([]float64, d)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	for i := range dst {
		dst[i] = c.Mean[i] + s*z[i]
	}
	for j, l := range c.Eigen {
		u := c.Basis[j*d : (j+1)*d]
		vec.AddScaled(dst, (math.Sqrt(l)-s)*vec.Dot(u, z), u)
	}
}

// Sample writes a draw from the prior into dst and returns the component drawn.
func (mix *Mixture) Sample(dst []float64, rng *rand.Rand) ([]float64, int) {
	u := rng.Float64()
	k := 0
	for acc := mix.Components[0].Weight; u > acc && k < len(mix.Components)-1; {
		k++
		acc += mix.Components[k].Weight
	}
	mix.sampleComponent(dst, &mix.Components[k], rng)
	return dst, k
}

// PosteriorMoments returns the exact posterior's mean and per-pixel
// standard deviation for y = A·x0 + σ·z (σ > 0), or ctx's error when ctx
// ends first.
func (mix *Mixture) PosteriorMoments(ctx context.Context, op operator.Linear, y []float64, sigma float64) (mean, std []float64, err error) {
	post, err := mix.Posterior(ctx, op, y, sigma)
	if err != nil {
		return nil, nil, err
	}
	return post.Mean, post.Std, nil
}
