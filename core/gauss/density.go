package gauss

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// logNormal returns log N(r; 0, C) for the filter C with eigenvalues c > 0
// on the spectrum's modes:
//
//	−½·(Σ_ω |r̂(ω)|²/(H·W·c(ω)) + Σ_ω log c(ω) + d·log 2π),
//
// the sums over every frequency of the full plane and eigen-channel (r̂
// unnormalised, so |r̂|²/(H·W) is the unitary coefficient's square). s is
// scratch of spectrum length.
func (pl *plan) logNormal(r, c []float64, s []complex128) float64 {
	pl.forward(s, r)
	n := float64(pl.h * pl.w)
	quad, logDet := 0.0, 0.0
	for i, z := range s {
		m := multiplicity(i%pl.wc, pl.w)
		quad += m * (real(z)*real(z) + imag(z)*imag(z)) / (n * c[i])
		logDet += m * math.Log(c[i])
	}
	return -0.5 * (quad + logDet + float64(len(r))*math.Log(2*math.Pi))
}

// checkLevel reports an error unless 0 ≤ ᾱ ≤ 1 and len(xt) = d.
func (p *Prior) checkLevel(xt []float64, alphaBar float64) error {
	if len(xt) != p.Dim() {
		return fmt.Errorf("gauss: image of length %d, want d = %d", len(xt), p.Dim())
	}
	if !(alphaBar >= 0 && alphaBar <= 1) {
		return fmt.Errorf("gauss: noise level ᾱ = %v, want [0, 1]", alphaBar)
	}
	return nil
}

// LogMarginal returns log p_t(x_t) = log N(x_t; sqrt(ᾱ)·μ, ᾱ·Σ + (1−ᾱ)·I),
// the prior's density at noise level ᾱ ∈ [0, 1] (at ᾱ = 1 the prior's own).
func (p *Prior) LogMarginal(xt []float64, alphaBar float64) (float64, error) {
	if err := p.checkLevel(xt, alphaBar); err != nil {
		return 0, err
	}
	return p.logMarginal(xt, p.mean, p.lambda, alphaBar), nil
}

// logMarginal returns log N(x_t; sqrt(ᾱ)·mean, ᾱ·Λ + (1−ᾱ)·I), Λ the
// filter lambda.
func (p *Prior) logMarginal(xt, mean, lambda []float64, alphaBar float64) float64 {
	pl := p.plan()
	defer p.release(pl)
	r := make([]float64, len(xt))
	floats.AddScaledTo(r, xt, -math.Sqrt(alphaBar), mean)
	c := make([]float64, len(lambda))
	for i, l := range lambda {
		c[i] = alphaBar*l + 1 - alphaBar
	}
	return pl.logNormal(r, c, make([]complex128, pl.specLen()))
}

// LogMarginal returns log p_t(x_t | y) = log N(x_t; sqrt(ᾱ)·m',
// ᾱ·Σ' + (1−ᾱ)·I) at noise level ᾱ ∈ [0, 1]; a closed form for a
// convolution (Σ' has eigenvalues λ' = λ·σ²/(|k̂|²·λ + σ²)), else
// ErrNoClosedForm.
func (post *Posterior) LogMarginal(xt []float64, alphaBar float64) (float64, error) {
	pr := post.ms.pr
	if err := pr.checkLevel(xt, alphaBar); err != nil {
		return 0, err
	}
	if post.ms.kind != Convolution {
		return 0, ErrNoClosedForm
	}
	return pr.logMarginal(xt, post.Mean, post.covSpectrum(), alphaBar), nil
}

// covSpectrum returns Σ”s eigenvalues λ' = λ·σ²/(|k̂|²·λ + σ²) on the
// spectrum's modes (Convolution).
func (post *Posterior) covSpectrum() []float64 {
	ms := post.ms
	c := make([]float64, len(ms.pr.lambda))
	for i, l := range ms.pr.lambda {
		c[i] = l * ms.sigma2 / (ms.k2[i]*l + ms.sigma2)
	}
	return c
}

// LogEvidence returns log p(y) = log N(y; A·μ, A·Σ·Aᵀ + σ²·I): a closed
// form for a convolution, else ErrNoClosedForm.
func (post *Posterior) LogEvidence() (float64, error) {
	ms := post.ms
	if ms.kind != Convolution {
		return 0, ErrNoClosedForm
	}
	sv := post.solver()
	defer post.solvers.Put(sv)
	r := sv.op.Apply(make([]float64, len(ms.y)), ms.pr.mean)
	floats.SubTo(r, ms.y, r)
	c := make([]float64, len(ms.pr.lambda))
	for i, l := range ms.pr.lambda {
		c[i] = ms.k2[i]*l + ms.sigma2
	}
	return sv.pl.logNormal(r, c, sv.s), nil
}
