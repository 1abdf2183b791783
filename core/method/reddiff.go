package method

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/operator"
)

// RED-diff is regularisation by denoising with diffusion (Mardani et al.,
// "A variational perspective on solving inverse problems with diffusion
// models", ICLR 2024). It is not a sampler but an optimiser: it fits the
// mean μ of a variational posterior N(μ, σ_x0²·I), σ_x0 = 0, by Adam on
//
//	ℓ(μ) = v·‖y − A(μ)‖²/(2m) + w_t·⟨sg(ε̂ − ε), μ⟩/d,   w_t = λ·σ̄_t = λ·√(1−ᾱ_t)/√ᾱ_t,
//
// with, at each step, x_t = √ᾱ_t·μ + √(1−ᾱ_t)·ε noised from μ, ε̂ the
// denoiser's noise estimate at x_t and sg a stop-gradient (no VJP). Since
// ε̂ − ε = √ᾱ_t·(μ − x̂0(x_t))/√(1−ᾱ_t), the regulariser's gradient is
// λ·(μ − x̂0(x_t))/d: μ is pulled towards the denoised version of itself,
// and towards y by the data term; m and d are the lengths of y and x (the
// reference's means). The steps run from t = T down to 0; the result is μ.
// A mode-seeker: given its noise the run is deterministic, and the spread
// over seeds comes only from the noise ε that feeds the regulariser's
// gradient, not from sampling the posterior: expect coverage well below
// 0.9 and samples bunched near one mode.
//
// Fitted to the step-by-step runner: the runner's x_t is RED-diff's noised
// μ. The method makes the step itself (Replace), x_s = √ᾱ_s·μ' + √(1−ᾱ_s)·z
// with μ' the mean after this step's Adam update and z the run's step
// noise, so the next step denoises μ' noised with z; at s = 0, x_0 = μ'.
// At the first step ε is read off the run's x_T, ε = (x_T − √ᾱ_T·μ0)/√(1−ᾱ_T),
// with μ0 = A†y (the reference's initialisation, a pseudo-inverse; from the
// SVD with singular values at most SpectralCut of the largest dropped, as
// the reference's SVD operators do, where the operator has one). One
// denoiser call a step, no VJP.
//
// The update follows NVlabs/RED-diff algos/reddiff.py with its
// configuration _configs/algo/reddiff.yaml: λ (grad_term_weight) = 0.25,
// obs_weight v = 1, lr = 0.1, denoise_term_weight linear (w_t = λ·σ̄_t),
// σ_x0 = 0; Adam with betas (0.9, 0.99), ε_Adam = 1e-8 (PyTorch's). Where
// ours differs:
//   - σ is not used, as in the reference (its sigma_y does not enter the
//     loss): λ and v set the balance of prior and data.
//   - ε is the run's step noise; the reference draws it fresh.
//   - The grid is the run's (--steps); --sampler and --eta do not apply.
//
// g (reported, not applied) is the step's move of x̂0 to μ' read as a
// score: (μ' − x̂0)/((1−ᾱ_t)/√ᾱ_t).
func init() {
	Register(&Method{
		Name: "reddiff", Label: "RED-diff", Order: 54,
		Summary: "regularisation by denoising: Adam on the mean μ of ‖y − A(μ)‖²/2 + λσ̄_t⟨ε̂ − ε, μ⟩ (an optimiser, a mode-seeker)",
		Params: []Param{
			{Name: "reddiff-lambda", Symbol: "λ", Kind: Number, NonNegative: true, DefaultValue: "0.25",
				Help:   "RED-diff's `λ` ≥ 0: the regulariser's weight, w_t = λ·√(1−ᾱ_t)/√ᾱ_t (published grad_term_weight 0.25)",
				Ladder: []float64{0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5},
				Down:   "k", Up: "K", DownHelp: "λ down", UpHelp: "λ up", InLabel: true},
			{Name: "reddiff-lr", Symbol: "lr", Kind: Number, NonNegative: true, DefaultValue: "0.1",
				Help: "RED-diff's Adam learning rate `lr` (published 0.1)"},
		},
		Needs: func(Values) Cap { return PseudoInverse },
		Cost:  OneEval,
		Bind:  bindRedDiff,
		Formula: func(v Values, f Frame) [2]string {
			lam := v.Float("reddiff-lambda")
			wt := lam * math.Sqrt((1-f.AlphaBarT)/f.AlphaBarT)
			return [2]string{
				fmt.Sprintf("RED-diff μ ← Adam(μ, ∇ ‖y − A(μ)‖²/2m + w_t ⟨ε̂ − ε, μ⟩/d),  w_t = λ √(1−ᾱ_t)/√ᾱ_t = %s   λ = %s, lr = %s",
					Fmt(wt), Fmt(lam), Fmt(v.Float("reddiff-lr"))),
				fmt.Sprintf("    x_t = √ᾱ_t μ + √(1−ᾱ_t) ε,  ε̂ − ε ∝ μ − x̂0(x_t);  x_s = √ᾱ_s μ' + √(1−ᾱ_s) z   (a mode-seeker; σ = %s unused, ‖y − A x̂0‖ = %s)",
					Fmt(f.Sigma), Fmt(f.Residual)),
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("RED-diff μ ← Adam(∇ ‖y − A(μ)‖²/2 + λσ̄_t⟨ε̂ − ε, μ⟩), x_s = √ᾱ_s μ + √(1−ᾱ_s) z   λ = %s, lr = %s",
				Fmt(v.Float("reddiff-lambda")), Fmt(v.Float("reddiff-lr")))
		},
	})
}

// Adam's betas and ε, as RED-diff sets them (ε is PyTorch's default).
const (
	adamBeta1, adamBeta2, adamEps = 0.9, 0.99, 1e-8
)

type reddiff struct {
	measurement
	lambda, lr float64
	mu, mu0    []float64 // the mean; its starting value A†y
	m1, m2     []float64 // Adam's moments
	grad       []float64
	k          int // Adam steps taken
}

// StateBytes: μ, Adam's moments and its step count carry over from step
// to step (Stateful).
func (g *reddiff) StateBytes() int { return 8 * (3*len(g.mu) + 1) }

// AppendState appends μ, m1, m2 and k.
func (g *reddiff) AppendState(dst []byte) []byte {
	return appendCount(appendFloats(dst, g.mu, g.m1, g.m2), g.k)
}

// RestoreState reads what AppendState wrote.
func (g *reddiff) RestoreState(src []byte) error {
	r := stateReader{src: src}
	r.floats(g.mu, g.m1, g.m2)
	g.k = r.count()
	return r.done()
}

func bindRedDiff(p *Problem, v Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	d := p.Op.InShape().Len()
	mu0 := make([]float64, d)
	switch op := p.Op.(type) {
	case operator.Spectral:
		// A†y through the SVD with the projection methods' cut, as the
		// reference's H_pinv: a blur's dead frequencies are not divided by.
		sp, err := newSpectral(p, "RED-diff")
		if err != nil {
			return nil, err
		}
		for i, s := range sp.s {
			if s > 0 {
				sp.cbar[i] = sp.ybar[i] / s
			}
		}
		sp.sp.V(mu0, sp.cbar)
	case operator.Linear:
		if !p.Op.Linear() {
			return nil, fmt.Errorf("RED-diff cannot serve %s: it is nonlinear and has no pseudo-inverse", p.Op.Name())
		}
		u := op.Solve(make([]float64, p.Op.OutLen()), p.Y, 1, 0)
		op.Adjoint(mu0, u)
	case operator.PseudoInverter:
		op.PseudoInverse(mu0, p.Y)
	default:
		return nil, fmt.Errorf("RED-diff cannot serve %s: it is nonlinear and has no pseudo-inverse", p.Op.Name())
	}
	vec := func() []float64 { return make([]float64, d) }
	return &reddiff{measurement: ms, lambda: v.Float("reddiff-lambda"), lr: v.Float("reddiff-lr"),
		mu: vec(), mu0: mu0, m1: vec(), m2: vec(), grad: vec()}, nil
}

func (g *reddiff) Guide(_ context.Context, st *State, out *Output) error {
	if g.k == 0 {
		copy(g.mu, g.mu0)
	}
	out.Residual = g.residual(st.X0Hat)
	at := math.Sqrt(st.AlphaBarT)
	// The regulariser: w_t·(ε̂ − ε)/d, with ε̂ − ε = √ᾱ_t·(μ − x̂0)/√(1−ᾱ_t)
	// computed as the difference of the two noises, as the reference does.
	d := float64(len(g.mu))
	bt := math.Sqrt(1 - st.AlphaBarT)
	wt := g.lambda * bt / at
	for j := range g.grad {
		epsHat := (st.Xt[j] - at*st.X0Hat[j]) / bt
		eps := (st.Xt[j] - at*g.mu[j]) / bt
		g.grad[j] = wt * (epsHat - eps) / d
	}
	// The data term: −J_A(μ)ᵀ(y − A(μ))/m.
	g.residual(g.mu)
	g.op.VJP(g.back, g.mu, g.res)
	m := float64(len(g.res))
	g.k++
	c1 := 1 - math.Pow(adamBeta1, float64(g.k))
	c2 := 1 - math.Pow(adamBeta2, float64(g.k))
	for j, gj := range g.grad {
		gj -= g.back[j] / m
		g.m1[j] = adamBeta1*g.m1[j] + (1-adamBeta1)*gj
		g.m2[j] = adamBeta2*g.m2[j] + (1-adamBeta2)*gj*gj
		g.mu[j] -= g.lr * (g.m1[j] / c1) / (math.Sqrt(g.m2[j]/c2) + adamEps)
	}
	renoise(st, out, g.mu)
	return nil
}
