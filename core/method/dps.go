package method

import (
	"context"
	"fmt"

	"tweedie/core/operator"
)

// DPS is diffusion posterior sampling (Chung et al., "Diffusion posterior
// sampling for general noisy inverse problems", ICLR 2023): r → 0, so
// p(y|x_t) ≈ N(A(x̂0), σ²I) and only a VJP through A is needed, which lets A
// be nonlinear. With h = Jᵀ·J_Aᵀ·(y − A(x̂0)),
//
//	∇_{x_t}‖y − A(x̂0)‖ = −h / ‖y − A(x̂0)‖,
//	∇_{x_t} log p(y|x_t) ≈ h / σ²            (g, the estimate reported).
//
// At σ = 0 the estimate is infinite; g is then the direction h/‖y − A(x̂0)‖
// the norm form steps along. Two forms (--dps-form):
//
//	norm        x_s ← x'_s − ζ·∇_{x_t}‖y − A(x̂0)‖ after the unconditional step,
//	            the official code (DPS2022 guided_diffusion/condition_methods.py,
//	            PosteriorSampling: the norm, not its square; ζ = 0.5 inpainting,
//	            0.3 super-resolution and blur, 1.0 phase retrieval at 256×256);
//	            equal to the paper's ζ_i = ζ'/‖y − A(x̂0)‖ on ∇‖·‖² with ζ = 2ζ'.
//	likelihood  x̂0 ← x̂0 + ζ·(1−ᾱ_t)/sqrt(ᾱ_t)·g, g = −∇‖y − A(x̂0)‖²/(2σ²):
//	            the likelihood score as a score; it diverges for small σ.
func init() {
	Register(&Method{
		Name: "dps", Label: "DPS", Order: 20,
		Summary: "diffusion posterior sampling: p(y|x_t) ≈ N(A(x̂0), σ²·I), any operator",
		Params: []Param{
			{Name: "dps-form", Symbol: "form", Kind: Choice, Choices: []string{"norm", "likelihood"}, DefaultValue: "norm",
				Help: "DPS's step: norm (x_s − ζ·∇‖y − A(x̂0)‖, the official code) or likelihood (the 1/σ² score, Tweedie-consistent; diverges for small σ)"},
			{Name: "zeta", Symbol: "ζ", Kind: Number, NonNegative: true, Default: dpsZeta,
				Help:   "DPS step size `ζ` ≥ 0 (default: as published for the operator; 1 for --dps-form likelihood)",
				Ladder: []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10},
				Down:   "z", Up: "Z", DownHelp: "ζ down", UpHelp: "ζ up", InLabel: true},
		},
		Needs: func(v Values) Cap {
			if v["dps-form"] == "likelihood" {
				return VJP | PositiveSigma
			}
			return VJP
		},
		Bind: func(p *Problem, v Values) (Guide, error) {
			ms, err := newMeasurement(p)
			return &dps{measurement: ms, zeta: v.Float("zeta"), likelihood: v["dps-form"] == "likelihood", sigma: p.Sigma}, err
		},
		Formula:    dpsFormula,
		Short:      dpsShort,
		Covariance: func(Values) Cov { return CovZero },
	})
}

// dpsZeta is ζ as published for the operator's family, 1 for the
// likelihood form (where ζ scales the score itself).
func dpsZeta(op operator.Operator, v Values) string {
	if v["dps-form"] == "likelihood" {
		return "1"
	}
	return FormatFloat(operator.DefaultZeta(op))
}

type dps struct {
	measurement
	zeta, sigma float64
	likelihood  bool
}

func (g *dps) Guide(ctx context.Context, st *State, out *Output) error {
	res := g.residual(st.X0Hat)
	g.op.VJP(g.back, st.X0Hat, g.res)
	if err := st.Point.VJP(ctx, out.ScoreY, g.back); err != nil { // h
		return err
	}
	hScale := 0.0 // corr = hScale·h
	if res > 0 {
		hScale = g.zeta / res
	}
	if g.likelihood {
		hScale = g.zeta * TweedieShift(st.AlphaBarT) / (g.sigma * g.sigma)
	}
	scaleTo(out.Corr, hScale, out.ScoreY)
	switch {
	case g.sigma > 0:
		scaleTo(out.ScoreY, 1/(g.sigma*g.sigma), out.ScoreY)
	case res > 0:
		scaleTo(out.ScoreY, 1/res, out.ScoreY)
	}
	out.Residual, out.Target = res, ToXs
	if g.likelihood {
		out.Target = ToX0Hat
	}
	return nil
}

func dpsLikelihood(v Values, f Frame) string {
	return fmt.Sprintf("DPS x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g,  g = −∇‖y − A(x̂0)‖²/(2σ²)   ζ = %s, σ = %s", Fmt(v.Float("zeta")), Fmt(f.Sigma))
}

func dpsFormula(v Values, f Frame) [2]string {
	if v["dps-form"] == "likelihood" {
		return [2]string{dpsLikelihood(v, f),
			fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I): r → 0;  ‖y − A(x̂0)‖ = %s, (1−ᾱ_t)/√ᾱ_t = %s", Fmt(f.Residual), Fmt(TweedieShift(f.AlphaBarT)))}
	}
	return [2]string{fmt.Sprintf("DPS x_{t−1} ← x'_{t−1} − ζ ∇_{x_t}‖y − A(x̂0)‖   ζ = %s", Fmt(v.Float("zeta"))),
		fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I) (r → 0), σ = %s;  ‖y − A(x̂0)‖ = %s", Fmt(f.Sigma), Fmt(f.Residual))}
}

func dpsShort(v Values, f Frame) string {
	if v["dps-form"] == "likelihood" {
		return dpsLikelihood(v, f)
	}
	return fmt.Sprintf("DPS x_{t−1} ← x'_{t−1} − ζ ∇‖y − A(x̂0)‖   ζ = %s, σ = %s", Fmt(v.Float("zeta")), Fmt(f.Sigma))
}
