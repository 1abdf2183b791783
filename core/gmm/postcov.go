package gmm

import (
	"context"
	"math"
	"math/rand/v2"

	"tweedie/core/internal/vec"
)

// covApplier returns a function that writes Σ'_k·v into dst, Σ'_k the
// covariance of posterior component k:
//
//	Σ'_k·v = Σ_k·v − Σ_k·Aᵀ·S_k⁻¹·A·Σ_k·v,   S_k = A·Σ_k·Aᵀ + σ²·I,
//
// O(d·q) for Σ_k (probabilistic PCA) plus an operator application, its
// adjoint and one Woodbury solve with S_k, factored once for every call of
// the function. The function is valid until the posterior's next use.
func (post *Posterior) covApplier(k int) func(dst, v []float64) []float64 {
	ms := post.ms
	mix, op := ms.mix, ms.op
	c := &mix.Components[k]
	delta := priorDelta(c)
	ms.factor(k, c.Resid, delta)
	sv := make([]float64, ms.d)
	e, sinv, back := make([]float64, ms.m), make([]float64, ms.m), make([]float64, ms.d)
	return func(dst, v []float64) []float64 {
		clear(sv)
		mix.applyCov(sv, c, v, 1) // Σ_k·v
		op.Apply(e, sv)
		ms.solve(sinv, e, k, c.Resid, delta)
		op.Adjoint(back, sinv)
		copy(dst, sv)
		mix.applyCov(dst, c, back, -1)
		return dst
	}
}

// ApplyCov writes Σ'_k·v into dst (length d) and returns it. Like Sample,
// it uses the posterior's scratch: not safe for concurrent use.
func (post *Posterior) ApplyCov(dst []float64, k int, v []float64) []float64 {
	return post.covApplier(k)(dst, v)
}

// The probes below check ctx before each application (an application
// costs far more than the check) and return its error when it has ended.

// CovQuad returns vᵀ·Σ'_k·v for each v of vs (one factorisation for all),
// the bits of vec.Dot(v, ApplyCov(·, k, v)) for each.
func (post *Posterior) CovQuad(ctx context.Context, k int, vs [][]float64) ([]float64, error) {
	apply := post.covApplier(k)
	out := make([]float64, len(vs))
	cv := make([]float64, post.ms.d)
	for i, v := range vs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = vec.Dot(v, apply(cv, v))
	}
	return out, nil
}

// CovDiag returns the diagonal of Σ'_k, one application per pixel (d
// probes), clamped at 0 against rounding.
func (post *Posterior) CovDiag(ctx context.Context, k int) ([]float64, error) {
	apply := post.covApplier(k)
	d := post.ms.d
	diag, e, col := make([]float64, d), make([]float64, d), make([]float64, d)
	for i := range diag {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e[i] = 1
		apply(col, e)
		e[i] = 0
		diag[i] = math.Max(col[i], 0)
	}
	return diag, nil
}

// SampleMany fills each row of dst (length d each) with an independent
// exact draw from p(x0|y) and returns the components drawn: the components
// first (k ~ π'), then the draws of each component together, Matheron's
// rule as in Sample with one factorisation per component instead of one
// per draw. Not safe for concurrent use.
func (post *Posterior) SampleMany(dst [][]float64, rng *rand.Rand) []int {
	ms := post.ms
	mix, op := ms.mix, ms.op
	ks := make([]int, len(dst))
	for i := range ks {
		u := rng.Float64()
		k := 0
		for acc := post.Weights[0]; u > acc && k < len(post.Weights)-1; {
			k++
			acc += post.Weights[k]
		}
		ks[i] = k
	}
	e, sinv, back := make([]float64, ms.m), make([]float64, ms.m), make([]float64, ms.d)
	sigma := math.Sqrt(ms.sigma2)
	for k := range mix.Components {
		c := &mix.Components[k]
		var delta []float64
		for i, ki := range ks {
			if ki != k {
				continue
			}
			if delta == nil {
				delta = priorDelta(c)
				ms.factor(k, c.Resid, delta)
			}
			x := dst[i]
			mix.sampleComponent(x, c, rng)
			op.Apply(e, x)
			for j := range e {
				e[j] = ms.y[j] - e[j] - sigma*rng.NormFloat64()
			}
			ms.solve(sinv, e, k, c.Resid, delta)
			op.Adjoint(back, sinv)
			mix.applyCov(x, c, back, 1)
		}
	}
	return ks
}

// MeasuredTrace returns tr(A·Σ'_k·Aᵀ) and tr(A·Aᵀ), by the rows a_j = Aᵀ·e_j
// of A: Σ_j a_jᵀ·Σ'_k·a_j and Σ_j ‖a_j‖² (m applications, one vector of
// scratch at a time).
func (post *Posterior) MeasuredTrace(ctx context.Context, k int) (trACA, trAA float64, err error) {
	ms := post.ms
	apply := post.covApplier(k)
	e, row, cv := make([]float64, ms.m), make([]float64, ms.d), make([]float64, ms.d)
	for j := 0; j < ms.m; j++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		e[j] = 1
		ms.op.Adjoint(row, e)
		e[j] = 0
		trACA += vec.Dot(row, apply(cv, row))
		trAA += vec.Dot(row, row)
	}
	return trACA, trAA, nil
}
