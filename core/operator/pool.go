package operator

import (
	"fmt"
	"strconv"

	"tweedie/core/img"
)

// pool is super-resolution by f×f average pooling. The measurement is the
// low-resolution image of shape H/f × W/f × C (flattened like any image):
//
//	y[i, j, c] = (1/f²)·Σ_{a,b<f} x[f·i+a, f·j+b, c],
//	(Aᵀv)[y, x, c] = v[⌊y/f⌋, ⌊x/f⌋, c]/f²,
//
// so A·Aᵀ = I/f² and the ΠG system has the closed form
//
//	(r²·A·Aᵀ + σ²·I)⁻¹·b = b/(r²/f² + σ²).
type pool struct {
	shape img.Shape
	out   img.Shape
	f     int
	sv    []float64 // its singular values, 1/f each
}

func newPool(shape img.Shape, f int) (*pool, error) {
	if f < 1 {
		return nil, fmt.Errorf("factor %d must be positive", f)
	}
	if shape.H%f != 0 || shape.W%f != 0 {
		return nil, fmt.Errorf("factor %d does not divide image %v", f, shape)
	}
	a := &pool{shape: shape, out: img.Shape{H: shape.H / f, W: shape.W / f, C: shape.C}, f: f}
	a.sv = make([]float64, a.out.Len())
	for j := range a.sv {
		a.sv[j] = 1 / float64(f)
	}
	return a, nil
}

func (a *pool) Name() string       { return "sr:factor=" + strconv.Itoa(a.f) }
func (a *pool) InShape() img.Shape { return a.shape }
func (a *pool) OutLen() int        { return a.out.Len() }
func (a *pool) Linear() bool       { return true }

// OutShape is the shape of the low-resolution measurement.
func (a *pool) OutShape() img.Shape { return a.out }

// Clone returns a: pooling keeps no scratch space and is safe for concurrent use.
func (a *pool) Clone() Operator { return a }

// Apply writes the f×f block averages of x into dst. It panics if lengths differ.
func (a *pool) Apply(dst, x []float64) []float64 {
	mustLen("pool.Apply", "x", x, a.shape.Len())
	mustLen("pool.Apply", "dst", dst, a.out.Len())
	clear(dst)
	s, C, f := a.shape, a.shape.C, a.f
	w := 1 / float64(f*f)
	for y := 0; y < s.H; y++ {
		for x0 := 0; x0 < s.W; x0++ {
			src := x[s.Index(y, x0, 0) : s.Index(y, x0, 0)+C]
			out := dst[a.out.Index(y/f, x0/f, 0) : a.out.Index(y/f, x0/f, 0)+C]
			for c, v := range src {
				out[c] += w * v
			}
		}
	}
	return dst
}

// VJP writes Aᵀv into dst. It panics if lengths differ.
func (a *pool) VJP(dst, x, v []float64) []float64 {
	mustLen("pool.VJP", "x", x, a.shape.Len())
	return a.Adjoint(dst, v)
}

// Adjoint spreads each low-resolution value over its f×f block, divided by f².
// It panics if lengths differ.
func (a *pool) Adjoint(dst, v []float64) []float64 {
	mustLen("pool.Adjoint", "v", v, a.out.Len())
	mustLen("pool.Adjoint", "dst", dst, a.shape.Len())
	s, C, f := a.shape, a.shape.C, a.f
	w := 1 / float64(f*f)
	for y := 0; y < s.H; y++ {
		for x0 := 0; x0 < s.W; x0++ {
			out := dst[s.Index(y, x0, 0) : s.Index(y, x0, 0)+C]
			src := v[a.out.Index(y/f, x0/f, 0) : a.out.Index(y/f, x0/f, 0)+C]
			for c, u := range src {
				out[c] = w * u
			}
		}
	}
	return dst
}

// Solve writes b/(r2/f² + sigma2) into dst; r2/f² + sigma2 must be positive.
// It panics if lengths differ.
func (a *pool) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	mustLen("pool.Solve", "b", b, a.out.Len())
	mustLen("pool.Solve", "dst", dst, a.out.Len())
	s := 1 / (r2/float64(a.f*a.f) + sigma2)
	for j, v := range b {
		dst[j] = s * v
	}
	return dst
}

// Display returns the low-resolution image y.
func (a *pool) Display(y []float64) img.Image {
	mustLen("pool.Display", "y", y, a.out.Len())
	im := newImage(a.out)
	copy(im.Pix, y)
	return im
}
