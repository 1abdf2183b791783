// Package operator holds tweedie's measurement operators A: maps from an
// image x0 (a flattened img.Shape) to a measurement vector y = A(x0) + σ·z.
//
// Every operator has a forward map and a vector–Jacobian product. Linear
// operators also apply their adjoint and solve the ΠG system
//
//	(r²·A·Aᵀ + σ²·I)·u = b
//
// in closed form where one exists (masks, average pooling), by FFT for
// circular blurs, and by conjugate gradient otherwise. Nonlinear operators
// say whether they have a pseudo-inverse A† with A(A†(A(x))) = A(x).
package operator

import "tweedie/core/img"

// Operator is a measurement operator y = A(x).
//
// Methods write into dst and return it; they panic if lengths differ from
// InShape().Len() or OutLen(). They do not allocate on the hot path and are
// not safe for concurrent use unless the operator says so (operators may keep
// scratch buffers; use Clone for another goroutine).
type Operator interface {
	// Name is the operator's spec, e.g. "inpaint-box:size=14"; Parse(Name()) gives an equal operator.
	Name() string
	// InShape is the shape of the images A acts on.
	InShape() img.Shape
	// OutLen is the length of the measurement vector y.
	OutLen() int
	// Apply writes A(x) into dst.
	Apply(dst, x []float64) []float64
	// VJP writes J_A(x)ᵀ·v into dst, J_A the Jacobian of A at x (for linear A, Aᵀv).
	VJP(dst, x, v []float64) []float64
	// Linear reports whether A is linear (then it implements Linear).
	Linear() bool
	// Display turns a measurement y into an image a person can look at.
	Display(y []float64) img.Image
	// Clone returns an independent copy (own scratch buffers) for use on another goroutine.
	Clone() Operator
}

// Linear is an operator A that is a matrix.
type Linear interface {
	Operator
	// Adjoint writes Aᵀ·v into dst.
	Adjoint(dst, v []float64) []float64
	// Solve writes u = (r2·A·Aᵀ + sigma2·I)⁻¹·b into dst. r2 and sigma2 are r² and σ²;
	// at sigma2 = 0 it requires A·Aᵀ invertible (true of identity, masks and pooling).
	// Blurs at sigma2 = 0 return the pseudo-inverse solution instead, dropping
	// frequencies where r2·|k̂|² is below 1e-12 of its maximum. dst and b may be
	// the same slice.
	Solve(dst, b []float64, r2, sigma2 float64) []float64
}

// PseudoInverter is a nonlinear operator with a hand-built pseudo-inverse:
// A(A†(A(x))) = A(x).
type PseudoInverter interface {
	Operator
	// PseudoInverse writes A†(y) into dst (an image of length InShape().Len()).
	PseudoInverse(dst, y []float64) []float64
}

// Masker is an operator that observes a subset of pixels (inpainting).
type Masker interface {
	// Mask returns a vector of length InShape().Len(): 1 where a pixel is observed, 0 elsewhere.
	Mask() []float64
}
