package gmm

import (
	"context"
	"fmt"
	"math"
	"slices"

	"tweedie/core/denoiser"
	"tweedie/core/internal/vec"
)

// negligible is the responsibility below which a component is left out of
// x̂0 and Jᵀv: its contribution is below float64 rounding of the result.
const negligible = 1e-18

// Denoiser is the exact E[x0 | x_t] of a Mixture, with Jᵀv by second-order
// Tweedie, for batches of inputs at one noise level. At noise level ᾱ, with
// r_k = x_t − sqrt(ᾱ)·μ_k and C_k = ᾱ·Σ_k + (1−ᾱ)·I (eigenvalues
// c_kj = ᾱ·λ_kj + 1−ᾱ on span U_k and c⊥_k = ᾱ·s_k² + 1−ᾱ elsewhere):
//
//	log w_k = log π_k − ½·(log det C_k + r_kᵀ·C_k⁻¹·r_k) + const
//	m_k     = μ_k + sqrt(ᾱ)·Σ_k·C_k⁻¹·r_k
//	x̂0      = Σ_k w_k·m_k
//	J·v     = sqrt(ᾱ)·Σ_k w_k·Σ_k·C_k⁻¹·v + sqrt(ᾱ)/(1−ᾱ)·Σ_k w_k·δ_k·(δ_k·v),  δ_k = m_k − x̂0,
//
// the last being sqrt(ᾱ)/(1−ᾱ)·Cov[x0|x_t]·v with V_k = (1−ᾱ)·Σ_k·C_k⁻¹. J is
// symmetric, so Jᵀv = Jv. Each row costs O(K·d·q), components that a
// cheap bound shows negligible for that row skipped; after the first call
// at a batch size, calls are allocation-free.
//
// A batch is evaluated component by component (batch.go): each pass over
// a basis serves every row that needs the component, four rows at a time
// sharing each widened block with AVX-512, while each row's bits are those
// of a lone evaluation. The bases are read in float32 where the mixture
// says so (Mixture.Float32Bases). x̂0 and Jᵀv of 32 rows of an MNIST-sized
// mixture take 4.3 ms with float32 bases and 12 ms with float64 ones at
// ᾱ = 0.01 (BenchmarkBatch32); gonum's matrix product (X·U_kᵀ, then
// Coef·U_k) measured slower than the rows' own kernels (43 against 26 ms,
// with float64 bases row by row), the per-row skipping lost to the union of
// the rows.
type Denoiser struct {
	mix  *Mixture
	rows []*row // one per row of the largest batch so far
	n    int    // rows of the last call
	gen  uint64 // counts calls: the id of the current point

	level   []level // per component, at noise level levelAt
	levelAt float64
	group   []*group // scratch of a component's pass over (a part of) the batch
}

// levels returns the components' levels at ᾱ, computed when ᾱ changes.
func (dn *Denoiser) levels(alphaBar float64) []level {
	if dn.level == nil || dn.levelAt != alphaBar {
		dn.level = dn.level[:0]
		for k := range dn.mix.Components {
			dn.level = append(dn.level, newLevel(&dn.mix.Components[k], alphaBar, dn.Dim()))
		}
		dn.levelAt = alphaBar
	}
	return dn.level
}

var (
	_ denoiser.Differentiable = (*Denoiser)(nil)
	_ denoiser.ExactPrior     = (*Mixture)(nil)
)

// row is the state of one input at the last call: what a VJP there needs.
type row struct {
	alphaBar float64
	logW     []float64   // log responsibilities (normalised)
	w        []float64   // responsibilities
	m        [][]float64 // m_k, valid where w_k ≥ negligible
	x0Hat    []float64
	// For the exact guidance at the same input (ExactGuidance.GuidanceAfter):
	// x_t, and for the components projected, log w_k before normalisation.
	xt        []float64
	raw       []float64
	projected []bool

	// Scratch.
	r     []float64   // x_t − sqrt(ᾱ)·μ_k
	pAll  [][]float64 // U_kᵀ·r_k per component, from denoise
	p     []float64   // U_kᵀ·v, length q_max
	coef  []float64   // length q_max
	coefK [][]float64 // the expansion coefficients of m_k, per component
}

