package method

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/operator"
)

// DiffPIR is diffusion plug-and-play image restoration (Zhu et al.,
// "Denoising diffusion models for plug-and-play image restoration", CVPR
// workshops 2023): half-quadratic splitting with the denoiser as the prior
// step. At each step the denoiser's x̂0 is moved to the proximal point of
// the data term,
//
//	x̂0' = argmin_x ‖y − A·x‖²/(2σ²) + λ·‖x − x̂0‖²/(2σ̄_t²),   σ̄_t² = (1−ᾱ_t)/ᾱ_t,
//	    = x̂0 + (AᵀA + ρ_t·I)⁻¹·Aᵀ(y − A·x̂0),                ρ_t = λ·σ²/σ̄_t²,
//	    = x̂0 + r²·Aᵀ·(r²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0),           r² = σ̄_t²/λ,
//
// (the last form is ΠG's solve with r_t² = (1−ᾱ_t)/(λ·ᾱ_t), solved exactly by
// the operator), then steps with the noise estimate of the new x̂0' and a
// share ζ of fresh noise:
//
//	ε̂' = (x_t − √ᾱ_t·x̂0')/√(1−ᾱ_t)
//	x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(√(1−ζ)·ε̂' + √ζ·z).
//
// At σ = 0 the proximal step is the projection x̂0 + A†(y − A·x̂0).
// Defaults λ = 7, ζ = 0.3: the Gaussian-deblurring experiment of the
// original code (yuanzhi-zhu/DiffPIR main_ddpir_deblur.py: lambda_ 1·7,
// zeta 0.1·3; its configs list λ = 1, ζ = 0.1 for super-resolution and
// deblurring and λ = 1, ζ = 1 for noiseless inpainting).
//
// The update follows the original (its analytic data step,
// sub_1_analytic, with model output x̂0 and η = 0) and probabilists/azula
// azula/guidance/diffpir.py (the same proximal point, minimising
// ‖y − A·x‖²/(2·var_y) + λ·‖x − x̂0‖²/(2·(σ_t/α_t)²), solved there by one
// GMRES or CG step). Where ours differs:
//   - σ is the problem's σ on the data scale [−1, 1], as azula's var_y. The
//     original states its noise on images in [0, 1] and solves there, so its
//     ρ_t for the same noise is a quarter of ours: its λ = 7 is λ = 1.75 here.
//   - The proximal point is solved exactly (operator.Linear's Solve: closed
//     form for masks and pooling, FFT for blurs, CG otherwise), not by one
//     Krylov step (azula) or the FFT of the original's blur-only solver.
//   - z is the run's step noise, the same for every method at a seed.
//   - The schedule is the run's grid (--steps, uniform), not the original's
//     quadratic spacing; x_T is N(0, I), not y noised to level T.
//   - The step is made here (Replace): --sampler and --eta do not apply.
//
// g (reported, not applied) is the proximal shift read as a score:
// (x̂0' − x̂0)/((1−ᾱ_t)/√ᾱ_t). One denoiser call a step, no VJP.
func init() {
	Register(&Method{
		Name: "diffpir", Label: "DiffPIR", Order: 50,
		Summary: "plug-and-play splitting: x̂0 ← argmin ‖y − Ax‖²/2σ² + λ‖x − x̂0‖²/2σ̄_t², then DDIM with a share ζ of fresh noise",
		Params: []Param{
			{Name: "diffpir-lambda", Symbol: "λ", Kind: Number, NonNegative: true, DefaultValue: "7",
				Help:   "DiffPIR's `λ` > 0: the weight of the prior in the proximal step, ρ_t = λσ²/σ̄_t² (7: the original's deblurring experiment, σ on [0, 1] there)",
				Ladder: []float64{0.1, 0.25, 0.5, 1, 2, 4, 7, 10, 20, 50, 100},
				Down:   "j", Up: "J", DownHelp: "λ down", UpHelp: "λ up", InLabel: true},
			{Name: "diffpir-zeta", Symbol: "ζ", Kind: Number, NonNegative: true, DefaultValue: "0.3",
				Help: "DiffPIR's `ζ` in [0, 1]: the share of fresh noise in its step, x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(√(1−ζ)·ε̂' + √ζ·z) (0.3: the original's deblurring experiment)"},
		},
		Needs: func(Values) Cap { return Linear },
		Cost:  OneEval,
		Bind:  bindDiffPIR,
		Formula: func(v Values, f Frame) [2]string {
			lam := v.Float("diffpir-lambda")
			sb2 := (1 - f.AlphaBarT) / f.AlphaBarT
			return [2]string{
				fmt.Sprintf("DiffPIR x̂0' = x̂0 + r² Aᵀ(r² AAᵀ + σ² I)⁻¹(y − A x̂0),  r² = σ̄_t²/λ = (1−ᾱ_t)/(λ ᾱ_t) = %s   λ = %s, σ = %s, ‖y − A x̂0‖ = %s",
					Fmt(sb2/lam), Fmt(lam), Fmt(f.Sigma), Fmt(f.Residual)),
				fmt.Sprintf("    x_s = √ᾱ_s x̂0' + √(1−ᾱ_s)(√(1−ζ) ε̂' + √ζ z),  ε̂' = (x_t − √ᾱ_t x̂0')/√(1−ᾱ_t)   ζ = %s, ρ_t = λσ²/σ̄_t² = %s",
					Fmt(v.Float("diffpir-zeta")), Fmt(lam*f.Sigma*f.Sigma/sb2)),
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("DiffPIR x̂0 ← argmin ‖y − Ax‖²/2σ² + λ‖x − x̂0‖²/2σ̄_t², DDIM(ζ)   λ = %s, ζ = %s, σ = %s",
				Fmt(v.Float("diffpir-lambda")), Fmt(v.Float("diffpir-zeta")), Fmt(f.Sigma))
		},
	})
}

type diffpir struct {
	measurement
	lin         operator.Linear
	lambda      float64
	zeta, sigma float64
	u           []float64 // length m: the solve's result
	x0          []float64 // x̂0'
}

func bindDiffPIR(p *Problem, v Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	lin, ok := p.Op.(operator.Linear)
	if !ok || !p.Op.Linear() {
		return nil, fmt.Errorf("DiffPIR cannot serve %s: it is nonlinear", p.Op.Name())
	}
	lam, zeta := v.Float("diffpir-lambda"), v.Float("diffpir-zeta")
	if !(lam > 0) {
		return nil, fmt.Errorf("DiffPIR's λ = %s: want a number > 0", v["diffpir-lambda"])
	}
	if err := unitEta("DiffPIR", v, "diffpir-zeta"); err != nil {
		return nil, err
	}
	return &diffpir{measurement: ms, lin: lin, lambda: lam, zeta: zeta, sigma: p.Sigma,
		u: make([]float64, p.Op.OutLen()), x0: make([]float64, p.Op.InShape().Len())}, nil
}

func (g *diffpir) Guide(_ context.Context, st *State, out *Output) error {
	out.Residual = g.residual(st.X0Hat)
	r2 := (1 - st.AlphaBarT) / (st.AlphaBarT * g.lambda)
	g.lin.Solve(g.u, g.res, r2, g.sigma*g.sigma)
	g.lin.Adjoint(g.back, g.u)
	shift := TweedieShift(st.AlphaBarT)
	for j := range g.x0 {
		g.x0[j] = st.X0Hat[j] + r2*g.back[j]
		out.ScoreY[j] = r2 * g.back[j] / shift
	}
	at, bt := math.Sqrt(st.AlphaBarT), math.Sqrt(1-st.AlphaBarT)
	as, bs := math.Sqrt(st.AlphaBarS), math.Sqrt(1-st.AlphaBarS)
	ke, kz := bs*math.Sqrt(1-g.zeta), bs*math.Sqrt(g.zeta)
	for j := range out.Xs {
		eps := (st.Xt[j] - at*g.x0[j]) / bt
		out.Xs[j] = as*g.x0[j] + ke*eps + kz*st.Z[j]
	}
	clear(out.Corr)
	out.Target = Replace
	return nil
}
