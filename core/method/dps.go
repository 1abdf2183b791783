package method

import (
	"context"
	"fmt"
	"math"
	"strings"

	"tweedie/core/internal/vec"
	"tweedie/core/operator"
)

// DPS is diffusion posterior sampling (Chung et al., "Diffusion posterior
// sampling for general noisy inverse problems", ICLR 2023): r → 0, so
// p(y|x_t) ≈ N(A(x̂0), σ²I) and only a VJP through A is needed, which lets A
// be nonlinear. With r = y − A(x̂0) and h = Jᵀ·J_Aᵀ·r,
//
//	∇_{x_t}‖r‖ = −h / ‖r‖,   ∇_{x_t}‖r‖² = −2·h,
//	∇_{x_t} log p(y|x_t) ≈ h / σ²            (g, the estimate reported).
//
// At σ = 0 the estimate is infinite; g is then the direction h/‖r‖ the norm
// form steps along. The forms (--dps-form) differ in the step:
//
//	norm        x_s ← x'_s − ζ·∇_{x_t}‖r‖ = x'_s + ζ·h/‖r‖ after the unconditional
//	            step x'_s: the official code (DPS2022
//	            guided_diffusion/condition_methods.py, PosteriorSampling:
//	            torch.linalg.norm of the residual, not its square, whose
//	            gradient with respect to x_t is subtracted from the sampler's
//	            output times scale = ζ; ζ = 0.5 inpainting, 0.3
//	            super-resolution and blur, 1.0 phase retrieval, configs at
//	            256×256). The norm there is over the whole batch; per sample
//	            here (the same for a batch of one).
//	squared     x_s ← x'_s − ζ·∇_{x_t}‖r‖² = x'_s + 2ζ·h: the paper's
//	            Algorithm 1 with a constant step. The paper's experiments set
//	            ζ_i = ζ'/‖r‖ in it, which is the norm form with ζ = 2ζ'; with a
//	            constant ζ the step grows with the residual, so ζ has to be
//	            tuned per problem and σ. Default: ζ/2 of the norm form's
//	            published value (the two forms agree where ‖r‖ = 1); there is
//	            no published constant for this form.
//	gradnorm    x_s ← x'_s − ζ·∇_{x_t}‖r‖ / ‖∇_{x_t}‖r‖‖ = x'_s + ζ·h/‖h‖: the step
//	            normalised by the gradient's norm, so every step has length ζ
//	            whatever the scale of J (small at high noise). Default: the
//	            norm form's published ζ (the forms agree where ‖h‖ = ‖r‖, as
//	            for a mask at J = I).
//	likelihood  x̂0 ← x̂0 + ζ·(1−ᾱ_t)/sqrt(ᾱ_t)·g, g = −∇‖r‖²/(2σ²) = h/σ²: the
//	            likelihood score applied as a score (Tweedie-consistent); it
//	            diverges for small σ.
//
// σ_y: the official code never uses σ_y in the step: the measurement is
// noised (σ_y = 0.05 on images in [-1, 1], as ours) but the step is ζ on
// ‖r‖, so ζ stands for what 1/σ_y² and the step's scale would be; only
// the likelihood form divides by σ². All forms but likelihood add the step
// to x_s after the sampler's step, as the official code does.
func init() {
	Register(&Method{
		Name: "dps", Label: "DPS", Order: 20,
		Summary: "diffusion posterior sampling: p(y|x_t) ≈ N(A(x̂0), σ²·I), any operator",
		Params: []Param{
			{Name: "dps-form", Symbol: "form", Kind: Choice, Choices: []string{"norm", "squared", "gradnorm", "likelihood"}, DefaultValue: "norm",
				Help: "DPS's step: norm (x_s − ζ·∇‖y − A(x̂0)‖, the official code), squared (x_s − ζ·∇‖y − A(x̂0)‖², the paper's Algorithm 1 with constant ζ), gradnorm (x_s − ζ·∇‖·‖/‖∇‖·‖‖, steps of length ζ) or likelihood (the 1/σ² score, Tweedie-consistent; diverges for small σ)"},
			{Name: "zeta", Symbol: "ζ", Kind: Number, NonNegative: true, Default: dpsZeta,
				Help:   "DPS step size `ζ` ≥ 0 (default: as published for the operator; half that for --dps-form squared; 1 for likelihood)",
				Ladder: []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10},
				Down:   "z", Up: "Z", DownHelp: "ζ down", UpHelp: "ζ up", InLabel: true},
		},
		Needs: func(v Values) Cap {
			if v["dps-form"] == "likelihood" {
				return VJP | PositiveSigma
			}
			return VJP
		},
		Cost: OneVJP,
		Bind: func(p *Problem, v Values) (Guide, error) {
			ms, err := newMeasurement(p)
			return &dps{measurement: ms, zeta: v.Float("zeta"), form: v["dps-form"], sigma: p.Sigma}, err
		},
		Formula:    dpsFormula,
		Short:      dpsShort,
		Covariance: func(Values) Cov { return CovZero },
	})
}