// NewDenoiser returns an exact denoiser for the mixture. The mixture is
// shared, not copied, and must not change while the denoiser is in use.
func (mix *Mixture) NewDenoiser() denoiser.Denoiser { return &Denoiser{mix: mix} }

func newRow(mix *Mixture) *row {
	d, K := mix.Dim(), len(mix.Components)
	qmax := 0
	for k := range mix.Components {
		qmax = max(qmax, mix.Components[k].Rank())
	}
	r := &row{
		logW:  make([]float64, K),
		w:     make([]float64, K),
		m:     make([][]float64, K),
		x0Hat: make([]float64, d),
		xt:    make([]float64, d), raw: make([]float64, K), projected: make([]bool, K),
		r:    make([]float64, d),
		pAll: make([][]float64, K),
		p:    make([]float64, qmax),
		coef: make([]float64, qmax),
	}
	r.coefK = make([][]float64, K)
	for k := range r.m {
		r.m[k] = make([]float64, d)
		r.pAll[k] = make([]float64, mix.Components[k].Rank())
		r.coefK[k] = make([]float64, mix.Components[k].Rank())
	}
	return r
}

// Denoise writes x̂0 = E[x0|x_t] of each row of xt into dst.
func (dn *Denoiser) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	_, err := dn.Linearize(ctx, dst, xt, alphaBar)
	return err
}

// Linearize writes x̂0 of each row of xt into dst and returns the point for VJPs.
func (dn *Denoiser) Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (denoiser.Point, error) {
	d := dn.Dim()
	b, err := denoiser.Rows(dst, xt, d)
	if err != nil {
		return denoiser.Point{}, err
	}
	if !(alphaBar > 0 && alphaBar <= 1) {
		return denoiser.Point{}, fmt.Errorf("gmm: noise level ᾱ = %v, want (0, 1]", alphaBar)
	}
	dn.gen++
	for len(dn.rows) < b {
		dn.rows = append(dn.rows, newRow(dn.mix))
	}
	dn.n = b
	if err := ctx.Err(); err != nil {
		return denoiser.Point{}, err
	}
	for i, rw := range dn.rows[:b] {
		copy(rw.xt, xt[i*d:(i+1)*d])
	}
	dn.denoise(dn.rows[:b], dn.levels(alphaBar), dst, alphaBar)
	return denoiser.NewPoint(dn, dn.gen), nil
}

