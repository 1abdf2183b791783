package operator

import (
	"fmt"
	"math"
	"strconv"

	"tweedie/core/img"
)

// quantize rounds every entry to the nearest of L evenly spaced levels in
// [−1, 1] (values outside are clamped first):
//
//	q_j = −1 + 2j/(L−1),  y = q_{round((clamp(x, −1, 1) + 1)·(L−1)/2)}.
//
// It is nonlinear and piecewise constant, so its Jacobian is zero almost
// everywhere (VJP writes zeros; at level boundaries A is discontinuous). Its
// pseudo-inverse is the identity: every level is a fixed point, so
// A(A†(A(x))) = A(A(x)) = A(x). ΠG can therefore use it and DPS cannot.
type quantize struct {
	shape  img.Shape
	levels int
}

func newQuantize(shape img.Shape, levels int) (*quantize, error) {
	if levels < 2 || levels > MaxLevels {
		return nil, fmt.Errorf("levels=%d must be at least 2 and at most %d", levels, MaxLevels)
	}
	return &quantize{shape: shape, levels: levels}, nil
}

func (a *quantize) Name() string       { return "quantize:levels=" + strconv.Itoa(a.levels) }
func (a *quantize) InShape() img.Shape { return a.shape }
func (a *quantize) OutLen() int        { return a.shape.Len() }
func (a *quantize) Linear() bool       { return false }

// Clone returns a: quantize keeps no scratch space and is safe for concurrent use.
func (a *quantize) Clone() Operator { return a }

// Apply writes the quantised x into dst. It panics if lengths differ.
func (a *quantize) Apply(dst, x []float64) []float64 {
	mustLen("quantize.Apply", "x", x, a.shape.Len())
	mustLen("quantize.Apply", "dst", dst, a.shape.Len())
	h := float64(a.levels-1) / 2
	for i, v := range x {
		v = math.Min(math.Max(v, -1), 1)
		dst[i] = math.Round((v+1)*h)/h - 1
	}
	return dst
}

// VJP writes zeros into dst (the Jacobian is zero almost everywhere).
// It panics if lengths differ.
func (a *quantize) VJP(dst, x, v []float64) []float64 {
	mustLen("quantize.VJP", "x", x, a.shape.Len())
	mustLen("quantize.VJP", "v", v, a.shape.Len())
	mustLen("quantize.VJP", "dst", dst, a.shape.Len())
	clear(dst)
	return dst
}

// PseudoInverse writes y into dst (A† = I). It panics if lengths differ.
func (a *quantize) PseudoInverse(dst, y []float64) []float64 {
	mustLen("quantize.PseudoInverse", "y", y, a.shape.Len())
	mustLen("quantize.PseudoInverse", "dst", dst, a.shape.Len())
	copy(dst, y)
	return dst
}

// Display returns y as an image.
func (a *quantize) Display(y []float64) img.Image {
	mustLen("quantize.Display", "y", y, a.shape.Len())
	im := newImage(a.shape)
	copy(im.Pix, y)
	return im
}
