package method

import (
	"fmt"
	"math"

	"tweedie/core/operator"
)

// SpectralCut is the relative cutoff of the projection methods (DDRM, DDNM,
// DDNM+, MCG): a singular value at most SpectralCut times the largest is
// treated as 0, its component as unobserved, so that y/s_i never divides
// by a blur's dead frequencies. The published DDRM and DDNM code zeroes
// the singular values of its 1-D blur factors below 3e-2 (their kernels sum
// to 1, so that is relative to the largest as well); masks, pooling and
// identity have one singular value and are untouched.
const SpectralCut = 3e-2

// spectral holds what the projection methods share: the operator's SVD
// A = U·[diag(s) 0]·Vᵀ with s cut at SpectralCut, ȳ = Uᵀy, and scratch in
// spectral coordinates.
type spectral struct {
	measurement
	sp operator.Spectral
	// s is the cut singular values (length m), ybar = Uᵀ·y (length m).
	s, ybar []float64
	// Length d: Vᵀx̂0, Vᵀε̂, Vᵀz, the new coordinates and the shift of
	// x̂0 they imply; eps is ε̂ itself.
	xbar, ebar, zbar, cbar, shift, eps []float64
}

// unitEta checks that the values of the named parameters are in [0, 1].
func unitEta(label string, v Values, names ...string) error {
	for _, n := range names {
		if x := v.Float(n); !(x >= 0 && x <= 1) {
			return fmt.Errorf("%s's %s = %s: want a number in [0, 1]", label, n, v[n])
		}
	}
	return nil
}

func newSpectral(p *Problem, label string) (spectral, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return spectral{}, err
	}
	sp, ok := p.Op.(operator.Spectral)
	if !ok || !p.Op.Linear() {
		return spectral{}, fmt.Errorf("%s cannot serve %s: it has no singular value decomposition here", label, p.Op.Name())
	}
	d, m := p.Op.InShape().Len(), p.Op.OutLen()
	vec := func() []float64 { return make([]float64, d) }
	g := spectral{measurement: ms, sp: sp, s: append([]float64(nil), sp.Singulars()...),
		ybar: sp.UT(make([]float64, m), p.Y),
		xbar: vec(), ebar: vec(), zbar: vec(), cbar: vec(), shift: vec(), eps: vec()}
	smax := 0.0
	for _, v := range g.s {
		smax = math.Max(smax, v)
	}
	for i, v := range g.s {
		if v <= SpectralCut*smax {
			g.s[i] = 0
		}
	}
	return g, nil
}

// sing is s_i, 0 for the null space (i ≥ m).
func (g *spectral) sing(i int) float64 {
	if i < len(g.s) {
		return g.s[i]
	}
	return 0
}

// project fills xbar = Vᵀx̂0, ebar = Vᵀε̂ with ε̂ = (x_t − √ᾱ_t·x̂0)/√(1−ᾱ_t)
// the denoiser's noise estimate, and zbar = Vᵀz, z the step's noise.
func (g *spectral) project(st *State) {
	a, b := math.Sqrt(st.AlphaBarT), math.Sqrt(1-st.AlphaBarT)
	for j := range g.eps {
		g.eps[j] = (st.Xt[j] - a*st.X0Hat[j]) / b
	}
	g.sp.VT(g.xbar, st.X0Hat)
	g.sp.VT(g.ebar, g.eps)
	g.sp.VT(g.zbar, st.Z)
}

// finish writes x_s = scale·V·cbar into out.Xs and the score the mean shift
// of x̂0 in shift implies, V·shift/((1−ᾱ_t)/√ᾱ_t), into out.ScoreY.
func (g *spectral) finish(st *State, out *Output, scale float64) {
	g.sp.V(out.Xs, g.cbar)
	if scale != 1 {
		scaleTo(out.Xs, scale, out.Xs)
	}
	g.sp.V(out.ScoreY, g.shift)
	scaleTo(out.ScoreY, 1/TweedieShift(st.AlphaBarT), out.ScoreY)
	clear(out.Corr)
	out.Target = Replace
	out.Residual = g.residual(st.X0Hat)
}