// VJPAt writes Jᵀ·v of each row into dst at point id, which must be the
// latest.
func (dn *Denoiser) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	if id != dn.gen {
		return denoiser.ErrStale
	}
	d := dn.Dim()
	b, err := denoiser.Rows(dst, v, d)
	if err != nil {
		return err
	}
	if b != dn.n {
		return fmt.Errorf("gmm: VJP of %d rows at a point of %d", b, dn.n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dn.vjp(dn.rows[:b], dst, v)
	return nil
}

// Responsibilities returns w_k(x_t) of row i at the last call. The slice
// is owned by the denoiser and overwritten by the next call.
func (dn *Denoiser) Responsibilities(i int) []float64 { return dn.rows[i].w }

// LogResponsibilities returns log w_k(x_t) of row i at the last call.
func (dn *Denoiser) LogResponsibilities(i int) []float64 { return dn.rows[i].logW }

// Dim returns d.
func (dn *Denoiser) Dim() int { return dn.mix.Dim() }

// rowAt returns the state of row i of the latest call when that row was
// the input x_t at noise level ᾱ of the mixture, else nil.
func (dn *Denoiser) rowAt(mix *Mixture, i int, xt []float64, alphaBar float64) *row {
	if dn.mix != mix || i >= dn.n || dn.rows[i].alphaBar != alphaBar || !slices.Equal(dn.rows[i].xt, xt) {
		return nil
	}
	return dn.rows[i]
}

// noisePerp returns, for component c at noise level ᾱ, c⊥ = ᾱ·s² + 1−ᾱ:
// the eigenvalue of C = ᾱ·Σ + (1−ᾱ)·I off span(U).
func noisePerp(c *Component, alphaBar float64) float64 {
	return alphaBar*c.Resid + 1 - alphaBar
}

// residualTo writes r = x_t − sqrt(ᾱ)·μ into dst.
func residualTo(dst, xt, mean []float64, sa float64) {
	vec.SubScaled(dst, xt, sa, mean)
}

// level is what log N(x_t; sqrt(ᾱ)·μ_k, C_k) needs of C_k = ᾱ·Σ_k +
// (1−ᾱ)·I besides x_t, at one noise level: c⊥, log det C_k = Σ_j log c_j +
// (d−q)·log c⊥ and the extreme eigenvalues. It costs q logarithms, so the
// denoiser keeps one per component for the noise level of its last call.
type level struct {
	perp, logDet, cMin, cMax float64
}

func newLevel(c *Component, alphaBar float64, d int) level {
	v := 1 - alphaBar
	perp := noisePerp(c, alphaBar)
	lv := level{perp: perp, cMin: perp, cMax: perp, logDet: float64(d-c.Rank()) * math.Log(perp)}
	for _, l := range c.Eigen { // λ_j > 0 and finite (Mixture.Validate)
		cj := alphaBar*l + v
		if cj < lv.cMin {
			lv.cMin = cj
		}
		if cj > lv.cMax {
			lv.cMax = cj
		}
		lv.logDet += math.Log(cj)
	}
	return lv
}

// logComponent returns log π_k + log N(x_t; sqrt(ᾱ)·μ_k, C_k) + (d/2)·log 2π
// from r = x_t − sqrt(ᾱ)·μ_k, p = U_kᵀ·r and C_k's level lv:
//
//	r·C⁻¹·r = ‖r‖²/c⊥ + Σ_j p_j²·(1/c_j − 1/c⊥),  log det C = Σ_j log c_j + (d−q)·log c⊥.
func logComponent(c *Component, lv level, alphaBar float64, r, p []float64) float64 {
	v := 1 - alphaBar
	quad := vec.Dot(r, r) / lv.perp
	for j, l := range c.Eigen {
		cj := alphaBar*l + v
		quad += p[j] * p[j] * (1/cj - 1/lv.perp)
	}
	return math.Log(c.Weight) - 0.5*(lv.logDet+quad)
}

// skipLogGap is how far (in log-weight) a component's upper bound must fall
// below another's lower bound to be skipped: e^−60 ≈ 9e-27 < negligible.
const skipLogGap = 60

// logComponentBounds returns bounds lo ≤ logComponent ≤ hi from rr = ‖r‖²
// alone, using ‖r‖²/c_max ≤ r·C⁻¹·r ≤ ‖r‖²/c_min.
func logComponentBounds(c *Component, lv level, rr float64) (lo, hi float64) {
	base := math.Log(c.Weight) - 0.5*lv.logDet
	return base - 0.5*rr/lv.cMin, base - 0.5*rr/lv.cMax
}

// componentMean writes m_k = E[x0 | x_t, k] into dst from p = U_kᵀ·r:
//
//	m_k = μ_k + sqrt(ᾱ)·[(s²/c⊥)·r + U·diag(λ_j/c_j − s²/c⊥)·p].
//
// u is c's basis (Mixture.bases) and coef scratch of length ≥ q.
func componentMean(dst []float64, c *Component, u basis, alphaBar float64, xt, p, coef []float64) {
	expand(dst, u, meanOffU(dst, c, alphaBar, xt, p, coef))
}

// meanOffU writes the part of m_k off U_k's expansion into dst, μ_k +
// sqrt(ᾱ)·(s²/c⊥)·r, and returns the expansion's coefficients
// sqrt(ᾱ)·(λ_j/c_j − s²/c⊥)·p_j in coef[:q] (see componentMean).
func meanOffU(dst []float64, c *Component, alphaBar float64, xt, p, coef []float64) []float64 {
	sa := math.Sqrt(alphaBar)
	sPerp := c.Resid / noisePerp(c, alphaBar)
	coef = coef[:len(p)]
	for j, l := range c.Eigen {
		coef[j] = sa * (l/(alphaBar*l+1-alphaBar) - sPerp) * p[j]
	}
	vec.Shrink(dst, c.Mean, sa*sPerp, xt, sa) // μ + sqrt(ᾱ)·(s²/c⊥)·(x_t − sqrt(ᾱ)·μ)
	return coef
}
