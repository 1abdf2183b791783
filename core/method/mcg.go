package method

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/operator"
)

// MCG is manifold constrained gradients (Chung et al., "Improving diffusion
// models for inverse problems using manifold constraints", NeurIPS 2022):
// a DPS step followed by a projection onto the measurement. With the
// unconditional step x'_s = A·x̂0 + B·x_t + C·z and h = Jᵀ·Aᵀ·(y − A·x̂0),
//
//	x''_s = x'_s + ζ·h/‖y − A·x̂0‖                     (DPS's norm step)
//	x_s   = (I − A†A)·x''_s + A†·y_s,   A†·y_s = √ᾱ_s·A†y + √(1−ᾱ_s)·A†A·z,
//
// A†A = V·diag(1[s_i > 0])·Vᵀ: the range-space components of x_s are
// replaced by those of y noised to the level s. g is DPS's (h/σ², or
// h/‖y − A·x̂0‖ at σ = 0).
//
// The update follows DPS2022 guided_diffusion/condition_methods.py
// (ManifoldConstraintGradient: the PosteriorSampling step on the norm, then
// project with noisy_measurement = q_sample(y, t)). Where ours differs:
//   - The projection is the orthogonal one, (I − A†A)·x + A†·y_s through
//     the operator's SVD, for every operator. The reference's project is
//     per operator: for super-resolution x − AᵀA·x + Aᵀ·y with nearest
//     upsampling as Aᵀ (for average pooling that is A†, the same
//     projection); its other linear operators fall back to a generic form
//     that is not a projection.
//   - ζ: DPS2022 ships no MCG configuration, so ζ defaults to DPS's
//     published value for the operator (0.5 inpainting, 0.3 otherwise).
//   - y is noised to the level s of x_s, as NVlabs/RED-diff algos/mcg.py
//     does (√ᾱ_s·A†y + √(1−ᾱ_s)·noise on the observed entries), not to t;
//     its noise is the range-space part of the run's step noise z (for a
//     mask, z on the observed pixels), so a seed gives the same noise for
//     every method. y's own noise σ is not accounted for.
//   - Singular values at most 3e-2 of the largest count as 0 (SpectralCut),
//     so a blur's projection leaves its dead frequencies alone.
//   - The step x'_s is the run's sampler (--sampler, --eta), as in DPS here.
func init() {
	Register(&Method{
		Name: "mcg", Label: "MCG", Order: 28,
		Summary: "manifold constrained gradients: DPS's step, then the projection onto y noised to level s (needs an SVD)",
		Params: []Param{
			{Name: "zeta", Symbol: "ζ", Kind: Number, NonNegative: true,
				Default: func(op operator.Operator, _ Values) string { return FormatFloat(operator.DefaultZeta(op)) },
				Help:    "MCG's DPS step size `ζ` ≥ 0 (default: DPS's published value for the operator)",
				Ladder:  []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10},
				Down:    "z", Up: "Z", DownHelp: "ζ down", UpHelp: "ζ up", InLabel: true},
		},
		Needs: func(Values) Cap { return VJP | Linear | Spectral },
		Cost:  OneVJP,
		Bind: func(p *Problem, v Values) (Guide, error) {
			sp, err := newSpectral(p, "MCG")
			return &mcg{spectral: sp, zeta: v.Float("zeta"), sigma: p.Sigma}, err
		},
		Formula: func(v Values, f Frame) [2]string {
			return [2]string{
				fmt.Sprintf("MCG x''_s = x'_s − ζ ∇_{x_t}‖y − A x̂0‖ (DPS),  ζ = %s, ‖y − A x̂0‖ = %s", Fmt(v.Float("zeta")), Fmt(f.Residual)),
				fmt.Sprintf("    x_s = (I − A†A) x''_s + √ᾱ_s A†y + √(1−ᾱ_s) A†A z   (y noised to level s; its σ = %s not accounted for)", Fmt(f.Sigma)),
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("MCG DPS step, then x_s ← (I − A†A) x_s + A†(√ᾱ_s y + √(1−ᾱ_s) A z)   ζ = %s, σ = %s", Fmt(v.Float("zeta")), Fmt(f.Sigma))
		},
	})
}

type mcg struct {
	spectral
	zeta, sigma float64
}

func (g *mcg) Guide(ctx context.Context, st *State, out *Output) error {
	res := g.residual(st.X0Hat)
	g.op.VJP(g.back, st.X0Hat, g.res)
	if err := st.Point.VJP(ctx, out.ScoreY, g.back); err != nil { // h
		return err
	}
	step := 0.0
	if res > 0 {
		step = g.zeta / res
	}
	co := st.Step
	for j := range out.Xs {
		out.Xs[j] = co.A*st.X0Hat[j] + co.B*st.Xt[j] + co.C*st.Z[j] + step*out.ScoreY[j]
	}
	switch {
	case g.sigma > 0:
		scaleTo(out.ScoreY, 1/(g.sigma*g.sigma), out.ScoreY)
	case res > 0:
		scaleTo(out.ScoreY, 1/res, out.ScoreY)
	}
	// The projection, in spectral coordinates.
	a, b := math.Sqrt(st.AlphaBarS), math.Sqrt(1-st.AlphaBarS)
	g.sp.VT(g.cbar, out.Xs)
	g.sp.VT(g.zbar, st.Z)
	for i, s := range g.s {
		if s > 0 {
			g.cbar[i] = a*g.ybar[i]/s + b*g.zbar[i]
		}
	}
	g.sp.V(out.Xs, g.cbar)
	clear(out.Corr)
	out.Target, out.Residual = Replace, res
	return nil
}
