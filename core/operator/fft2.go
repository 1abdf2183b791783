package operator

import "gonum.org/v1/gonum/dsp/fourier"

// fft2 computes unnormalised 2-D discrete Fourier transforms of h×w complex
// arrays stored row-major, in place, by 1-D transforms of rows then columns:
//
//	forward:  X[u, v] = Σ_{y,x} a[y, x]·exp(−2πi·(u·y/h + v·x/w))
//	inverse:  a[y, x] = Σ_{u,v} X[u, v]·exp(+2πi·(u·y/h + v·x/w))
//
// inverse(forward(a)) = h·w·a. The inverse is the conjugate transpose F^H of
// the forward matrix F. gonum's transforms handle any length, not only powers
// of two. An fft2 holds scratch space and is not safe for concurrent use.
type fft2 struct {
	h, w     int
	row, col *fourier.CmplxFFT
	buf      []complex128 // one column
}

func newFFT2(h, w int) *fft2 {
	return &fft2{h: h, w: w, row: fourier.NewCmplxFFT(w), col: fourier.NewCmplxFFT(h), buf: make([]complex128, h)}
}

func (f *fft2) forward(a []complex128) { f.transform(a, false) }
func (f *fft2) inverse(a []complex128) { f.transform(a, true) }

func (f *fft2) transform(a []complex128, inv bool) {
	if len(a) != f.h*f.w {
		panic("operator: fft2: length mismatch")
	}
	for y := 0; y < f.h; y++ {
		r := a[y*f.w : (y+1)*f.w]
		if inv {
			f.row.Sequence(r, r)
		} else {
			f.row.Coefficients(r, r)
		}
	}
	for x := 0; x < f.w; x++ {
		for y := range f.buf {
			f.buf[y] = a[y*f.w+x]
		}
		if inv {
			f.col.Sequence(f.buf, f.buf)
		} else {
			f.col.Coefficients(f.buf, f.buf)
		}
		for y, v := range f.buf {
			a[y*f.w+x] = v
		}
	}
}
