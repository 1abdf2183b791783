package gmm

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/denoiser"
	"tweedie/core/internal/vec"
	"tweedie/core/operator"
)

// ExactGuidance is the exact likelihood score ∇_{x_t} log p(y | x_t) of a
// mixture prior for y = A·x0 + σ·z. Given x_t and component k,
// x0 ~ N(m_k(x_t), V_k) with V_k = (1−ᾱ)·Σ_k·C_k⁻¹, so
//
//	p(y | x_t) = Σ_k w_k(x_t)·N(y; A·m_k(x_t), G_k),   G_k = A·V_k·Aᵀ + σ²·I,
//
// and with ρ_k ∝ w_k·N(y; A·m_k, G_k) (the responsibilities given y),
// s_k = −C_k⁻¹·r_k (the component scores) and ∂m_k/∂x_t = sqrt(ᾱ)·Σ_k·C_k⁻¹,
//
//	∇log p(y|x_t) = Σ_k (ρ_k − w_k)·s_k + sqrt(ᾱ)·Σ_k ρ_k·Σ_k·C_k⁻¹·Aᵀ·G_k⁻¹·(y − A·m_k).
//
// V_k has eigenvalues (1−ᾱ)·λ_j/c_j on U_k and (1−ᾱ)·s²/c⊥ elsewhere, so G_k
// is solved by Woodbury (see measurement). Cost per call: O(K·q·d) for the
// bounds, plus O(q³ + q·m) for each component they cannot rule out (ρ_k ≥
// e^−60·max ρ): after the first call, the bounds of warmBound are nearly
// tight, and a step of a sampling run usually factors one or two G_k.
type ExactGuidance struct {
	ms *measurement

	logW, logRho []float64
	bound        []float64   // upper bounds on log ρ̃_k
	order        []int       // components by decreasing bound
	m, e, sinv   [][]float64 // m_k, e_k = y − A·m_k, G_k⁻¹·e_k
	solved       []bool      // sinv[k] holds G_k⁻¹·e_k of some earlier call
	sol          []solution  // what warmBound needs of it
	haveE        []bool      // m_k and e_k are those of this call
	amu          [][]float64 // A·μ_k
	ax           []float64   // A·x_t
	p            [][]float64 // U_kᵀ·r_k
	r, back      []float64
	coef, delta  []float64
	level        noiseLevel // per component at the noise level of the call (noiseAt)
}

var _ denoiser.SharedExact = (*ExactGuidance)(nil)

// NewExactGuidance returns the exact guidance for y = A·x0 + σ·z (σ > 0).
func (mix *Mixture) NewExactGuidance(op operator.Linear, y []float64, sigma float64) (denoiser.Exact, error) {
	ms, err := newMeasurement(mix, op, y, sigma)
	if err != nil {
		return nil, err
	}
	K, d, m := len(mix.Components), ms.d, ms.m
	eg := &ExactGuidance{ms: ms, logW: make([]float64, K), logRho: make([]float64, K),
		bound: make([]float64, K), order: make([]int, K), solved: make([]bool, K),
		sol: make([]solution, K), haveE: make([]bool, K), amu: make([][]float64, K), ax: make([]float64, m),
		m: make([][]float64, K), e: make([][]float64, K), sinv: make([][]float64, K), p: make([][]float64, K),
		r: make([]float64, d), back: make([]float64, d),
		coef: make([]float64, len(ms.tq)), delta: make([]float64, len(ms.tq))}
	eg.level = newNoiseLevel(mix)
	for k := range mix.Components {
		eg.m[k] = make([]float64, d)
		eg.sinv[k] = make([]float64, m)
		eg.e[k] = make([]float64, m)
		eg.p[k] = make([]float64, mix.Components[k].Rank())
		eg.sol[k].wx = make([]float64, mix.Components[k].Rank())
		eg.amu[k] = op.Apply(make([]float64, m), mix.Components[k].Mean)
	}
	return eg, nil
}

// Guidance writes ∇log p(y|x_t) at noise level ᾱ = alphaBar into dst.
func (eg *ExactGuidance) Guidance(dst, xt []float64, alphaBar float64) []float64 {
	return eg.guidance(dst, xt, alphaBar, nil)
}

