package operator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"tweedie/core/img"
)

// mask is an inpainting operator: A selects the observed entries of x.
//
// With obs the ascending list of observed flattened indices (every channel of
// an observed pixel is observed), the measurement has one entry per observed
// index, in that order:
//
//	y_j = x[obs_j],  (Aᵀv)[obs_j] = v_j and 0 elsewhere,
//
// so A·Aᵀ = I and the ΠG system has the closed form
//
//	(r²·A·Aᵀ + σ²·I)⁻¹·b = b/(r² + σ²).
type mask struct {
	name  string
	shape img.Shape
	obs   []int     // observed flattened indices, ascending
	miss  []int     // missing flattened indices, ascending
	ones  []float64 // its singular values, len(obs) ones
	m     []float64 // 1 observed, 0 missing, length shape.Len()
}

// newMask builds a mask operator from a per-pixel "observed" predicate.
func newMask(name string, shape img.Shape, observed func(y, x int) bool) *mask {
	a := &mask{name: name, shape: shape, m: make([]float64, shape.Len())}
	for y := 0; y < shape.H; y++ {
		for x := 0; x < shape.W; x++ {
			if !observed(y, x) {
				continue
			}
			for c := 0; c < shape.C; c++ {
				i := shape.Index(y, x, c)
				a.obs = append(a.obs, i)
				a.m[i] = 1
			}
		}
	}
	for i, v := range a.m {
		if v == 0 {
			a.miss = append(a.miss, i)
		}
	}
	a.ones = make([]float64, len(a.obs))
	for j := range a.ones {
		a.ones[j] = 1
	}
	return a
}

// newBoxMask removes a size×size box of pixels from the centre: rows
// [(H−size)/2, (H−size)/2+size) and likewise for columns (integer division).
func newBoxMask(shape img.Shape, size int) (*mask, error) {
	if size < 1 {
		return nil, fmt.Errorf("box size %d must be positive", size)
	}
	if size > shape.H || size > shape.W {
		return nil, fmt.Errorf("box size %d larger than image %v", size, shape)
	}
	if size == shape.H && size == shape.W {
		return nil, fmt.Errorf("box size %d removes every pixel of image %v", size, shape)
	}
	top, left := (shape.H-size)/2, (shape.W-size)/2
	name := "inpaint-box:size=" + strconv.Itoa(size)
	return newMask(name, shape, func(y, x int) bool {
		return y < top || y >= top+size || x < left || x >= left+size
	}), nil
}

// newRandomMask removes a fraction p of the pixels, chosen at random but
// deterministically from seed: the first n of
//
//	rand.New(rand.NewPCG(seed, 0)).Perm(H·W)
//
// are removed, n = round(p·H·W) capped at H·W−1 so at least one pixel stays
// observed. p must be in [0, 1).
func newRandomMask(shape img.Shape, p float64, seed uint64) (*mask, error) {
	if math.IsNaN(p) || p < 0 || p >= 1 {
		return nil, fmt.Errorf("fraction p=%v outside [0, 1)", p)
	}
	n := shape.H * shape.W
	removed := int(math.Round(p * float64(n)))
	if removed > n-1 {
		removed = n - 1
	}
	perm := rand.New(rand.NewPCG(seed, 0)).Perm(n)
	missing := make([]bool, n)
	for _, k := range perm[:removed] {
		missing[k] = true
	}
	name := "inpaint-random:p=" + formatFloat(p) + ",seed=" + strconv.FormatUint(seed, 10)
	return newMask(name, shape, func(y, x int) bool { return !missing[y*shape.W+x] }), nil
}

// newHalfMask removes the bottom ⌊H/2⌋ rows.
func newHalfMask(shape img.Shape) *mask {
	keep := (shape.H + 1) / 2
	return newMask("inpaint-half", shape, func(y, x int) bool { return y < keep })
}

func (a *mask) Name() string       { return a.name }
func (a *mask) InShape() img.Shape { return a.shape }
func (a *mask) OutLen() int        { return len(a.obs) }
func (a *mask) Linear() bool       { return true }

// Clone returns a. A mask has no scratch space, so it is safe for
// concurrent use and a clone may share its (read-only) tables.
func (a *mask) Clone() Operator { return a }

// Mask returns the mask: 1 where an entry is observed, 0 where it is missing.
// The slice is shared; do not modify it.
func (a *mask) Mask() []float64 { return a.m }

// Apply writes the observed entries of x into dst. It panics if lengths differ.
func (a *mask) Apply(dst, x []float64) []float64 {
	mustLen("mask.Apply", "x", x, a.shape.Len())
	mustLen("mask.Apply", "dst", dst, len(a.obs))
	for j, i := range a.obs {
		dst[j] = x[i]
	}
	return dst
}

// VJP writes Aᵀv into dst. It panics if lengths differ.
func (a *mask) VJP(dst, x, v []float64) []float64 {
	mustLen("mask.VJP", "x", x, a.shape.Len())
	return a.Adjoint(dst, v)
}

// Adjoint scatters v onto the observed entries of dst and zeroes the rest.
// It panics if lengths differ.
func (a *mask) Adjoint(dst, v []float64) []float64 {
	mustLen("mask.Adjoint", "v", v, len(a.obs))
	mustLen("mask.Adjoint", "dst", dst, a.shape.Len())
	clear(dst)
	for j, i := range a.obs {
		dst[i] = v[j]
	}
	return dst
}

// Solve writes b/(r2 + sigma2) into dst; r2 + sigma2 must be positive.
// It panics if lengths differ.
func (a *mask) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	mustLen("mask.Solve", "b", b, len(a.obs))
	mustLen("mask.Solve", "dst", dst, len(a.obs))
	s := 1 / (r2 + sigma2)
	for j, v := range b {
		dst[j] = s * v
	}
	return dst
}

// Display returns the image with observed entries taken from y and missing
// entries NaN.
func (a *mask) Display(y []float64) img.Image {
	mustLen("mask.Display", "y", y, len(a.obs))
	im := newImage(a.shape)
	for i := range im.Pix {
		im.Pix[i] = math.NaN()
	}
	for j, i := range a.obs {
		im.Pix[i] = y[j]
	}
	return im
}
