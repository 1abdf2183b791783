package gauss

import (
	"gonum.org/v1/gonum/dsp/fourier"

	"tweedie/core/img"
)

// A spectrum holds an image in the prior's eigenbasis: for each colour
// eigen-channel k the unnormalised 2-D DFT of z_k = Σ_c Q_ck·x[·, ·, c] on
// the half plane of frequencies v ∈ [0, W/2] (the other half are the
// conjugates: z_k is real),
//
//	s[(k·H + u)·Wc + v] = Σ_{y,x} z_k[y, x]·exp(−2πi·(u·y/H + v·x/W)),   Wc = ⌊W/2⌋ + 1.
//
// The unitary coefficients are s/sqrt(H·W). A spectrum is C·H·Wc complex
// numbers; a real multiplier on it (a "filter", one number per mode) is a
// symmetric operator when it is even in ω, as every filter of the prior is.
//
// The transform is gonum's real FFT along rows followed by its complex FFT
// down the Wc columns (BenchmarkTransform against a complex 2-D FFT).

// plan transforms images of one shape to and from spectra. It keeps
// scratch space and is not safe for concurrent use.
type plan struct {
	h, w, wc, c int
	q           []float64 // colour eigenvectors, C×C (colour.q)
	row         *fourier.FFT
	col         *fourier.CmplxFFT
	plane       []float64    // one eigen-channel, H·W
	column      []complex128 // one column of the half plane, H
}

func newPlan(shape img.Shape, q []float64) *plan {
	wc := shape.W/2 + 1
	return &plan{h: shape.H, w: shape.W, wc: wc, c: shape.C, q: q,
		row: fourier.NewFFT(shape.W), col: fourier.NewCmplxFFT(shape.H),
		plane: make([]float64, shape.H*shape.W), column: make([]complex128, shape.H)}
}

// modes is the number of half-plane modes of one eigen-channel, H·Wc.
func (pl *plan) modes() int { return pl.h * pl.wc }

// specLen is the length of a spectrum, C·H·Wc.
func (pl *plan) specLen() int { return pl.c * pl.modes() }

// forward writes the spectrum of the image x into s.
func (pl *plan) forward(s []complex128, x []float64) {
	n, C := pl.h*pl.w, pl.c
	for k := range C {
		if C == 1 {
			copy(pl.plane, x)
		} else {
			q0, q1, q2 := pl.q[k], pl.q[C+k], pl.q[2*C+k]
			for p := range n {
				pl.plane[p] = q0*x[3*p] + q1*x[3*p+1] + q2*x[3*p+2]
			}
		}
		sk := s[k*pl.modes() : (k+1)*pl.modes()]
		for y := range pl.h {
			pl.row.Coefficients(sk[y*pl.wc:(y+1)*pl.wc], pl.plane[y*pl.w:(y+1)*pl.w])
		}
		pl.columns(sk, false)
	}
}

// inverse writes the image whose spectrum is s into x (inverse(forward(x))
// = x); it overwrites s.
func (pl *plan) inverse(x []float64, s []complex128) {
	n, C := pl.h*pl.w, pl.c
	scale := 1 / float64(n)
	for k := range C {
		sk := s[k*pl.modes() : (k+1)*pl.modes()]
		pl.columns(sk, true)
		for y := range pl.h {
			pl.row.Sequence(pl.plane[y*pl.w:(y+1)*pl.w], sk[y*pl.wc:(y+1)*pl.wc])
		}
		if C == 1 {
			for p, v := range pl.plane {
				x[p] = scale * v
			}
			continue
		}
		q0, q1, q2 := scale*pl.q[k], scale*pl.q[C+k], scale*pl.q[2*C+k]
		if k == 0 {
			for p, v := range pl.plane {
				x[3*p], x[3*p+1], x[3*p+2] = q0*v, q1*v, q2*v
			}
			continue
		}
		for p, v := range pl.plane {
			x[3*p] += q0 * v
			x[3*p+1] += q1 * v
			x[3*p+2] += q2 * v
		}
	}
}

// columns transforms each of the Wc columns of one eigen-channel's half
// plane in place: forward, or unnormalised inverse when inv.
func (pl *plan) columns(sk []complex128, inv bool) {
	if pl.h == 1 {
		return
	}
	for v := range pl.wc {
		for u := range pl.h {
			pl.column[u] = sk[u*pl.wc+v]
		}
		if inv {
			pl.col.Sequence(pl.column, pl.column)
		} else {
			pl.col.Coefficients(pl.column, pl.column)
		}
		for u, z := range pl.column {
			sk[u*pl.wc+v] = z
		}
	}
}

// filter writes Q·F⁻¹·diag(h)·F·Qᵀ·x into dst: the operator with
// eigenvalue h[i] on mode i of the spectrum (h of length specLen). s is
// scratch of length specLen; dst may be x.
func (pl *plan) filter(dst, x, h []float64, s []complex128) []float64 {
	pl.forward(s, x)
	scale(s, h)
	pl.inverse(dst, s)
	return dst
}

// scale multiplies each mode of s by the real h.
func scale(s []complex128, h []float64) {
	h = h[:len(s)]
	for i, z := range s {
		s[i] = complex(h[i]*real(z), h[i]*imag(z))
	}
}

// multiplicity returns how many frequencies of the full plane of width w
// the half-plane column v stands for: 1 for v = 0 and, for even w, v = w/2
// (their own conjugates' columns), else 2 (ω and −ω).
func multiplicity(v, w int) float64 {
	if v == 0 || 2*v == w {
		return 1
	}
	return 2
}