// GuidanceAfter is Guidance that takes U_kᵀ·r_k and log w_k from den's
// latest call where it was at x_t and ᾱ (a *Denoiser of the same mixture,
// or a lockstep member over one, its first row): the same numbers, one
// projection per component fewer.
func (eg *ExactGuidance) GuidanceAfter(dst, xt []float64, alphaBar float64, den denoiser.Denoiser) []float64 {
	first := 0
	if b, ok := den.(interface {
		Batch() (denoiser.Denoiser, int)
	}); ok {
		den, first = b.Batch()
	}
	var src *row
	if dn, ok := den.(*Denoiser); ok {
		src = dn.rowAt(eg.ms.mix, first, xt, alphaBar)
	}
	return eg.guidance(dst, xt, alphaBar, src)
}

// Joint writes the responsibilities ρ_k = p(k | x_t, y) into rho (length
// K) and returns log p_t(x_t | y) at noise level ᾱ, given log p(y) (the
// posterior's LogEvidence):
//
//	log p_t(x_t | y) = log Σ_k π_k·N(x_t; sqrt(ᾱ)·μ_k, C_k)·N(y; A·m_k, G_k) − log p(y),
//
// the joint p_t(x_t, y) = p_t(x_t)·p(y | x_t) over the evidence. Components
// the bounds rule out (ρ_k < e^−60 of the largest) count as 0.
func (eg *ExactGuidance) Joint(rho, xt []float64, alphaBar, logEvidence float64) float64 {
	logJoint := eg.weigh(xt, alphaBar, nil)
	for k := range rho {
		rho[k] = math.Exp(eg.logRho[k])
	}
	return logJoint - 0.5*float64(len(xt))*math.Log(2*math.Pi) - logEvidence
}

// guidance is Guidance, with the projections of src where it has them.
func (eg *ExactGuidance) guidance(dst, xt []float64, alphaBar float64, src *row) []float64 {
	eg.weigh(xt, alphaBar, src)
	clear(dst)
	eg.gradientTerms(dst, xt, alphaBar, src)
	return dst
}

// weigh computes log w_k (eg.logW) and the responsibilities log ρ_k
// (eg.logRho), both normalised, and returns log Σ_k π_k·N(x_t; sqrt(ᾱ)·μ_k,
// C_k)·N(y; A·m_k, G_k) without the (2π)^(d/2) of the first factor.
func (eg *ExactGuidance) weigh(xt []float64, alphaBar float64, src *row) float64 {
	ms := eg.ms
	mix := ms.mix
	sa := math.Sqrt(alphaBar)
	// First pass, one projection per component: w_k and an upper bound on
	// log(w_k·N(y; A·m_k, G_k)) that needs no factorisation. A component
	// solved at an earlier call has the bound of warmBound, O(q + m) from
	// what was kept of its solution; any other gets m_k, e_k = y − A·m_k
	// and log det G_k ≥ log det B_k (M ⪰ I, or logDetMBound),
	// e·G_k⁻¹·e ≥ ‖e‖²/λ_max(G_k) with λ_max(G_k) ≤ (a + max δ)·‖A‖² + σ².
	ms.op.Apply(eg.ax, xt)
	bases := mix.bases()
	lv := eg.noiseAt(alphaBar)
	for k := range mix.Components {
		c := &mix.Components[k]
		if src != nil && src.projected[k] {
			copy(eg.p[k], src.pAll[k])
			eg.logW[k] = src.raw[k]
		} else {
			residualTo(eg.r, xt, c.Mean, sa)
			p := project(eg.p[k], bases[k], eg.r)
			eg.logW[k] = logComponent(c, newLevel(c, alphaBar, ms.d), alphaBar, eg.r, p)
		}
		a := lv.a[k]
		eg.order[k] = k
		eg.haveE[k] = false
		if eg.solved[k] {
			eg.bound[k] = eg.warmBound(k, alphaBar, a, lv.delta[k], lv.logDetB[k]+lv.logDetM[k])
			continue
		}
		eg.residual(k, xt, alphaBar)
		lmax := (a+lv.maxDelta[k])*ms.normA2 + ms.sigma2
		eg.bound[k] = eg.logW[k] - 0.5*(float64(ms.m)*math.Log(2*math.Pi)+lv.logDetB[k]+lv.logDetM[k]+vec.Dot(eg.e[k], eg.e[k])/lmax)
	}
	// Second pass, O(q³ + q·m) per component, most promising first; a
	// component whose bound is below the best exact value by skipLogGap has
	// ρ_k < e^−60 and is left out. Components solved at an earlier call have
	// the tight bound of warmBound and go first; the others are solved when
	// their bound cannot rule them out, and from then on have it too.
	slices.SortFunc(eg.order, func(i, j int) int {
		if eg.solved[i] != eg.solved[j] { // tight bounds first: they find the best value
			if eg.solved[i] {
				return -1
			}
			return 1
		}
		return cmp.Compare(eg.bound[j], eg.bound[i])
	})
	best := math.Inf(-1)
	for _, k := range eg.order {
		if eg.bound[k] < best-skipLogGap {
			eg.logRho[k] = math.Inf(-1)
			continue
		}
		if !eg.haveE[k] {
			eg.residual(k, xt, alphaBar)
		}
		a, delta := lv.a[k], lv.delta[k]
		logDetG := lv.logDetB[k] + ms.factorAt(k, alphaBar, a, delta)
		ms.solve(eg.sinv[k], eg.e[k], k, a, delta)
		eg.logRho[k] = eg.logW[k] + ms.logNormal(eg.e[k], eg.sinv[k], logDetG)
		best = math.Max(best, eg.logRho[k])
		eg.keep(k)
	}
	logJoint := floats.LogSumExp(eg.logRho)
	normalizeLog(eg.logW)
	normalizeLog(eg.logRho)
	return logJoint
}

