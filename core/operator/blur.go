package operator

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/img"
)

// Kerneler is an operator that blurs with a convolution kernel.
type Kerneler interface {
	// Kernel returns the size×size×1 convolution kernel (sums to 1).
	Kernel() img.Image
}

// blurRcond is the relative cutoff of the blur's pseudo-inverse: in Solve,
// frequencies whose eigenvalue r²·|k̂|² + σ² is at most blurRcond times the
// largest one are dropped (their component of u is set to zero).
const blurRcond = 1e-12

// blur is a circular (periodic-boundary) convolution of each channel with a
// size×size kernel k centred at (size/2, size/2):
//
//	y[i, j, c] = Σ_{a,b} k[a, b]·x[(i − a + size/2) mod H, (j − b + size/2) mod W, c].
//
// A kernel larger than the image wraps around. Output has the image's shape.
// The adjoint is the correlation with k. The 2-D DFT F diagonalises A:
// A = F⁻¹·diag(k̂)·F with k̂ the DFT of k embedded (wrapped) in an H×W array,
// so the ΠG system is solved exactly per frequency:
//
//	û = b̂ / (r²·|k̂|² + σ²).
//
// At σ² = 0 some |k̂| may vanish (motion kernels often have exact zeros) or be
// tiny: Solve then returns the pseudo-inverse solution, zeroing frequencies
// whose eigenvalue is ≤ 1e-12 times the largest (see blurRcond). The result
// is finite but, for a Gaussian at σ² = 0, strongly amplified.
type blur struct {
	name   string
	shape  img.Shape
	size   int
	kernel []float64    // size×size, row-major
	taps   []tap        // nonzero kernel entries as shifts
	khat   []complex128 // k̂, the DFT of the wrapped kernel, H×W (Convolver)
	k2     []float64    // |k̂|² per frequency, H×W
	buf    []complex128
	fft    *fft2
	// The real spectral basis (see Spectral): each frequency's conjugate,
	// the phase of k̂ and the singular values |k̂| per coordinate.
	conj  []int
	phase []complex128
	sv    []float64
}

// tap is one kernel weight w moving pixel (i, j) to (i+dy, j+dx).
type tap struct {
	dy, dx int // in [0, H) and [0, W): shifts already reduced modulo the image
	w      float64
}

func checkKernelSize(size int, shape img.Shape) error {
	if size < 1 {
		return fmt.Errorf("kernel size %d must be positive", size)
	}
	if size > 4*max(shape.H, shape.W) {
		return fmt.Errorf("kernel size %d larger than 4×max(H, W) of image %v", size, shape)
	}
	if size > MaxKernelSize {
		return fmt.Errorf("kernel size %d larger than %d", size, MaxKernelSize)
	}
	return nil
}

// checkKernel reports whether every weight of k is finite and non-negative
// and they sum to 1 (a kernel normalised from weights that underflowed to
// zero is NaN).
func checkKernel(k []float64) error {
	sum := 0.0
	for _, w := range k {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("kernel weight %v is not finite and non-negative", w)
		}
		sum += w
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("kernel sums to %v, not 1", sum)
	}
	return nil
}

func newGaussBlur(shape img.Shape, size int, std float64) (*blur, error) {
	if err := checkKernelSize(size, shape); err != nil {
		return nil, err
	}
	if !(std > 0) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("std=%v must be positive and finite", std)
	}
	k := gaussKernel(size, std)
	if err := checkKernel(k); err != nil {
		return nil, fmt.Errorf("size=%d, std=%v: %w (std too small for the size)", size, std, err)
	}
	name := "blur-gauss:size=" + strconv.Itoa(size) + ",std=" + formatFloat(std)
	return newBlur(name, shape, size, k), nil
}

func newMotionBlur(shape img.Shape, size int, seed uint64) (*blur, error) {
	if err := checkKernelSize(size, shape); err != nil {
		return nil, err
	}
	k := motionKernel(size, seed)
	if err := checkKernel(k); err != nil {
		return nil, fmt.Errorf("size=%d, seed=%d: %w", size, seed, err)
	}
	name := "blur-motion:size=" + strconv.Itoa(size) + ",seed=" + strconv.FormatUint(seed, 10)
	return newBlur(name, shape, size, k), nil
}

func newBlur(name string, shape img.Shape, size int, kernel []float64) *blur {
	H, W := shape.H, shape.W
	a := &blur{name: name, shape: shape, size: size, kernel: kernel}
	wrapped := make([]float64, H*W)
	for i := 0; i < size; i++ {
		for j := 0; j < size; j++ {
			w := kernel[i*size+j]
			if w == 0 {
				continue
			}
			dy := ((i-size/2)%H + H) % H
			dx := ((j-size/2)%W + W) % W
			wrapped[dy*W+dx] += w
		}
	}
	for p, w := range wrapped {
		if w != 0 {
			a.taps = append(a.taps, tap{dy: p / W, dx: p % W, w: w})
		}
	}
	khat := make([]complex128, H*W)
	for p, w := range wrapped {
		khat[p] = complex(w, 0)
	}
	newFFT2(H, W).forward(khat)
	a.khat = khat
	a.k2 = make([]float64, H*W)
	for p, v := range khat {
		a.k2[p] = real(v)*real(v) + imag(v)*imag(v)
	}
	a.buf = make([]complex128, H*W)
	a.fft = newFFT2(H, W)
	a.initSpectral(khat)
	return a
}

