package method

import (
	"context"
	"fmt"

	"tweedie/core/operator"
)

// TMPD-diag is Tweedie moment projected diffusion with a diagonal
// measurement covariance (Boys et al., "Tweedie moment projected diffusions
// for inverse problems", TMLR 2024). It keeps the Jacobian's covariance,
//
//	Cov[x0|x_t] ≈ γ_t·Jᵀ,   γ_t = (1−ᾱ_t)/sqrt(ᾱ_t),
//
// (second-order Tweedie: exact, and J symmetric, for an exact denoiser; Jᵀ
// because J is only reached through VJPs), and replaces A·Cov·Aᵀ by the
// diagonal matrix of its row sums, which one VJP gives:
//
//	c = γ_t·A·Jᵀ·Aᵀ·1,
//	g = Jᵀ·Aᵀ·((y − A·x̂0) ⊘ (c + σ²)),      (a second VJP)
//	x̂0 ← x̂0 + γ_t·g.
//
// The row sums are the diagonal when A·Cov·Aᵀ is diagonal, and otherwise
// what both published codes take for it. The update follows
// probabilists/azula azula/guidance/tmpd.py (DTMPDenoiser: var_Ax =
// A(cov_x(Aᵀ(1))) with cov_x(v) = γ_t·VJP(v), mean x̂ + γ_t·grad; azula's
// α_t, σ_t are our sqrt(ᾱ_t), sqrt(1−ᾱ_t), so its γ_t = σ_t²/α_t is ours).
// bb515/tmpdjax tmpd/solvers.py (KPDDPMplus.analysis) computes
// C_yy = A·Jᵀ·Aᵀ·(A·1) + σ²/γ_t and x̂0 + Jᵀ·Aᵀ·((y − A·x̂0) ⊘ C_yy): the same
// update (γ_t moved from the covariance to the noise) with the probe A·1,
// the measurement of an image of ones, in place of 1; the two agree where
// A·1 = 1 (masks, average pooling, blurs whose kernel sums to 1) and differ
// for svd: operators. We follow azula.
//
// Conventions: σ is the measurement noise's standard deviation in image
// units (images in [-1, 1]), var_y = σ² as in both codes. The corrected x̂0
// goes to the sampler's step (Tweedie-consistent), as in both codes: azula
// returns it as the guided denoiser's mean, tmpdjax puts it in the DDPM
// posterior mean. Row sums can be negative where a diagonal cannot (on the
// MNIST prior, 15–20% of them at high noise for box inpainting): neither
// code guards against it and neither do we, so such a component's residual
// enters with the sign flipped or, near c = −σ², magnified. On the default
// MNIST run (100 steps) that costs PSNR: 7.7 dB as published, 9.9 dB when
// such components get no weight, and clipping c at 0 (weight 1/σ²)
// diverges; we keep the published form. Only a component with c + σ² = 0
// exactly is given no weight. Cost: one denoiser evaluation and two VJPs per step.
func init() {
	Register(&Method{
		Name: "tmpd", Label: "TMPD-diag", Order: 26,
		Summary:    "TMPD, diagonal: p(y|x_t) ≈ N(A·x̂0, diag(A·Cov·Aᵀ·1) + σ²·I), Cov = (1−ᾱ_t)/√ᾱ_t·J (2 VJPs a step)",
		Needs:      func(Values) Cap { return VJP | Linear },
		Cost:       func(Values, int) StepCost { return StepCost{NFE: 1, VJPs: 2} },
		Bind:       bindTMPD,
		Formula:    tmpdFormula,
		Short:      tmpdShort,
		Covariance: func(Values) Cov { return CovDiagonal },
	})
}

type tmpd struct {
	measurement
	lin   operator.Linear
	sigma float64
	ones  []float64 // 1, length m
	u     []float64 // (y − A·x̂0) ⊘ (c + σ²), length m
	cov   []float64 // Cov·Aᵀ·1, length d
}

func bindTMPD(p *Problem, _ Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	lin, ok := p.Op.(operator.Linear)
	if !ok || !p.Op.Linear() {
		return nil, fmt.Errorf("TMPD-diag cannot serve %s: it is nonlinear", p.Op.Name())
	}
	m := p.Op.OutLen()
	g := &tmpd{measurement: ms, lin: lin, sigma: p.Sigma,
		ones: make([]float64, m), u: make([]float64, m), cov: make([]float64, p.Op.InShape().Len())}
	for i := range g.ones {
		g.ones[i] = 1
	}
	return g, nil
}

func (g *tmpd) Guide(ctx context.Context, st *State, out *Output) error {
	out.Residual = g.residual(st.X0Hat)
	gam := TweedieShift(st.AlphaBarT)
	// c = γ_t·A·Jᵀ·Aᵀ·1, into g.ax (A·x̂0 is no longer needed).
	g.lin.Adjoint(g.back, g.ones)
	if err := st.Point.VJP(ctx, g.cov, g.back); err != nil {
		return err
	}
	c := g.op.Apply(g.ax, g.cov)
	s2 := g.sigma * g.sigma
	for i := range g.u {
		g.u[i] = 0
		if v := gam*c[i] + s2; v != 0 {
			g.u[i] = g.res[i] / v
		}
	}
	return asScore(ctx, st, out, g.lin, g.u, g.back, gam)
}

const tmpdRule = "g = Jᵀ Aᵀ ((y − A x̂0) ⊘ (γ_t A Jᵀ Aᵀ 1 + σ²))"

func tmpdFormula(_ Values, f Frame) [2]string {
	return [2]string{
		fmt.Sprintf("TMPD-diag  %s,  γ_t = (1−ᾱ_t)/√ᾱ_t = %s", tmpdRule, Fmt(TweedieShift(f.AlphaBarT))),
		fmt.Sprintf("    diag(A Cov Aᵀ) ≈ A Cov Aᵀ 1, Cov = γ_t Jᵀ (1 VJP);  x̂0 ← x̂0 + γ_t · g   σ = %s, ‖y − A x̂0‖ = %s; 2 VJPs a step",
			Fmt(f.Sigma), Fmt(f.Residual)),
	}
}

func tmpdShort(_ Values, f Frame) string {
	return fmt.Sprintf("TMPD-diag  %s; x̂0 ← x̂0 + γ_t·g   γ_t = %s, σ = %s", tmpdRule, Fmt(TweedieShift(f.AlphaBarT)), Fmt(f.Sigma))
}
