package method

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"tweedie/core/operator"
)

// DAPS is decoupled annealing posterior sampling (Zhang et al., "Improving
// diffusion inverse problem solving with decoupled noise annealing", CVPR
// 2025). Each annealing step at noise level σ_t (variance-exploding units,
// σ_t² = (1−ᾱ_t)/ᾱ_t) decouples x_t from the next level:
//
//  1. ODE: x̂0 from x_t by n Euler steps of the probability-flow ODE
//     dx/dσ = (x − D(x; σ))/σ on x_t/√ᾱ_t, over the grid
//     σ_k = (σ_t^(1/7) + k/n·(σ_min^(1/7) − σ_t^(1/7)))^7, k = 0…n, σ_min = 0.01,
//     ending at σ_min (each Euler step is a DDIM(η = 0) step);
//  2. Langevin on p(x0 | x_t, y) ∝ N(y; A·x0, τ²·I)·N(x0; x̂0, σ_t²·I), from x0 = x̂0:
//     x ← x + η_k·(Aᵀ(y − A·x)/τ² + (x̂0 − x)/σ_t²) + √(2η_k)·ξ,   N steps;
//  3. re-noise: x_s = √ᾱ_s·(x0 + σ_s·z) = √ᾱ_s·x0 + √(1−ᾱ_s)·z.
//
// The step size is η_k = η0·μ_t/L_t with L_t = s_max²/τ² + 1/σ_t² the
// target's largest curvature (s_max the operator's largest singular value)
// and μ_t the reference's decay from 1 to 0.01, linear in the position of
// σ_t on its annealing grid (poly-7 from σ = 100 to 0.1).
//
// Fitted to the step-by-step runner: one annealing step per sampler step,
// on the run's grid (--steps), made here (Replace); the ODE's first
// denoiser call is the runner's x̂0 at x_t and the other n − 1 go through
// State.Den, so NFE = n per step (no VJP); the Langevin steps cost only A
// and Aᵀ. ξ is drawn from a generator seeded by the step's noise z, so a
// run is reproducible from its seed. When σ_t ≤ σ_min the ODE is skipped.
//
// The update follows zhangbingliang2019/DAPS sampler.py (DAPS.sample) and
// cores/mcmc.py (MCMCSampler, Langevin with prior_solver gaussian), with
// its configurations: configs/sampler/edm_daps.yaml (n = 5 ODE steps to
// σ_min = 0.01; 200 annealing steps from σ = 100 to 0.1) and
// configs/task/*.yaml, pixel (N = 100 Langevin steps, lr 5e-5 for
// inpainting and 1e-4 for super-resolution and blur, τ = 0.01,
// lr_min_ratio 0.01). Where ours differs:
//   - The data term: the reference's is −∇‖y − A(x)‖²/τ², twice the
//     gradient of log N(y; A(x), τ²); ours is the paper's likelihood,
//     Aᵀ(y − A·x)/τ², so its τ is ours times √2. τ defaults to the
//     problem's σ (the paper's β_y; the reference's τ = 0.01 is tuned for
//     σ = 0.05 on 256×256 images and would over-fit y here).
//   - The step size is relative, η0/L_t, so that one value is stable on
//     every operator and σ: the reference's absolute lr 5e-5 for
//     inpainting (L = 2/τ² = 2e4 in its units) is η0 = 1, the default.
//   - The annealing grid is the run's, not the reference's 200-step
//     poly-7 grid from σ = 100 to 0.1; the learning-rate decay is read off
//     σ_t's place in that grid.
//   - Linear operators only here (s_max bounds the step); the reference
//     also runs nonlinear ones.
//
// g (reported, not applied) is the move from x̂0 (the runner's, at x_t) to
// the Langevin sample x0, read as a score: (x0 − x̂0)/((1−ᾱ_t)/√ᾱ_t).
func init() {
	Register(&Method{
		Name: "daps", Label: "DAPS", Order: 52,
		Summary: "decoupled annealing: ODE to x̂0, Langevin on p(x0|x_t, y), re-noise to the next level (n NFE a step)",
		Params: []Param{
			{Name: "daps-ode", Symbol: "n", Kind: Number, NonNegative: true, DefaultValue: "5",
				Help: "DAPS's ODE steps `n` ≥ 1 per annealing step (denoiser calls; published 5)"},
			{Name: "daps-langevin", Symbol: "N", Kind: Number, NonNegative: true, DefaultValue: "100",
				Help: "DAPS's Langevin steps `N` ≥ 0 per annealing step (published 100)"},
			{Name: "daps-lr", Symbol: "η0", Kind: Number, NonNegative: true, DefaultValue: "1",
				Help: "DAPS's Langevin step `η0` in units of 1/L_t, L_t = s_max²/τ² + 1/σ_t² (1: the published lr for inpainting)"},
			{Name: "daps-tau", Symbol: "τ", Kind: NumberOrAuto, NonNegative: true, DefaultValue: "auto",
				Help: "DAPS's likelihood scale `τ`: auto (the problem's σ, the paper's β_y) or a value > 0 (the reference's 0.01 is √2 times ours)"},
		},
		Needs: func(v Values) Cap {
			if v["daps-tau"] == "" || v.Auto("daps-tau") {
				return Linear | PositiveSigma
			}
			return Linear
		},
		// n evaluations a step; the last steps, where σ_t ≤ σ_min, skip the ODE and take one.
		Cost:    func(v Values, _ int) StepCost { return StepCost{NFE: int(v.Float("daps-ode"))} },
		Bind:    bindDAPS,
		Formula: dapsFormula,
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("DAPS ODE(n) → x̂0, Langevin(N) on N(y; Ax, τ²)·N(x; x̂0, σ_t²), x_s = √ᾱ_s(x0 + σ_s z)   n = %s, N = %s, τ = %s",
				v["daps-ode"], v["daps-langevin"], dapsTauText(v, f))
		},
	})
}

