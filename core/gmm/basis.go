package gmm

import "tweedie/core/internal/vec"

// basis is what the hot loops read of a component's basis U_k, row by row
// as Component.Basis: the float64 rows, or (Mixture.Float32Bases) their
// rounding to float32, widened exactly in the kernels of core/internal/vec.
type basis struct {
	f64 []float64
	f32 []float32
}

func newBasis(rows []float64, float32Rows bool) basis {
	if !float32Rows {
		return basis{f64: rows}
	}
	f32 := make([]float32, len(rows))
	for i, v := range rows {
		f32[i] = float32(v)
	}
	return basis{f32: f32}
}

// project writes p_j = u_jᵀ·v for the q rows u_j of u into p[:q] and
// returns p[:q].
func project(p []float64, u basis, v []float64) []float64 {
	if u.f32 != nil {
		p = p[:len(u.f32)/len(v)]
		vec.DotRows32(p, u.f32, v)
		return p
	}
	p = p[:len(u.f64)/len(v)]
	vec.DotRows(p, u.f64, v)
	return p
}

// expand adds Σ_j coef_j·u_j over the rows of u to dst, in order of j.
func expand(dst []float64, u basis, coef []float64) {
	if u.f32 != nil {
		vec.AddRows32(dst, coef, u.f32)
		return
	}
	vec.AddRows(dst, coef, u.f64)
}

// projectVecs writes p_b = U·v_b (as project) into out[b] for every vector.
func projectVecs(out [][]float64, u basis, v [][]float64) {
	if u.f32 != nil {
		vec.DotRows32Vecs(out, u.f32, v)
		return
	}
	for b := range v {
		vec.DotRows(out[b], u.f64, v[b])
	}
}

// expandVecs adds Σ_j coef_bj·u_j to dst[b] (as expand) for every vector.
func expandVecs(dst [][]float64, u basis, coef [][]float64) {
	if u.f32 != nil {
		vec.AddRows32Vecs(dst, coef, u.f32)
		return
	}
	for b := range dst {
		vec.AddRows(dst[b], coef[b], u.f64)
	}
}
