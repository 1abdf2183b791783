package operator

import (
	"fmt"
	"math"
	"math/cmplx"
	"strconv"

	"tweedie/core/img"
)

// phase is Fourier phase retrieval: the magnitude of the unnormalised 2-D DFT
// of each channel zero-padded to P·H × P·W (x in the top-left corner):
//
//	X = F·Pad(x),  y_k = |X_k|,
//
// output flattened like an image of shape P·H × P·W × C (channels
// innermost). It is nonlinear and has no pseudo-inverse here. Its
// vector–Jacobian product is, with Padᵀ cropping back to H × W,
//
//	J_Aᵀ·v = Padᵀ·Re(F^H·(v ⊙ X/|X|)),
//
// taking X_k/|X_k| = 0 where X_k = 0 (A is not differentiable there).
type phase struct {
	shape img.Shape
	pad   int
	ph    int // P·H
	pw    int // P·W
	buf   []complex128
	fft   *fft2
}

func newPhase(shape img.Shape, pad int) (*phase, error) {
	if pad < 1 {
		return nil, fmt.Errorf("pad=%d must be positive", pad)
	}
	if pad > 16 {
		return nil, fmt.Errorf("pad=%d larger than 16", pad)
	}
	if pad*shape.H > maxPhaseLen/(pad*shape.W) {
		return nil, fmt.Errorf("pad=%d: the padded %d×%d transform is larger than %d values", pad, pad*shape.H, pad*shape.W, maxPhaseLen)
	}
	a := &phase{shape: shape, pad: pad, ph: pad * shape.H, pw: pad * shape.W}
	a.buf = make([]complex128, a.ph*a.pw)
	a.fft = newFFT2(a.ph, a.pw)
	return a, nil
}

func (a *phase) Name() string       { return "phase:pad=" + strconv.Itoa(a.pad) }
func (a *phase) InShape() img.Shape { return a.shape }
func (a *phase) OutLen() int        { return a.ph * a.pw * a.shape.C }
func (a *phase) Linear() bool       { return false }

// OutShape is the shape of the measurement: P·H × P·W × C.
func (a *phase) OutShape() img.Shape { return img.Shape{H: a.ph, W: a.pw, C: a.shape.C} }

// Clone returns a copy with its own FFT scratch space.
func (a *phase) Clone() Operator {
	b, _ := newPhase(a.shape, a.pad)
	return b
}

// spectrum writes X = F·Pad(x_c) for channel c into a.buf.
func (a *phase) spectrum(x []float64, c int) {
	clear(a.buf)
	H, W, C := a.shape.H, a.shape.W, a.shape.C
	for i := 0; i < H; i++ {
		for j := 0; j < W; j++ {
			a.buf[i*a.pw+j] = complex(x[(i*W+j)*C+c], 0)
		}
	}
	a.fft.forward(a.buf)
}

// Apply writes |F·Pad(x)| into dst. It panics if lengths differ.
func (a *phase) Apply(dst, x []float64) []float64 {
	mustLen("phase.Apply", "x", x, a.shape.Len())
	mustLen("phase.Apply", "dst", dst, a.OutLen())
	C := a.shape.C
	for c := 0; c < C; c++ {
		a.spectrum(x, c)
		for k, v := range a.buf {
			dst[k*C+c] = cmplx.Abs(v)
		}
	}
	return dst
}

// VJP writes Padᵀ·Re(F^H·(v ⊙ X/|X|)) into dst, X = F·Pad(x). It panics if
// lengths differ.
func (a *phase) VJP(dst, x, v []float64) []float64 {
	mustLen("phase.VJP", "x", x, a.shape.Len())
	mustLen("phase.VJP", "v", v, a.OutLen())
	mustLen("phase.VJP", "dst", dst, a.shape.Len())
	H, W, C := a.shape.H, a.shape.W, a.shape.C
	for c := 0; c < C; c++ {
		a.spectrum(x, c)
		for k, X := range a.buf {
			m := cmplx.Abs(X)
			if m == 0 {
				a.buf[k] = 0
				continue
			}
			a.buf[k] = X * complex(v[k*C+c]/m, 0)
		}
		a.fft.inverse(a.buf)
		for i := 0; i < H; i++ {
			for j := 0; j < W; j++ {
				dst[(i*W+j)*C+c] = real(a.buf[i*a.pw+j])
			}
		}
	}
	return dst
}

// Display returns log(1 + |X|), fftshifted so the zero frequency is in the
// centre, scaled linearly (over all channels) to [−1, 1]; shape P·H × P·W × C.
func (a *phase) Display(y []float64) img.Image {
	mustLen("phase.Display", "y", y, a.OutLen())
	s := a.OutShape()
	im := newImage(s)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < s.H; i++ {
		for j := 0; j < s.W; j++ {
			// Frequency (i, j) moves to ((i + H/2) mod H, (j + W/2) mod W).
			ti, tj := (i+s.H/2)%s.H, (j+s.W/2)%s.W
			for c := 0; c < s.C; c++ {
				v := math.Log1p(math.Abs(y[s.Index(i, j, c)]))
				im.Pix[s.Index(ti, tj, c)] = v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	for i, v := range im.Pix {
		if hi > lo {
			im.Pix[i] = 2*(v-lo)/(hi-lo) - 1
		} else {
			im.Pix[i] = 0
		}
	}
	return im
}