// gradientTerms is the second half of guidance, after weigh. The score of
// component k is s_k = −C_k⁻¹·r_k = (sqrt(ᾱ)·m_k − x_t)/(1−ᾱ) (Tweedie's
// formula within the component), so where m_k is at hand (this call's
// residual, or the denoiser's row src) the first term costs a vector, not a
// pass over U_k (at ᾱ = 1, where that divides by 0, s_k comes from p_k):
//
//	Σ_k (ρ_k − w_k)·s_k = (sqrt(ᾱ)·Σ_k (ρ_k − w_k)·m_k − Σ_k (ρ_k − w_k)·x_t)/(1−ᾱ).
func (eg *ExactGuidance) gradientTerms(dst, xt []float64, alphaBar float64, src *row) {
	ms := eg.ms
	mix := ms.mix
	sa := math.Sqrt(alphaBar)
	v := 1 - alphaBar
	bases := mix.bases()
	sumDW := 0.0 // Σ (ρ_k − w_k) over the terms taken through m_k
	for k := range mix.Components {
		c := &mix.Components[k]
		w, rho := math.Exp(eg.logW[k]), math.Exp(eg.logRho[k])
		if dw := rho - w; w >= negligible || rho >= negligible {
			if v > 0 {
				vec.AddScaled(dst, dw*sa/v, eg.mean(k, xt, alphaBar, src))
				sumDW += dw
			} else {
				// (ρ_k − w_k)·s_k, s_k = −[r/c⊥ + U·diag(1/c_j − 1/c⊥)·p].
				perp := noisePerp(c, alphaBar)
				residualTo(eg.r, xt, c.Mean, sa)
				vec.AddScaled(dst, -dw/perp, eg.r)
				coef := eg.coef[:c.Rank()]
				for j, l := range c.Eigen {
					coef[j] = -dw * (1/(alphaBar*l+v) - 1/perp) * eg.p[k][j]
				}
				expand(dst, bases[k], coef)
			}
		}
		if rho >= negligible && !math.IsInf(eg.logRho[k], -1) {
			// sqrt(ᾱ)·ρ_k·Σ_k·C_k⁻¹·Aᵀ·G_k⁻¹·e_k: eigenvalues λ_j/c_j on U, s²/c⊥ elsewhere.
			ms.op.Adjoint(eg.back, eg.sinv[k])
			sPerp := c.Resid / noisePerp(c, alphaBar)
			vec.AddScaled(dst, sa*rho*sPerp, eg.back)
			pv := project(eg.coef, bases[k], eg.back)
			for j, l := range c.Eigen {
				pv[j] *= sa * rho * (l/(alphaBar*l+v) - sPerp)
			}
			expand(dst, bases[k], pv)
		}
	}
	if sumDW != 0 {
		vec.AddScaled(dst, -sumDW/v, xt)
	}
}

// mean returns m_k at this call's x_t: computed by residual in this call,
// kept by the denoiser's row src (which has m_k where w_k ≥ negligible,
// with the bits componentMean gives), or computed now into eg.m[k].
func (eg *ExactGuidance) mean(k int, xt []float64, alphaBar float64, src *row) []float64 {
	switch {
	case eg.haveE[k]:
	case src != nil && src.w[k] >= negligible:
		return src.m[k]
	default:
		componentMean(eg.m[k], &eg.ms.mix.Components[k], eg.ms.mix.bases()[k], alphaBar, xt, eg.p[k], eg.coef)
	}
	return eg.m[k]
}

