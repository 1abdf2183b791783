package operator

import "tweedie/core/img"

// identity is A = I (denoising):
//
//	y = x,  Aᵀv = v,  (r²·I + σ²·I)⁻¹·b = b/(r² + σ²).
type identity struct {
	shape    img.Shape
	ones     []float64    // its singular values
	transfer []complex128 // k̂ = 1 (Convolver), made on the first Transfer
}

func newIdentity(shape img.Shape) *identity {
	a := &identity{shape: shape}
	a.Singulars()
	return a
}

func (a *identity) Name() string       { return "identity" }
func (a *identity) InShape() img.Shape { return a.shape }
func (a *identity) OutLen() int        { return a.shape.Len() }
func (a *identity) Linear() bool       { return true }
func (a *identity) Clone() Operator    { return newIdentity(a.shape) }

// Apply writes x into dst. It panics if lengths differ.
func (a *identity) Apply(dst, x []float64) []float64 {
	mustLen("identity.Apply", "x", x, a.shape.Len())
	mustLen("identity.Apply", "dst", dst, a.shape.Len())
	copy(dst, x)
	return dst
}

// VJP writes v into dst. It panics if lengths differ.
func (a *identity) VJP(dst, x, v []float64) []float64 {
	mustLen("identity.VJP", "x", x, a.shape.Len())
	return a.Adjoint(dst, v)
}

// Adjoint writes v into dst. It panics if lengths differ.
func (a *identity) Adjoint(dst, v []float64) []float64 {
	mustLen("identity.Adjoint", "v", v, a.shape.Len())
	mustLen("identity.Adjoint", "dst", dst, a.shape.Len())
	copy(dst, v)
	return dst
}

// Solve writes b/(r2 + sigma2) into dst; r2 + sigma2 must be positive.
// It panics if lengths differ.
func (a *identity) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	mustLen("identity.Solve", "b", b, a.shape.Len())
	mustLen("identity.Solve", "dst", dst, a.shape.Len())
	s := 1 / (r2 + sigma2)
	for i, v := range b {
		dst[i] = s * v
	}
	return dst
}

// Display returns y as an image.
func (a *identity) Display(y []float64) img.Image {
	mustLen("identity.Display", "y", y, a.shape.Len())
	im := newImage(a.shape)
	copy(im.Pix, y)
	return im
}
