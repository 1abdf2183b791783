package method

import (
	"context"
	"fmt"
	"math"
)

// DDNM is the denoising diffusion null-space model (Wang, Yu and Zhang,
// "Zero-shot image restoration using denoising diffusion null-space
// model", ICLR 2023). It keeps x̂0's null-space part and takes the
// range-space part from y,
//
//	x̂0' = x̂0 − A†·(A·x̂0 − y) = A†y + (I − A†A)·x̂0,
//
// then steps as DDIM with its own η:
//
//	x_s = √ᾱ_s·x̂0' + √(1−ᾱ_s)·(η·z + √(1−η²)·ε̂),   ε̂ = (x_t − √ᾱ_t·x̂0)/√(1−ᾱ_t).
//
// A† = V·[diag(1/s_i); 0]·Uᵀ from the operator's SVD. Published default
// η = 0.85. It ignores σ (y is taken as exact): DDNM+ is the noisy form.
//
// The update follows wyhuai/DDNM functions/svd_ddnm.py (ddnm_diffusion)
// without time travel (travel_length 1: one pass down the grid). Where
// ours differs:
//   - z is the run's step noise, the same for every method at a seed.
//   - Singular values at most 3e-2 of the largest count as 0 (SpectralCut):
//     A† drops those components rather than dividing by them.
//   - η is the published one (share of √(1−ᾱ_s)), not the run's sampler:
//     --sampler and --eta do not apply; the step is made here (Replace).
//
// g (reported, not applied) is the x̂0 correction read as a score:
// (x̂0' − x̂0)/((1−ᾱ_t)/√ᾱ_t).
func init() {
	Register(&Method{
		Name: "ddnm", Label: "DDNM", Order: 42,
		Summary: "null-space model: x̂0 ← A†y + (I − A†A)·x̂0, then DDIM(η); y taken as exact (needs an SVD)",
		Params:  []Param{stepEtaParam},
		Needs:   func(Values) Cap { return Linear | Spectral },
		Cost:    OneEval,
		Bind: func(p *Problem, v Values) (Guide, error) {
			if err := unitEta("DDNM", v, "step-eta"); err != nil {
				return nil, err
			}
			sp, err := newSpectral(p, "DDNM")
			return &ddnm{spectral: sp, eta: v.Float("step-eta")}, err
		},
		Formula: func(v Values, f Frame) [2]string {
			return [2]string{
				"DDNM x̂0' = x̂0 − A†(A x̂0 − y) = A†y + (I − A†A) x̂0,  A† = V diag(1/s) Uᵀ",
				fmt.Sprintf("    x_s = √ᾱ_s x̂0' + √(1−ᾱ_s)(η z + √(1−η²) ε̂)   η = %s;  ‖y − A x̂0‖ = %s, σ = %s (ignored)",
					Fmt(v.Float("step-eta")), Fmt(f.Residual), Fmt(f.Sigma)),
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("DDNM x̂0 ← x̂0 − A†(A x̂0 − y), DDIM(η)   η = %s", Fmt(v.Float("step-eta")))
		},
	})
}

// ddnm is DDNM, and DDNM+ when plus (with σ_y its measurement noise).
type ddnm struct {
	spectral
	eta, sigmaY float64
	plus        bool
}

// Guide makes the step per spectral component i (x̄ = Vᵀx̂0, ȳ = Uᵀy,
// ε̄ = Vᵀε̂, z̄ = Vᵀz, a = √ᾱ_s, σ_s = √(1−ᾱ_s)):
//
//	x̄'_i = x̄_i − λ_i·(x̄_i − ȳ_i/s_i)   (s_i > 0; x̄'_i = x̄_i otherwise)
//	c_i  = a·x̄'_i + d1_i·z̄_i + d2_i·ε̄_i,   x_s = V·c,
//
// with λ = 1, d1 = σ_s·η, d2 = σ_s·√(1−η²) for DDNM and the DDNM+ rules
// (ddnmPlus) otherwise.
func (g *ddnm) Guide(_ context.Context, st *State, out *Output) error {
	g.project(st)
	a, sigS := math.Sqrt(st.AlphaBarS), math.Sqrt(1-st.AlphaBarS)
	root := math.Sqrt(math.Max(0, 1-g.eta*g.eta))
	for i, x := range g.xbar {
		s := g.sing(i)
		lam, d1, d2 := 1.0, sigS*g.eta, sigS*root
		if s > 0 && g.plus && g.sigmaY > 0 {
			lam, d1, d2 = ddnmPlus(s, a, sigS, g.sigmaY, g.eta)
		}
		shift := 0.0
		if s > 0 {
			shift = -lam * (x - g.ybar[i]/s)
		}
		g.shift[i] = shift
		g.cbar[i] = a*(x+shift) + d1*g.zbar[i] + d2*g.ebar[i]
	}
	g.finish(st, out, 1)
	return nil
}