// residual fills m_k and e_k = y − A·m_k from eg.p[k].
func (eg *ExactGuidance) residual(k int, xt []float64, alphaBar float64) {
	ms := eg.ms
	componentMean(eg.m[k], &ms.mix.Components[k], ms.mix.bases()[k], alphaBar, xt, eg.p[k], eg.coef)
	ms.op.Apply(eg.e[k], eg.m[k])
	floats.SubTo(eg.e[k], ms.y, eg.e[k])
	eg.haveE[k] = true
}

// solution is what warmBound keeps of x = G_k⁻¹·e_k, the solution of the
// last call that solved component k: the terms of x·e and x·G·x at any
// later call that do not depend on it.
type solution struct {
	xr, xAmu float64   // x·(y − A·μ_k), x·A·μ_k
	xx, atx  float64   // ‖x‖², ‖Aᵀ·x‖² (the latter when A·Aᵀ is not scalar)
	wx       []float64 // W_kᵀ·x
}

// keep records the solution of component k in eg.sinv[k] for warmBound.
func (eg *ExactGuidance) keep(k int) {
	ms := eg.ms
	x, m := eg.sinv[k], ms.m
	sol := &eg.sol[k]
	sol.xAmu = vec.Dot(x, eg.amu[k])
	sol.xr = vec.Dot(x, ms.y) - sol.xAmu
	sol.xx = vec.Dot(x, x)
	if !ms.scalar {
		at := ms.op.Adjoint(eg.back, x)
		sol.atx = vec.Dot(at, at)
	}
	for j := range sol.wx {
		sol.wx[j] = vec.Dot(ms.w[k][j*m:(j+1)*m], x)
	}
	eg.solved[k] = true
}

// warmBound returns an upper bound on log(w_k·N(y; A·m_k, G_k)) from x, the
// solution G_k⁻¹·e_k of an earlier call (kept by keep): for any x,
//
//	e·G⁻¹·e = max_z (2·z·e − z·G·z) ≥ 2·x·e − x·G·x,
//
// nearly tight when x solved a nearby step, and with the lower bound on
// log det G_k of logDetMBound this bounds the log-weight without factoring
// M_k. With m_k = μ_k + sqrt(ᾱ)·(s²/c⊥)·r_k + U_k·b (b the coefficients of
// componentMean) and W_k = A·U_k,
//
//	x·e = x·(y − A·μ_k) − sqrt(ᾱ)·(s²/c⊥)·(x·A·x_t − sqrt(ᾱ)·x·A·μ_k) − (W_kᵀ·x)·b,
//	x·G·x = σ²·‖x‖² + a·‖Aᵀ·x‖² + Σ_j δ_j·(W_kᵀ·x)_j²,
//
// O(q + m) given A·x_t (in eg.ax) and U_kᵀ·r_k (in eg.p[k]), with δ
// (posteriorNoise) and logDet, a lower bound on log det G_k (log det B_k
// plus logDetMBound).
func (eg *ExactGuidance) warmBound(k int, alphaBar, a float64, delta []float64, logDet float64) float64 {
	ms := eg.ms
	c := &ms.mix.Components[k]
	sol := &eg.sol[k]
	sa := math.Sqrt(alphaBar)
	sPerp := c.Resid / noisePerp(c, alphaBar)
	xe := sol.xr - sa*sPerp*(vec.Dot(eg.sinv[k], eg.ax)-sa*sol.xAmu)
	xgx := ms.sigma2 * sol.xx
	if ms.scalar {
		xgx += a * ms.gramC * sol.xx
	} else {
		xgx += a * sol.atx
	}
	f := eg.level.meanCoef[k]
	for j := range c.Eigen {
		b := f[j] * eg.p[k][j]
		xe -= sol.wx[j] * b
		xgx += delta[j] * sol.wx[j] * sol.wx[j]
	}
	return eg.logW[k] - 0.5*(float64(ms.m)*math.Log(2*math.Pi)+logDet+2*xe-xgx)
}

// logDetMBound returns a lower bound on log det M_k, M = I + F·WᵀW·F/β
// (F = diag(sqrt δ), β = a·c + σ²) when A·Aᵀ = c·I, and 0 (M ⪰ I)
// otherwise. With det M = det(F²)·det(F⁻² + WᵀW/β) and Fiedler's
// inequality det(P + Q) ≥ Π_i (p_i + q_i) for positive-definite P, Q with
// eigenvalues p_i, q_i both in decreasing order, pairing the largest 1/δ
// (the smallest δ) with the largest eigenvalue g_i of WᵀW:
//
//	log det M ≥ Σ_i log(1 + δ↑_i·g↓_i/β),
//
// which holds for δ ≥ 0 by continuity. eg.delta must hold δ (posteriorNoise).
func (eg *ExactGuidance) logDetMBound(k int, a float64) float64 {
	ms := eg.ms
	if !ms.scalar || ms.gramEigDown == nil {
		return 0
	}
	beta := a*ms.gramC + ms.sigma2
	s := 0.0
	for i, j := range ms.eigenUp[k] {
		s += math.Log1p(eg.delta[j] * ms.gramEigDown[k][i] / beta)
	}
	return s
}