func (a *blur) Name() string       { return a.name }
func (a *blur) InShape() img.Shape { return a.shape }
func (a *blur) OutLen() int        { return a.shape.Len() }
func (a *blur) Linear() bool       { return true }

// Clone returns a copy with its own FFT scratch space.
func (a *blur) Clone() Operator {
	b := *a
	b.buf = make([]complex128, len(a.buf))
	b.fft = newFFT2(a.shape.H, a.shape.W)
	return &b
}

// Kernel returns a copy of the size×size kernel.
func (a *blur) Kernel() img.Image {
	im := newImage(img.Shape{H: a.size, W: a.size, C: 1})
	copy(im.Pix, a.kernel)
	return im
}

// Apply writes the circular convolution k ⊛ x into dst. It panics if lengths differ.
func (a *blur) Apply(dst, x []float64) []float64 {
	mustLen("blur.Apply", "x", x, a.shape.Len())
	mustLen("blur.Apply", "dst", dst, a.shape.Len())
	a.shift(dst, x, false)
	return dst
}

// VJP writes Aᵀv into dst. It panics if lengths differ.
func (a *blur) VJP(dst, x, v []float64) []float64 {
	mustLen("blur.VJP", "x", x, a.shape.Len())
	return a.Adjoint(dst, v)
}

// Adjoint writes the circular correlation of v with k into dst. It panics if
// lengths differ.
func (a *blur) Adjoint(dst, v []float64) []float64 {
	mustLen("blur.Adjoint", "v", v, a.shape.Len())
	mustLen("blur.Adjoint", "dst", dst, a.shape.Len())
	a.shift(dst, v, true)
	return dst
}

// shift computes dst = Σ_taps w·S(x), S moving pixel (i, j) to (i+dy, j+dx),
// or to (i−dy, j−dx) for the adjoint. Rows are contiguous (W·C values), so a
// shifted row is two contiguous runs, each added with one axpy.
func (a *blur) shift(dst, x []float64, adjoint bool) {
	H, W, C := a.shape.H, a.shape.W, a.shape.C
	row := W * C
	clear(dst)
	for _, t := range a.taps {
		dy, dx := t.dy, t.dx
		if adjoint {
			dy, dx = (H-dy)%H, (W-dx)%W
		}
		split := (W - dx) * C // src[0:split] lands at dst[dx·C:]
		for i := 0; i < H; i++ {
			si := i - dy
			if si < 0 {
				si += H
			}
			d := dst[i*row : (i+1)*row]
			s := x[si*row : (si+1)*row]
			floats.AddScaled(d[dx*C:], t.w, s[:split])
			if dx > 0 {
				floats.AddScaled(d[:dx*C], t.w, s[split:])
			}
		}
	}
}

// Solve writes u = (r2·A·Aᵀ + sigma2·I)⁻¹·b into dst by FFT, per channel:
// û = b̂/(r2·|k̂|² + sigma2), zeroing frequencies whose eigenvalue is at most
// 1e-12 times the largest (a pseudo-inverse where A·Aᵀ is singular at
// sigma2 = 0). It panics if lengths differ.
func (a *blur) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	mustLen("blur.Solve", "b", b, a.shape.Len())
	mustLen("blur.Solve", "dst", dst, a.shape.Len())
	C := a.shape.C
	lmax := 0.0
	for _, k2 := range a.k2 {
		lmax = math.Max(lmax, r2*k2+sigma2)
	}
	cut := blurRcond * lmax
	scale := 1 / float64(len(a.buf))
	for c := 0; c < C; c++ {
		for p := range a.buf {
			a.buf[p] = complex(b[p*C+c], 0)
		}
		a.fft.forward(a.buf)
		for p, k2 := range a.k2 {
			l := r2*k2 + sigma2
			if l <= cut {
				a.buf[p] = 0
			} else {
				a.buf[p] *= complex(scale/l, 0)
			}
		}
		a.fft.inverse(a.buf)
		for p, v := range a.buf {
			dst[p*C+c] = real(v)
		}
	}
	return dst
}

// Display returns the blurred image y.
func (a *blur) Display(y []float64) img.Image {
	mustLen("blur.Display", "y", y, a.shape.Len())
	im := newImage(a.shape)
	copy(im.Pix, y)
	return im
}
