package gmm

import "math"

// ApplyCov writes Σ'_k·v into dst (length d) and returns it, Σ'_k the
// covariance of posterior component k:
//
//	Σ'_k·v = Σ_k·v − Σ_k·Aᵀ·S_k⁻¹·A·Σ_k·v,   S_k = A·Σ_k·Aᵀ + σ²·I,
//
// O(d·q) for Σ_k (probabilistic PCA) plus an operator application, its
// adjoint and one Woodbury solve with S_k. Like Sample, it uses the
// posterior's scratch: not safe for concurrent use.
func (post *Posterior) ApplyCov(dst []float64, k int, v []float64) []float64 {
	ms := post.ms
	mix, op := ms.mix, ms.op
	c := &mix.Components[k]
	sv := make([]float64, ms.d) // Σ_k·v
	mix.applyCov(sv, c, v, 1)
	e, sinv, back := make([]float64, ms.m), make([]float64, ms.m), make([]float64, ms.d)
	op.Apply(e, sv)
	delta := priorDelta(c)
	ms.factor(k, c.Resid, delta)
	ms.solve(sinv, e, k, c.Resid, delta)
	op.Adjoint(back, sinv)
	copy(dst, sv)
	mix.applyCov(dst, c, back, -1)
	return dst
}

// CovDiag returns the diagonal of Σ'_k, one ApplyCov per pixel (d probes),
// clamped at 0 against rounding.
func (post *Posterior) CovDiag(k int) []float64 {
	d := post.ms.d
	diag, e, col := make([]float64, d), make([]float64, d), make([]float64, d)
	for i := range diag {
		e[i] = 1
		post.ApplyCov(col, k, e)
		e[i] = 0
		diag[i] = math.Max(col[i], 0)
	}
	return diag
}