// posteriorNoise fills eg.delta for component k at noise level ᾱ and
// returns a and max δ_j of V_k = a·I + U·diag(δ)·Uᵀ = (1−ᾱ)·Σ_k·C_k⁻¹:
// a = (1−ᾱ)·s²/c⊥ and δ_j = (1−ᾱ)·λ_j/c_j − a ≥ 0.
func (eg *ExactGuidance) posteriorNoise(c *Component, alphaBar float64) (a, maxDelta float64) {
	v := 1 - alphaBar
	a = v * c.Resid / noisePerp(c, alphaBar)
	delta := eg.delta[:c.Rank()]
	for j, l := range c.Eigen {
		delta[j] = math.Max(v*l/(alphaBar*l+v)-a, 0)
		maxDelta = math.Max(maxDelta, delta[j])
	}
	return a, maxDelta
}

// noiseLevel is what the exact guidance needs of each component at one
// noise level, independent of x_t and y: V_k's a and δ (posteriorNoise),
// max δ, log det B_k and the lower bound logDetMBound on log det M_k.
type noiseLevel struct {
	alphaBar, sigma2 float64
	a, maxDelta      []float64
	logDetB, logDetM []float64
	delta            [][]float64
	// meanCoef: sqrt(ᾱ)·(λ_j/c_j − s²/c⊥), the coefficients of m_k on U_k
	// per unit of p_j (componentMean).
	meanCoef [][]float64
}

func newNoiseLevel(mix *Mixture) noiseLevel {
	K := len(mix.Components)
	lv := noiseLevel{alphaBar: math.NaN(), a: make([]float64, K), maxDelta: make([]float64, K),
		logDetB: make([]float64, K), logDetM: make([]float64, K), delta: make([][]float64, K), meanCoef: make([][]float64, K)}
	for k := range lv.delta {
		lv.delta[k] = make([]float64, mix.Components[k].Rank())
		lv.meanCoef[k] = make([]float64, mix.Components[k].Rank())
	}
	return lv
}

// copyFrom sets lv to src, in lv's own storage.
func (lv *noiseLevel) copyFrom(src *noiseLevel) {
	lv.alphaBar, lv.sigma2 = src.alphaBar, src.sigma2
	copy(lv.a, src.a)
	copy(lv.maxDelta, src.maxDelta)
	copy(lv.logDetB, src.logDetB)
	copy(lv.logDetM, src.logDetM)
	for k := range lv.delta {
		copy(lv.delta[k], src.delta[k])
		copy(lv.meanCoef[k], src.meanCoef[k])
	}
}

// noiseAt returns the components' noise level at ᾱ: eg's own when it is
// at ᾱ already, else one another measurement of the operator image made
// (the seeds of a lab's lockstep group, at one step), else computed here.
func (eg *ExactGuidance) noiseAt(alphaBar float64) *noiseLevel {
	ms := eg.ms
	lv := &eg.level
	if lv.alphaBar == alphaBar && lv.sigma2 == ms.sigma2 {
		return lv
	}
	if ms.levels.get(alphaBar, ms.sigma2, lv) {
		return lv
	}
	for k := range ms.mix.Components {
		c := &ms.mix.Components[k]
		lv.a[k], lv.maxDelta[k] = eg.posteriorNoise(c, alphaBar)
		copy(lv.delta[k], eg.delta[:c.Rank()])
		lv.logDetB[k] = ms.baseLogDet(lv.a[k])
		lv.logDetM[k] = eg.logDetMBound(k, lv.a[k])
		sa, sPerp := math.Sqrt(alphaBar), c.Resid/noisePerp(c, alphaBar)
		for j, l := range c.Eigen {
			lv.meanCoef[k][j] = sa * (l/(alphaBar*l+1-alphaBar) - sPerp)
		}
	}
	lv.alphaBar, lv.sigma2 = alphaBar, ms.sigma2
	ms.levels.put(lv)
	return lv
}

// normalizeLog subtracts log Σ exp(x) from every entry.
func normalizeLog(x []float64) {
	z := floats.LogSumExp(x)
	for i := range x {
		x[i] -= z
	}
}
