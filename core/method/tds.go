package method

import (
	"context"
	"fmt"
	"math"
)

// TDS is the twisted diffusion sampler (Wu, Trippe, Naesseth, Blei,
// Cunningham, "Practical and asymptotically exact conditional sampling in
// diffusion models", NeurIPS 2023): sequential Monte Carlo whose particles
// are twisted by the reconstruction-guidance likelihood
//
//	p̃_t(y | x_t) = N(y; A(x̂0(x_t)), (σ² + r_t²)·I),   r_t² = (1−ᾱ_t)/ᾱ_t,
//	ℓ_j = log p̃_t(y | x_t,j),   g_j = ∇_{x_t} ℓ_j = J_jᵀ·J_Aᵀ·(y − A(x̂0_j))/(σ² + r_t²)
//
// (one VJP per particle, so A may be nonlinear). A step from t to s
// weighs particle j by w_j ∝ exp(c_j + ℓ_j), c_j carried from the step
// before (0 at the first), resamples (systematic) when the effective
// sample size 1/Σw_j² falls below N/2, and proposes from the sampler's
// kernel with x̂0 moved along g (the ΠG/DPS step as a proposal):
//
//	p(x_s | x_t) = N(A·x̂0 + B·x_t, C²),   q(x_s | x_t) = N(A·(x̂0 + (1−ᾱ_t)/√ᾱ_t·g) + B·x_t, C²),
//	c_j ← c_a + log p(x_s,j | x_t,a) − log q(x_s,j | x_t,a) − ℓ_a
//
// (c_a = 0 after resampling, else the ancestor's log weight). At the last
// step (ᾱ_s = 1) the particles' final log weights are c_j + log N(y;
// A(x0_j), σ²·I), the exact likelihood, and the run's sample is one
// particle drawn from them.
//
// The update follows francois-rozet/azula azula/guidance/tds.py
// (TDSSampler.step: twist at x̂, the DDPM proposal at x̂ + σ_t²/α_t·∇ℓ, the
// carried log q_s − log q_s_y − log p_y), with the twist and the
// resampling of blt2114/twisted_diffusion_sampler
// (image_diffusion/feynman_kac_image_ddpm.py, pred_xstart_var_type 1:
// variance (1−ᾱ_t)/ᾱ_t; smc_utils: systematic resampling below an ESS
// threshold). Where ours differs:
//   - σ² is added to the twist's variance (the image code's inpainting is
//     noiseless); at ᾱ = 1 the twist is the exact likelihood.
//   - Resampling: systematic when ESS < N/2, as the original; azula
//     resamples every step, multinomially.
//   - Final weights: the original weighs x0 by p(y | x0); azula returns
//     the particles unweighted. A run returns one particle drawn from the
//     final weights.
//   - The kernel is the run's sampler (--sampler, --eta); where C = 0 (the
//     last step, DDIM η = 0) no density ratio exists and the proposal is
//     the untwisted step.
//   - The time grid is the run's; the initial particles are N(0, I) from
//     the run's seed (row 0 the run's x_T).
//
// g (reported) is the twist's score g_0 of the shown particle.
func init() {
	Register(&Method{
		Name: "tds", Label: "TDS", Order: 62,
		Summary: "twisted diffusion sampler: N particles twisted by N(y; A(x̂0), σ² + r_t²), resampled by ESS (needs VJPs, σ > 0)",
		Params:  []Param{particlesParam},
		Needs:   func(Values) Cap { return VJP | PositiveSigma | Particles },
		Cost: func(v Values, _ int) StepCost {
			n := int(v.Float("particles"))
			return StepCost{NFE: n, VJPs: n}
		},
		Bind: func(p *Problem, v Values) (Guide, error) {
			n, err := particleCount(v, p.Op.InShape().Len())
			if err != nil {
				return nil, err
			}
			if !(p.Sigma > 0) {
				return nil, fmt.Errorf("TDS needs σ > 0 (its final weights are p(y | x0)), got %v", p.Sigma)
			}
			ms, err := newMeasurement(p)
			if err != nil {
				return nil, err
			}
			d := p.Op.InShape().Len()
			return &tds{measurement: ms, population: newPopulation(n, d, p.Seed), sigma: p.Sigma,
				carried: make([]float64, n), base: make([]float64, n), ell: make([]float64, n),
				grad: make([]float64, n*d), pull: make([]float64, n*d)}, nil
		},
		Formula: func(v Values, f Frame) [2]string {
			return [2]string{
				fmt.Sprintf("TDS  N = %s particles, twist p̃_t(y|x_t) = N(y; A(x̂0), σ² + (1−ᾱ_t)/ᾱ_t),  σ = %s, r_t² = %s",
					v["particles"], Fmt(f.Sigma), Fmt((1-f.AlphaBarT)/f.AlphaBarT)),
				"    w_j ∝ e^{c_j} p̃_t(y|x_t,j);  resample if ESS < N/2;  x_s ~ q = N(A (x̂0 + (1−ᾱ_t)/√ᾱ_t ∇log p̃_t) + B x_t, C²);  c ← log p/q − log p̃_t",
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("TDS twisted SMC, twist N(y; A(x̂0), σ² + (1−ᾱ_t)/ᾱ_t), resample at ESS < N/2   N = %s, σ = %s", v["particles"], Fmt(f.Sigma))
		},
	})
}

type tds struct {
	measurement
	*population
	sigma float64
	// carried are the c_j, base the ancestors' part of them, ell the ℓ_j;
	// grad the g_j and pull the J_Aᵀ·(y − A(x̂0_j)) (n·d each).
	carried, base, ell []float64
	grad, pull         []float64
}

// StateBytes: the population, the particles x_t and their carried log
// weights c_j go on to the next step (Stateful); x̂0, ℓ and g are made
// anew at each.
func (g *tds) StateBytes() int { return g.population.stateBytes() + 8*(len(g.x)+len(g.carried)) }

// AppendState appends the population's state, x and c.
func (g *tds) AppendState(dst []byte) []byte {
	return appendFloats(g.population.appendState(dst), g.x, g.carried)
}

// RestoreState reads what AppendState wrote.
func (g *tds) RestoreState(src []byte) error {
	r := stateReader{src: src}
	g.population.readState(&r)
	r.floats(g.x, g.carried)
	return r.done()
}

// twist fills ℓ_j and pull_j = J_Aᵀ·(y − A(x̂0_j)) of particle j.
func (g *tds) twist(j int, v float64) {
	r := g.residual(g.row(g.x0, j))
	g.op.VJP(g.row(g.pull, j), g.row(g.x0, j), g.res)
	g.ell[j] = -0.5 * (r*r/v + float64(len(g.res))*math.Log(2*math.Pi*v))
}

func (g *tds) Guide(ctx context.Context, st *State, out *Output) error {
	if err := g.twists(ctx, st); err != nil {
		return err
	}
	d := g.d
	copy(out.ScoreY, g.grad[:d])
	out.Residual = g.residual(st.X0Hat)

	for j := range g.logw {
		g.logw[j] = g.carried[j] + g.ell[j]
	}
	ess, err := g.normalise()
	if err != nil {
		return err
	}
	resample := ess < float64(g.n)/2
	if resample {
		g.systematic()
	} else {
		g.keep()
	}
	g.showFirst(ess, resample)
	g.fillNoise()
	g.propose(st, g.noise, resample)
	g.advance()
	if st.AlphaBarS >= 1 { // the last step: one particle from the final weights
		if err := g.final(); err != nil {
			return err
		}
	}
	copy(out.Xs, g.x[:d])
	clear(out.Corr)
	out.Target = Replace
	return nil
}

// twists denoises the particles and fills x̂0_j, ℓ_j and g_j.
func (g *tds) twists(ctx context.Context, st *State) error {
	d := g.d
	v := g.sigma*g.sigma + (1-st.AlphaBarT)/st.AlphaBarT
	// Row 0 first: its point is the runner's, stale once the rest is linearised.
	copy(g.x0[:d], st.X0Hat)
	g.twist(0, v)
	if err := st.Point.VJP(ctx, g.grad[:d], g.pull[:d]); err != nil {
		return err
	}
	pt, err := g.begin(ctx, st, true)
	if err != nil {
		return err
	}
	if g.n > 1 {
		for j := 1; j < g.n; j++ {
			g.twist(j, v)
		}
		if err := pt.VJP(ctx, g.grad[d:], g.pull[d:]); err != nil {
			return err
		}
	}
	scaleTo(g.grad, 1/v, g.grad)
	return nil
}

// propose makes particle j of next from its ancestor a = anc[j] with the
// noise z (n·d): x_s = m_q + C·z, and its carried log weight
// c_j = base_a + log p(x_s | x_t,a) − log q(x_s | x_t,a) − ℓ_a.
func (g *tds) propose(st *State, z []float64, resampled bool) {
	co := st.Step
	shift := co.A * TweedieShift(st.AlphaBarT) // what g moves the kernel's mean by
	for j := range g.n {
		a := g.anc[j]
		g.base[j] = 0
		if !resampled {
			g.base[j] = g.logw[a]
		}
		x, x0, gr, zj, nx := g.row(g.x, a), g.row(g.x0, a), g.row(g.grad, a), g.row(z, j), g.row(g.next, j)
		if co.C == 0 { // no density: the untwisted step
			for k := range nx {
				nx[k] = co.A*x0[k] + co.B*x[k]
			}
			g.carried[j] = g.base[j] - g.ell[a]
			continue
		}
		// log p − log q = (‖x_s − m_q‖² − ‖x_s − m_p‖²)/(2C²), x_s − m_q = C·z,
		// x_s − m_p = C·z + shift·g.
		dq, dp := 0.0, 0.0
		for k := range nx {
			nx[k] = co.A*x0[k] + co.B*x[k] + shift*gr[k] + co.C*zj[k]
			e := co.C*zj[k] + shift*gr[k]
			dq += co.C * zj[k] * co.C * zj[k]
			dp += e * e
		}
		g.carried[j] = g.base[j] + (dq-dp)/(2*co.C*co.C) - g.ell[a]
	}
}

// final weighs the particles x0_j by c_j + log N(y; A(x0_j), σ²·I), draws
// one and makes it row 0.
func (g *tds) final() error {
	s2 := g.sigma * g.sigma
	for j := range g.n {
		r := g.residual(g.row(g.x, j))
		g.logw[j] = g.carried[j] - 0.5*r*r/s2
	}
	if _, err := g.normalise(); err != nil {
		return err
	}
	k := g.pick()
	if k != 0 {
		a, b := g.row(g.x, 0), g.row(g.x, k)
		for i := range a {
			a[i], b[i] = b[i], a[i]
		}
	}
	return nil
}