// dpsZeta is ζ as published for the operator's family (norm and gradnorm
// forms), half that for the squared form (equal steps where ‖r‖ = 1), 1 for
// the likelihood form (where ζ scales the score itself).
func dpsZeta(op operator.Operator, v Values) string {
	switch v["dps-form"] {
	case "likelihood":
		return "1"
	case "squared":
		return FormatFloat(operator.DefaultZeta(op) / 2)
	}
	return FormatFloat(operator.DefaultZeta(op))
}

type dps struct {
	measurement
	zeta, sigma float64
	form        string
}

func (g *dps) Guide(ctx context.Context, st *State, out *Output) error {
	res := g.residual(st.X0Hat)
	g.op.VJP(g.back, st.X0Hat, g.res)
	if err := st.Point.VJP(ctx, out.ScoreY, g.back); err != nil { // h
		return err
	}
	hScale := 0.0 // corr = hScale·h
	switch g.form {
	case "squared":
		hScale = 2 * g.zeta
	case "gradnorm":
		if hn := math.Sqrt(vec.Dot(out.ScoreY, out.ScoreY)); hn > 0 {
			hScale = g.zeta / hn
		}
	case "likelihood":
		hScale = g.zeta * TweedieShift(st.AlphaBarT) / (g.sigma * g.sigma)
	default: // norm
		if res > 0 {
			hScale = g.zeta / res
		}
	}
	scaleTo(out.Corr, hScale, out.ScoreY)
	switch {
	case g.sigma > 0:
		scaleTo(out.ScoreY, 1/(g.sigma*g.sigma), out.ScoreY)
	case res > 0:
		scaleTo(out.ScoreY, 1/res, out.ScoreY)
	}
	out.Residual, out.Target = res, ToXs
	if g.form == "likelihood" {
		out.Target = ToX0Hat
	}
	return nil
}

func dpsLikelihood(v Values, f Frame) string {
	return fmt.Sprintf("DPS x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g,  g = −∇‖y − A(x̂0)‖²/(2σ²)   ζ = %s, σ = %s", Fmt(v.Float("zeta")), Fmt(f.Sigma))
}

// dpsStep is the step of a form other than likelihood, with its values.
func dpsStep(v Values, f Frame) (rule, values string) {
	z := v.Float("zeta")
	switch v["dps-form"] {
	case "squared":
		return "x_{t−1} ← x'_{t−1} − ζ ∇_{x_t}‖y − A(x̂0)‖²",
			fmt.Sprintf("ζ = %s: the norm form's step with ζ' = 2ζ‖y − A(x̂0)‖ = %s", Fmt(z), Fmt(2*z*f.Residual))
	case "gradnorm":
		return "x_{t−1} ← x'_{t−1} − ζ ∇‖y − A(x̂0)‖ / ‖∇‖y − A(x̂0)‖‖", fmt.Sprintf("ζ = %s (the step's length)", Fmt(z))
	}
	return "x_{t−1} ← x'_{t−1} − ζ ∇_{x_t}‖y − A(x̂0)‖", "ζ = " + Fmt(z)
}

func dpsFormula(v Values, f Frame) [2]string {
	if v["dps-form"] == "likelihood" {
		return [2]string{dpsLikelihood(v, f),
			fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I): r → 0;  ‖y − A(x̂0)‖ = %s, (1−ᾱ_t)/√ᾱ_t = %s", Fmt(f.Residual), Fmt(TweedieShift(f.AlphaBarT)))}
	}
	rule, vals := dpsStep(v, f)
	return [2]string{fmt.Sprintf("DPS %s   %s", rule, vals),
		fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I) (r → 0), σ = %s unused: ζ stands for 1/σ² (official code);  ‖y − A(x̂0)‖ = %s", Fmt(f.Sigma), Fmt(f.Residual))}
}

func dpsShort(v Values, f Frame) string {
	if v["dps-form"] == "likelihood" {
		return dpsLikelihood(v, f)
	}
	rule, _ := dpsStep(v, f)
	rule = strings.ReplaceAll(rule, "∇_{x_t}", "∇")
	return fmt.Sprintf("DPS %s   ζ = %s, σ = %s", rule, Fmt(v.Float("zeta")), Fmt(f.Sigma))
}
