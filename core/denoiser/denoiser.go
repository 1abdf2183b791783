// Package denoiser defines the interface between the samplers and a
// learned (or exact) prior: the Tweedie estimate
//
//	x̂0(x_t) = E[x0 | x_t] = (x_t + (1−ᾱ_t)·∇log p_t(x_t)) / sqrt(ᾱ_t)
//
// and its vector–Jacobian product Jᵀ·v with J = ∂x̂0/∂x_t. For an exact
// denoiser J = sqrt(ᾱ_t)/(1−ᾱ_t)·Cov[x0 | x_t] is symmetric
// (second-order Tweedie).
package denoiser

import "tweedie/core/img"

// Denoiser evaluates x̂0 and Jᵀv. It keeps the point of the last Denoise
// call, so a Denoiser is not safe for concurrent use: give each goroutine its
// own (see Factory).
type Denoiser interface {
	// Dim is d, the length of x_t.
	Dim() int
	// Denoise writes x̂0 = E[x0 | x_t] at noise level ᾱ_t = alphaBar into dst
	// and returns it. It panics if lengths differ from Dim.
	Denoise(dst, xt []float64, alphaBar float64) []float64
	// VJP writes Jᵀ·v into dst, J the Jacobian of x̂0 at the point of the
	// last Denoise call, and returns it.
	VJP(dst, v []float64) []float64
}

// Factory is a prior: it makes independent denoisers over one shared,
// immutable model of images of one shape.
type Factory interface {
	NewDenoiser() Denoiser
	ImageShape() img.Shape
}
