package gauss

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// gonumFFT is the 2-D DFT of any sides: gonum's real FFT along each row,
// then its complex FFT down each of the Wc columns of the half plane, one
// plane at a time.
type gonumFFT struct {
	h, w, wc int
	row      *fourier.FFT
	col      *fourier.CmplxFFT
	column   []complex128 // one column of the half plane, H
}

func newGonumFFT(h, w int) *gonumFFT {
	return &gonumFFT{h: h, w: w, wc: w/2 + 1, row: fourier.NewFFT(w), col: fourier.NewCmplxFFT(h),
		column: make([]complex128, h)}
}

func (g *gonumFFT) forward(sa, sb []complex128, a, b []float64) {
	g.one(sa, a)
	if b != nil {
		g.one(sb, b)
	}
}

func (g *gonumFFT) one(s []complex128, x []float64) {
	for y := range g.h {
		g.row.Coefficients(s[y*g.wc:(y+1)*g.wc], x[y*g.w:(y+1)*g.w])
	}
	g.columns(s, false)
}

func (g *gonumFFT) inverse(a, b []float64, sa, sb []complex128) {
	g.inverseOne(a, sa)
	if b != nil {
		g.inverseOne(b, sb)
	}
}

func (g *gonumFFT) inverseOne(x []float64, s []complex128) {
	g.columns(s, true)
	for y := range g.h {
		g.row.Sequence(x[y*g.w:(y+1)*g.w], s[y*g.wc:(y+1)*g.wc])
	}
}

// columns transforms each of the Wc columns of a half plane in place:
// forward, or unnormalised inverse when inv.
func (g *gonumFFT) columns(s []complex128, inv bool) {
	if g.h == 1 {
		return
	}
	for v := range g.wc {
		for u := range g.h {
			g.column[u] = s[u*g.wc+v]
		}
		if inv {
			g.col.Sequence(g.column, g.column)
		} else {
			g.col.Coefficients(g.column, g.column)
		}
		for u, z := range g.column {
			s[u*g.wc+v] = z
		}
	}
}

// cis returns exp(iπ·x).
func cis(x float64) complex128 {
	s, c := math.Sincos(math.Pi * x)
	return complex(c, s)
}
