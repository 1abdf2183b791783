package method

import (
	"context"
	"fmt"
	"math"
)

// DDRM is denoising diffusion restoration models (Kawar et al., "Denoising
// diffusion restoration models", NeurIPS 2022). It makes the step itself,
// per component of the SVD A = U·[diag(s) 0]·Vᵀ, in the variance-exploding
// units x/√ᾱ where the noise level is σ_t = √(1−ᾱ_t)/√ᾱ_t. With x̄ = Vᵀx̂0,
// ε̄ = Vᵀε̂ (ε̂ = (x_t − √ᾱ_t·x̂0)/√(1−ᾱ_t), the denoiser's noise), ȳ = Uᵀy,
// z̄ = Vᵀz and σ_y the measurement noise, component i becomes
//
//	s_i = 0 (unobserved):  x̄'_i = x̄_i + √(1−η²)·σ_s·ε̄_i + η·σ_s·z̄_i
//	s_i·σ_s < σ_y:         x̄'_i = x̄_i + √(1−η²)·σ_s·(ȳ_i − s_i·x̄_i)/σ_y + η·σ_s·z̄_i
//	s_i·σ_s > σ_y:         x̄'_i = η_b·ȳ_i/s_i + (1−η_b)·x̄_i + √(σ_s² − σ_y²·η_b²/s_i²)·z̄_i
//
// and x_s = √ᾱ_s·V·x̄'. The first is DDIM with η on the fresh noise; the
// second pulls the residual in where y is noisier than x_s; the third
// takes y where y is the sharper (η_b = 1: y/s_i itself plus the noise
// x_s still lacks). Published defaults η = 0.85, η_b = 1.
//
// The update follows NVlabs/RED-diff algos/ddrm.py (and the original
// bahjat-kawar/ddrm, functions/denoising.py efficient_generalized_steps).
// Where ours differs:
//   - σ_y is the problem's σ on the data scale [−1, 1]: RED-diff doubles
//     its configured σ_y, which is given for images in [0, 1].
//   - z is the run's step noise (the same for every method at a seed),
//     rotated into the spectral basis; the references draw fresh noise.
//   - x_T is the run's N(0, I), not DDRM's p(x_T | y) (equal to within
//     √ᾱ_T·x0 at the first step).
//   - Singular values at most 3e-2 of the largest count as 0 (SpectralCut);
//     the original zeroes its 1-D blur factors' below 3e-2.
//   - A tie s_i·σ_s = σ_y is unobserved, as in the reference; at the last
//     step (σ_s = 0) every component gives x̂0.
//   - η is the published one (noise share of √(1−ᾱ_s)), not the run's
//     sampler: --sampler and --eta do not apply to DDRM.
//
// g (reported, not applied) is the shift of x̄' from the unobserved rule's
// mean, taken back to pixels and read as a score: V·Δ/((1−ᾱ_t)/√ᾱ_t).
func init() {
	Register(&Method{
		Name: "ddrm", Label: "DDRM", Order: 40,
		Summary: "denoising diffusion restoration: the step per singular component, y where it is sharper (needs an SVD)",
		Params:  []Param{stepEtaParam, etaBParam},
		Needs:   func(Values) Cap { return Linear | Spectral },
		Cost:    OneEval,
		Bind: func(p *Problem, v Values) (Guide, error) {
			if err := unitEta("DDRM", v, "step-eta", "eta-b"); err != nil {
				return nil, err
			}
			sp, err := newSpectral(p, "DDRM")
			return &ddrm{spectral: sp, eta: v.Float("step-eta"), etaB: v.Float("eta-b"), sigmaY: p.Sigma}, err
		},
		Formula: ddrmFormula,
		Short:   ddrmShort,
	})
}

// stepEtaParam is the η of the projection methods' own step,
// x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(η·z + √(1−η²)·ε̂).
var stepEtaParam = Param{Name: "step-eta", Symbol: "η", Kind: Number, NonNegative: true, DefaultValue: "0.85",
	Help: "DDRM's and DDNM's `η` in [0, 1]: the fresh-noise share of their own step, x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(η·z + √(1−η²)·ε̂) (published 0.85; the sampler's --eta does not apply to them)"}

// etaBParam is DDRM's η_b.
var etaBParam = Param{Name: "eta-b", Symbol: "η_b", Kind: Number, NonNegative: true, DefaultValue: "1",
	Help:   "DDRM's `η_b` in [0, 1]: how far components where y is sharper than x_s move to y/s_i (published 1)",
	Ladder: []float64{0, 0.25, 0.5, 0.75, 0.9, 1}, Down: "b", Up: "B", DownHelp: "η_b down", UpHelp: "η_b up", InLabel: true}

type ddrm struct {
	spectral
	eta, etaB, sigmaY float64
}

func (g *ddrm) Guide(_ context.Context, st *State, out *Output) error {
	g.project(st)
	sigS := math.Sqrt((1 - st.AlphaBarS) / st.AlphaBarS)
	kEps := math.Sqrt(math.Max(0, 1-g.eta*g.eta)) * sigS // ε̄'s and the residual's coefficient
	kZ := g.eta * sigS
	for i, x := range g.xbar {
		s := g.sing(i)
		plain := x + kEps*g.ebar[i] // the unobserved rule's mean
		var c float64
		switch {
		case s > 0 && s*sigS < g.sigmaY:
			c = x + kEps*(g.ybar[i]-s*x)/g.sigmaY
			g.cbar[i] = c + kZ*g.zbar[i]
		case s > 0 && s*sigS > g.sigmaY:
			c = g.etaB*g.ybar[i]/s + (1-g.etaB)*x
			sy := g.sigmaY * g.etaB / s
			g.cbar[i] = c + math.Sqrt(math.Max(0, sigS*sigS-sy*sy))*g.zbar[i]
		default:
			c = plain
			g.cbar[i] = c + kZ*g.zbar[i]
		}
		g.shift[i] = c - plain
	}
	g.finish(st, out, math.Sqrt(st.AlphaBarS))
	return nil
}

// ddrmSigma is DDRM's noise level σ_t = √(1−ᾱ_t)/√ᾱ_t at the frame (its
// σ_s is that of the step's ᾱ_s, one step further).
func ddrmSigma(f Frame) float64 { return math.Sqrt((1 - f.AlphaBarT) / f.AlphaBarT) }

func ddrmFormula(v Values, f Frame) [2]string {
	return [2]string{
		fmt.Sprintf("DDRM  η_b = %s, σ_y = %s, σ_t = %s:  s_i σ_s > σ_y: x̄'_i = η_b ȳ_i/s_i + (1−η_b) x̄_i + √(σ_s² − η_b²σ_y²/s_i²) z̄_i",
			Fmt(v.Float("eta-b")), Fmt(f.Sigma), Fmt(ddrmSigma(f))),
		fmt.Sprintf("    η = %s:  s_i σ_s < σ_y: x̄'_i = x̄_i + √(1−η²) σ_s (ȳ_i − s_i x̄_i)/σ_y + η σ_s z̄_i;  s_i = 0: DDIM(η);  x_s = √ᾱ_s V x̄'",
			Fmt(v.Float("step-eta"))),
	}
}

func ddrmShort(v Values, f Frame) string {
	return fmt.Sprintf("DDRM x̄' per component of Vᵀx: y/s_i where s_i σ_t > σ_y, else DDIM(η)   η = %s, η_b = %s, σ_t = %s, σ_y = %s",
		Fmt(v.Float("step-eta")), Fmt(v.Float("eta-b")), Fmt(ddrmSigma(f)), Fmt(f.Sigma))
}
