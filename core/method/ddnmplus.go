package method

import (
	"fmt"
	"math"
)

// DDNM+ is DDNM for noisy measurements (Wang, Yu and Zhang, ICLR 2023,
// Eq. 17 and the appendix's Eq. 51). With a = √ᾱ_s and σ_s = √(1−ᾱ_s),
// the range-space correction of a component with singular value s_i is
// scaled by λ_i and the step's noise adjusted, so that the noise y brings
// in (a·λ_i·σ_y/s_i) plus the noise added matches σ_s:
//
//	σ_s < a·σ_y/s_i:  λ_i = s_i·σ_s·√(1−η²)/(a·σ_y),  d1 = σ_s·η,               d2 = 0
//	σ_s > a·σ_y/s_i:  λ_i = 1,                         d1 = √(σ_s² − a²σ_y²/s_i²), d2 = 0
//	s_i = 0:          λ_i = 1 (no correction),         d1 = σ_s·η,               d2 = σ_s·√(1−η²)
//
//	x̂0' = x̂0 − V·diag(λ)·Vᵀ·A†(A·x̂0 − y),   x_s = a·x̂0' + V·(d1 ⊙ Vᵀz + d2 ⊙ Vᵀε̂).
//
// For σ > 0 this is DDRM with η_b = 1, component by component (checked in
// the tests). At σ = 0 it is DDNM, as in the reference, which keeps ε̂'s
// share of the noise on the observed components where the limit σ → 0
// would draw it all fresh. At the last step (σ_s = 0, σ_y > 0) λ = 0: x̂0 is
// kept as the denoiser gives it. Published default η = 0.85.
//
// The update follows wyhuai/DDNM functions/svd_ddnm.py (ddnm_plus_diffusion)
// with svd_operators.py's Lambda and Lambda_noise, without time travel.
// Where ours differs: σ_y is the problem's σ on the data scale [−1, 1]
// (the reference doubles its --sigma_y, given for images in [0, 1]); z is
// the run's step noise; singular values at most 3e-2 of the largest count
// as 0 (SpectralCut); a tie σ_s = a·σ_y/s_i keeps DDNM's λ = 1 and noise,
// as the reference does; η is the published one, not the run's sampler's.
func init() {
	Register(&Method{
		Name: "ddnm+", Label: "DDNM+", Order: 43,
		Summary: "DDNM for noisy y: the range-space correction scaled per singular component by λ_i (needs an SVD)",
		Params:  []Param{stepEtaParam},
		Needs:   func(Values) Cap { return Linear | Spectral },
		Cost:    OneEval,
		Bind: func(p *Problem, v Values) (Guide, error) {
			if err := unitEta("DDNM+", v, "step-eta"); err != nil {
				return nil, err
			}
			sp, err := newSpectral(p, "DDNM+")
			return &ddnm{spectral: sp, eta: v.Float("step-eta"), sigmaY: p.Sigma, plus: true}, err
		},
		Formula: func(v Values, f Frame) [2]string {
			return [2]string{
				fmt.Sprintf("DDNM+  σ_y = %s:  x̂0' = x̂0 − V Λ Vᵀ A†(A x̂0 − y),  λ_i = s_i σ_s √(1−η²)/(√ᾱ_s σ_y) where s_i σ_s < √ᾱ_s σ_y, else 1",
					Fmt(f.Sigma)),
				fmt.Sprintf("    η = %s:  x_s = √ᾱ_s x̂0' + V(d1 ⊙ Vᵀz + d2 ⊙ Vᵀε̂), the noise made up to σ_s per component;  ‖y − A x̂0‖ = %s",
					Fmt(v.Float("step-eta")), Fmt(f.Residual)),
			}
		},
		Short: func(v Values, f Frame) string {
			return fmt.Sprintf("DDNM+ x̂0 ← x̂0 − VΛVᵀA†(A x̂0 − y), noise made up per component   η = %s, σ_y = %s",
				Fmt(v.Float("step-eta")), Fmt(f.Sigma))
		},
	})
}

// ddnmPlus returns DDNM+'s λ, d1 and d2 for a component with singular
// value s > 0, a = √ᾱ_s, σ_s = √(1−ᾱ_s) and σ_y > 0.
func ddnmPlus(s, a, sigS, sigmaY, eta float64) (lam, d1, d2 float64) {
	root := math.Sqrt(math.Max(0, 1-eta*eta))
	thr := a * sigmaY / s
	switch {
	case sigS < thr:
		return s * sigS * root / (a * sigmaY), sigS * eta, 0
	case sigS > thr:
		return 1, math.Sqrt(sigS*sigS - thr*thr), 0
	}
	return 1, sigS * eta, sigS * root
}