// dapsSigmaMin is the ODE's last noise level, dapsAnnealMax and
// dapsAnnealMin the reference's annealing range (its learning-rate decay
// is read off it) and dapsLRMin its lr_min_ratio.
const (
	dapsSigmaMin, dapsAnnealMax, dapsAnnealMin, dapsLRMin = 0.01, 100, 0.1, 0.01
)

func dapsTauText(v Values, f Frame) string {
	if v.Auto("daps-tau") {
		return "σ = " + Fmt(f.Sigma)
	}
	return Fmt(v.Float("daps-tau"))
}

func dapsFormula(v Values, f Frame) [2]string {
	sig := math.Sqrt((1 - f.AlphaBarT) / f.AlphaBarT)
	return [2]string{
		fmt.Sprintf("DAPS x̂0 = ODE_n(x_t/√ᾱ_t: σ_t → 0.01),  x ← x + η(Aᵀ(y − Ax)/τ² + (x̂0 − x)/σ_t²) + √(2η) ξ  ×N   n = %s, N = %s, τ = %s",
			v["daps-ode"], v["daps-langevin"], dapsTauText(v, f)),
		fmt.Sprintf("    x_s = √ᾱ_s x0 + √(1−ᾱ_s) z;  σ_t = √((1−ᾱ_t)/ᾱ_t) = %s, η = η0·μ_t/(s²_max/τ² + 1/σ_t²), μ_t = %s, η0 = %s;  ‖y − A x̂0‖ = %s",
			Fmt(sig), Fmt(dapsDecay(sig)), Fmt(v.Float("daps-lr")), Fmt(f.Residual)),
	}
}

// dapsDecay is the learning-rate multiplier at annealing level σ: linear
// from 1 to dapsLRMin in σ's place on the reference's poly-7 grid from
// dapsAnnealMax to dapsAnnealMin (clamped to its ends).
func dapsDecay(sigma float64) float64 {
	if math.IsNaN(sigma) {
		return math.NaN()
	}
	hi, lo := math.Pow(dapsAnnealMax, 1.0/7), math.Pow(dapsAnnealMin, 1.0/7)
	r := (hi - math.Pow(sigma, 1.0/7)) / (hi - lo)
	r = math.Min(1, math.Max(0, r))
	return 1 + r*(dapsLRMin-1)
}

type daps struct {
	measurement
	n, langevin int
	lr, tau     float64
	smax2       float64 // s_max²
	x, xh, den  []float64
	x0, dx      []float64
	// src, reseeded at each step from its noise z, drives rng (ξ).
	src *rand.PCG
	rng *rand.Rand
}

// wholeParam reads a parameter that must be a whole number ≥ min.
func wholeParam(label string, v Values, name string, min int) (int, error) {
	x := v.Float(name)
	if x != math.Trunc(x) || x < float64(min) || x > 1e6 {
		return 0, fmt.Errorf("%s's %s = %s: want a whole number ≥ %d", label, name, v[name], min)
	}
	return int(x), nil
}

