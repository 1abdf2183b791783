package method

import (
	"context"
	"fmt"
	"math"
)

// MCGdiff is Monte Carlo guided diffusion (Cardoso, Janati, Le Corff,
// Moulines, "Monte Carlo guided diffusion for Bayesian linear inverse
// problems", ICLR 2024, arXiv:2308.07983): a particle filter over the
// sampler's steps for a linear A = U·[diag(s) 0]·Vᵀ, in the spectral
// coordinates x̄ = Vᵀx where the forward process is independent per
// coordinate and the measurement is ȳ_i = (Uᵀy)_i = s_i·x̄0_i + σ·ε_i.
// Scaled to o_t,i = √ᾱ_t·ȳ_i/s_i it is distributed like x̄_t,i at the
// level ᾱ*_i = s_i²/(s_i² + σ²), where (1−ᾱ*)/ᾱ* = σ²/s_i². Observed
// coordinate i (s_i > 0) is twisted, while x_t is noisier than that
// (ᾱ_t < ᾱ*_i), by the forward kernel from the measurement read as x_τ,
//
//	h_t,i(x̄_i) = N(x̄_i; o_t,i, 1 − (1−κ)·ᾱ_t/ᾱ*_i);
//
// at the first step that reaches ᾱ_s ≥ ᾱ*_i (τ_i, the measurement's level
// on the run's grid) by the exact likelihood of the measurement as a
// noisy child of x_τ,
//
//	G_i(x̄_i) = N(o_τ,i; x̄_i, max(ᾱ_τ·σ²/s_i² − (1−ᾱ_τ), κ)),
//
// which stays in the target (the chain x0 → x_τ → y gives y | x0 its law
// N(s_i·x̄0_i, σ²), so the final target's x0 is the posterior under the
// sampler's kernels); below τ_i the coordinate is free. With the sampler's
// step N(m, C²·I), m = A·x̂0 + B·x_t, the filter is fully adapted: each
// step from t to s weighs particle j by
//
//	w_j ∝ Π_{i twisted at s} N(o_s,i; m̄_j,i, C² + v_s,i) / h_t,i(x̄_t,j,i)
//
// (v_s,i the variance of h_s,i or G_i; no h_t at the first step, whose x_T
// are exact prior draws, but G_i(x̄_T) where τ_i is the first step), draws
// N ancestors a_j from w (multinomial), and proposes from the twist times
// the kernel, per coordinate
//
//	K_i = C²/(C² + v_s,i),   x̄_s,i = m̄_a,i + K_i·(o_s,i − m̄_a,i) + √((1−K_i)·C²)·z̄_i
//
// (K = 0 on free and unobserved coordinates), and x_s = V·x̄_s. After the
// proposal the particles have equal weights; the run's sample is one of
// them drawn at random.
//
// The update follows gabrielvc/mcg_diff mcg_diff/particle_filter.py
// (mcg_diff: the weights log_integration_constant − previous_log_likelihood,
// Categorical ancestors, the Kalman blend with Kprev; the twist above τ is
// its potential). Where ours differs:
//   - τ: the reference puts each τ_i on its time grid (utils.py
//     get_taus_from_singular_values, the grid built to contain them) and
//     pins x̄_τ,i to the measurement within κ, exact only where
//     (1−ᾱ_τ)/ᾱ_τ = σ²/s_i² holds on the grid. Here τ_i is the first step
//     of the run's grid (--steps) at or past ᾱ*_i and the pin is the exact
//     likelihood G_i, of variance ᾱ_τ·σ²/s_i² − (1−ᾱ_τ) ≥ 0 (κ where the
//     grid hits ᾱ* exactly, as the reference); h uses the exact ᾱ*_i.
//     So the coordinate leaves the weights at τ_i without dividing by its
//     pin (the reference divides by it, a constant when the pin is κ).
//   - κ = 1e-4, the reference's default gaussian_var.
//   - σ_y is the problem's σ on the data scale.
//   - The kernel N(A·x̂0 + B·x_t, C²) is the run's sampler (--sampler,
//     --eta); the reference's DDIM(η = 1) is our default DDPM step. At the
//     last step C = 0 and the particles become their x̂0.
//   - The first step has no previous twist to divide by (the reference
//     divides by h_T of untwisted N(0, I) draws).
//   - The reference returns every particle with final log weights; a run
//     here returns one particle drawn from them (uniform: the last step
//     leaves equal weights), so each seed of the lab is one sample.
//   - Singular values at most SpectralCut of the largest count as 0.
//   - The proposal noise z̄ is drawn in spectral coordinates (N(0, I) is
//     invariant under V), from the run's seed on the particles' stream.
//
// g (reported, not applied) is the score of the shown particle's twist at
// x_t, ∇log Π_i h_t,i = −V·[(x̄_t,i − o_t,i)/v_t,i]_i over the coordinates
// still twisted by h.
func init() {
	Register(&Method{
		Name: "mcgdiff", Label: "MCGdiff", Order: 60,
		Summary: "Monte Carlo guided diffusion: N particles twisted per singular component, resampled each step (needs an SVD)",
		Params:  []Param{particlesParam},
		Needs:   func(Values) Cap { return Linear | Spectral | Particles },
		Cost:    func(v Values, _ int) StepCost { return StepCost{NFE: int(v.Float("particles"))} },
		Bind: func(p *Problem, v Values) (Guide, error) {
			n, err := particleCount(v, p.Op.InShape().Len())
			if err != nil {
				return nil, err
			}
			sp, err := newSpectral(p, "MCGdiff")
			if err != nil {
				return nil, err
			}
			return newMCGdiff(sp, n, p.Sigma, p.Seed), nil
		},
		Formula: func(v Values, f Frame) [2]string {
			return [2]string{
				fmt.Sprintf("MCGdiff  N = %s, x̄ = Vᵀx, ᾱ*_i = s_i²/(s_i² + σ²):  h_t,i = N(x̄_i; √ᾱ_t ȳ_i/s_i, 1 − ᾱ_t/ᾱ*_i) while ᾱ_t < ᾱ*_i, then N(y_i | x̄_τ,i), then free;  σ = %s", v["particles"], Fmt(f.Sigma)),
				"    w_j ∝ Π_i N(o_s,i; m̄_j,i, C² + v_s,i)/h_t,i(x̄_t,j,i);  resample;  x̄_s,i = m̄_a,i + K_i (o_s,i − m̄_a,i) + √((1−K_i) C²) z̄_i,  K_i = C²/(C² + v_s,i)",
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("MCGdiff particle filter per singular component, resampled each step   N = %s, σ = %s", v["particles"], Fmt(f.Sigma))
		},
	})
}

// mcgdiffKappa is κ, the floor of the potentials' variances.
const mcgdiffKappa = 1e-4

type mcgdiff struct {
	spectral
	*population
	sigma float64
	// xbar = Vᵀx of the particles, mbar of their kernel means, nbar of
	// the particles being made (n·d each).
	xbar, mbar, nbar []float64
	// first: the next step is the first (x_T has no potential).
	first bool
}

func newMCGdiff(sp spectral, n int, sigma float64, seed uint64) *mcgdiff {
	d := len(sp.xbar)
	return &mcgdiff{spectral: sp, population: newPopulation(n, d, seed), sigma: sigma,
		xbar: make([]float64, n*d), mbar: make([]float64, n*d), nbar: make([]float64, n*d), first: true}
}

// StateBytes: the population, whether the next step is the first, and
// the particles in spectral coordinates x̄ go on to the next step
// (Stateful). The particles x themselves are not saved: after every step
// x_j = V·x̄_j, computed from the same x̄_j by propose, so RestoreState
// makes them again, bit for bit.
func (g *mcgdiff) StateBytes() int { return g.population.stateBytes() + 1 + 8*len(g.xbar) }

// AppendState appends the population's state, first and x̄.
func (g *mcgdiff) AppendState(dst []byte) []byte {
	return appendFloats(appendBool(g.population.appendState(dst), g.first), g.xbar)
}

// RestoreState reads what AppendState wrote and makes x = V·x̄.
func (g *mcgdiff) RestoreState(src []byte) error {
	r := stateReader{src: src}
	g.population.readState(&r)
	g.first = r.bool()
	r.floats(g.xbar)
	if err := r.done(); err != nil {
		return err
	}
	if !g.first {
		for j := range g.n {
			g.sp.V(g.row(g.x, j), g.row(g.xbar, j))
		}
	}
	return nil
}

// alphaStar is ᾱ*_i = s_i²/(s_i² + σ²), the level at which the
// measurement of coordinate i is as noisy as x_t.
func (g *mcgdiff) alphaStar(i int) float64 {
	s2 := g.s[i] * g.s[i]
	return s2 / (s2 + g.sigma*g.sigma)
}

// twist is coordinate i's twist at level ᾱ reached from the level prev:
// (o, v) of h (ᾱ < ᾱ*), of G (prev < ᾱ* ≤ ᾱ: τ_i is this level), or
// on = false (free: past τ_i).
func (g *mcgdiff) twist(alphaBar, prev float64, i int) (o, v float64, on bool) {
	s, star := g.s[i], g.alphaStar(i)
	o = math.Sqrt(alphaBar) * g.ybar[i] / s
	switch {
	case alphaBar < star:
		return o, 1 - (1-mcgdiffKappa)*alphaBar/star, true
	case prev < star:
		return o, math.Max(alphaBar*g.sigma*g.sigma/(s*s)-(1-alphaBar), mcgdiffKappa), true
	}
	return 0, 0, false
}

func (g *mcgdiff) Guide(ctx context.Context, st *State, out *Output) error {
	if _, err := g.begin(ctx, st, false); err != nil {
		return err
	}
	d := g.d
	if g.first {
		for j := range g.n {
			g.sp.VT(g.row(g.xbar, j), g.row(g.x, j))
		}
	}
	g.weigh(st)
	ess, err := g.normalise()
	if err != nil {
		return err
	}
	g.multinomial()
	g.showFirst(ess, true)
	g.fillNoise()
	g.propose(st, g.noise)
	g.first = false

	// g of the shown particle, at x_t (before x moves on).
	clear(g.shift)
	for i, s := range g.s {
		if s > 0 && st.AlphaBarT < g.alphaStar(i) {
			o, v, _ := g.twist(st.AlphaBarT, 0, i)
			g.shift[i] = -(g.xbar[i] - o) / v
		}
	}
	g.sp.V(out.ScoreY, g.shift)
	out.Residual = g.residual(st.X0Hat)

	g.advance()
	g.xbar, g.nbar = g.nbar, g.xbar
	if st.AlphaBarS >= 1 { // the last step: equal weights, one drawn
		j := g.rng.IntN(g.n)
		g.swapRows(0, j)
	}
	copy(out.Xs, g.x[:d])
	clear(out.Corr)
	out.Target = Replace
	return nil
}

// swapRows exchanges particles j and k (and their spectral coordinates).
func (g *mcgdiff) swapRows(j, k int) {
	if j == k {
		return
	}
	for _, buf := range [][]float64{g.x, g.xbar} {
		a, b := g.row(buf, j), g.row(buf, k)
		for i := range a {
			a[i], b[i] = b[i], a[i]
		}
	}
}

// weigh fills logw: the kernel means m̄_j = Vᵀ(A·x̂0_j + B·x_t,j) and
// log w_j = Σ_{i twisted at s} log N(o_s,i; m̄_j,i, C² + v_s,i) − log h_t,i(x̄_t,j,i)
// (at the first step, no h_t but log G_i(x̄_T,j,i) where τ_i = T).
func (g *mcgdiff) weigh(st *State) {
	co := st.Step
	c2 := co.C * co.C
	m := g.spectral.back // length-d scratch
	for j := range g.n {
		x, x0 := g.row(g.x, j), g.row(g.x0, j)
		for k := range m {
			m[k] = co.A*x0[k] + co.B*x[k]
		}
		mb, xb := g.row(g.mbar, j), g.row(g.xbar, j)
		g.sp.VT(mb, m)
		lw := 0.0
		for i, s := range g.s {
			if s <= 0 {
				continue
			}
			if os, vs, on := g.twist(st.AlphaBarS, st.AlphaBarT, i); on {
				lw += logNormal(os, mb[i], c2+vs)
				if !g.first {
					ot, vt, _ := g.twist(st.AlphaBarT, 0, i) // h_t: twisted at s means ᾱ_t < ᾱ*
					lw -= logNormal(xb[i], ot, vt)
				}
			} else if g.first {
				if ot, vt, on := g.twist(st.AlphaBarT, 0, i); on { // τ_i = T: G_i(x̄_T)
					lw += logNormal(ot, xb[i], vt)
				}
			}
		}
		g.logw[j] = lw
	}
}

// propose makes particle j of next from its ancestor anc[j]: per
// coordinate x̄_s,i = m̄_a,i + K_i·(o_s,i − m̄_a,i) + √((1−K_i)·C²)·z̄_j,i,
// then x_s = V·x̄_s. z holds the n·d spectral noise draws.
func (g *mcgdiff) propose(st *State, z []float64) {
	c2 := st.Step.C * st.Step.C
	for j := range g.n {
		mb, zb, nb := g.row(g.mbar, g.anc[j]), g.row(z, j), g.row(g.nbar, j)
		for i := range nb {
			k, o := 0.0, 0.0
			if i < len(g.s) && g.s[i] > 0 {
				if oi, v, on := g.twist(st.AlphaBarS, st.AlphaBarT, i); on {
					k, o = c2/(c2+v), oi
				}
			}
			nb[i] = mb[i] + k*(o-mb[i]) + math.Sqrt((1-k)*c2)*zb[i]
		}
		g.sp.V(g.row(g.next, j), nb)
	}
}