func bindDAPS(p *Problem, v Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	lin, ok := p.Op.(operator.Linear)
	if !ok || !p.Op.Linear() {
		return nil, fmt.Errorf("DAPS cannot serve %s: it is nonlinear", p.Op.Name())
	}
	n, err := wholeParam("DAPS", v, "daps-ode", 1)
	if err != nil {
		return nil, err
	}
	nl, err := wholeParam("DAPS", v, "daps-langevin", 0)
	if err != nil {
		return nil, err
	}
	tau := p.Sigma
	if !v.Auto("daps-tau") {
		tau = v.Float("daps-tau")
	}
	if !(tau > 0) {
		return nil, fmt.Errorf("DAPS's τ = %v: want τ > 0 (σ > 0 for auto)", tau)
	}
	d := p.Op.InShape().Len()
	vec := func() []float64 { return make([]float64, d) }
	src := rand.NewPCG(0, 0)
	return &daps{measurement: ms, n: n, langevin: nl, lr: v.Float("daps-lr"), tau: tau,
		smax2: largestSingular2(lin), x: vec(), xh: vec(), den: vec(), x0: vec(), dx: vec(),
		src: src, rng: rand.New(src)}, nil
}

// largestSingular2 is s_max² of a linear operator: from its SVD when it has
// one, else by 200 power iterations on AᵀA.
func largestSingular2(a operator.Linear) float64 {
	if sp, ok := a.(operator.Spectral); ok {
		s := 0.0
		for _, v := range sp.Singulars() {
			s = math.Max(s, v)
		}
		return s * s
	}
	d := a.InShape().Len()
	x, ax := make([]float64, d), make([]float64, a.OutLen())
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	lam := 0.0
	for it := 0; it < 200; it++ {
		n := 0.0
		for _, v := range x {
			n += v * v
		}
		n = math.Sqrt(n)
		if n == 0 {
			return 0
		}
		for i := range x {
			x[i] /= n
		}
		a.Apply(ax, x)
		a.Adjoint(x, ax)
		lam = 0
		for _, v := range x {
			lam += v * v
		}
		lam = math.Sqrt(lam) // ‖AᵀA·x‖ with ‖x‖ = 1
	}
	return lam
}

func (g *daps) Guide(ctx context.Context, st *State, out *Output) error {
	out.Residual = g.residual(st.X0Hat)
	at := math.Sqrt(st.AlphaBarT)
	sigT := math.Sqrt((1 - st.AlphaBarT) / st.AlphaBarT)
	// 1. The ODE, in variance-exploding units x = x_t/√ᾱ_t.
	for j := range g.x {
		g.x[j] = st.Xt[j] / at
	}
	if sigT > dapsSigmaMin {
		hi, lo := math.Pow(sigT, 1.0/7), math.Pow(dapsSigmaMin, 1.0/7)
		sk := sigT
		for k := 0; k < g.n; k++ {
			den := st.X0Hat
			if k > 0 {
				ab := 1 / (1 + sk*sk)
				sa := math.Sqrt(ab)
				for j := range g.xh {
					g.xh[j] = sa * g.x[j]
				}
				if err := st.Den.Denoise(ctx, g.den, g.xh, ab); err != nil {
					return err
				}
				den = g.den
			}
			next := math.Pow(hi+float64(k+1)/float64(g.n)*(lo-hi), 7)
			for j := range g.x {
				g.x[j] += (next - sk) * (g.x[j] - den[j]) / sk
			}
			sk = next
		}
	} else {
		copy(g.x, st.X0Hat)
	}
	copy(g.x0, g.x) // x̂0 of the ODE
	// 2. Langevin from x̂0.
	if g.langevin > 0 {
		z := st.Z
		g.src.Seed(math.Float64bits(z[0]), math.Float64bits(z[len(z)-1]))
		rng := g.rng
		it2, s2 := 1/(g.tau*g.tau), 1/(sigT*sigT)
		eta := g.lr * dapsDecay(sigT) / (g.smax2*it2 + s2)
		kn := math.Sqrt(2 * eta)
		for range g.langevin {
			g.residual(g.x)
			g.op.VJP(g.back, g.x, g.res)
			for j := range g.x {
				g.x[j] += eta*(g.back[j]*it2+(g.x0[j]-g.x[j])*s2) + kn*rng.NormFloat64()
			}
		}
	}
	// 3. Re-noise to level s.
	renoise(st, out, g.x)
	return nil
}
