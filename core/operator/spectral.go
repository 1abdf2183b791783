package operator

import (
	"math"
	"math/cmplx"
)

// Spectral is a linear operator with its singular value decomposition
//
//	A = U·[diag(s) 0]·Vᵀ,   U ∈ R^{m×m}, V ∈ R^{d×d} orthogonal, m = OutLen() ≤ d,
//
// applied without forming U or V. The spectral coordinates c = Vᵀ·x have
// length d: c_i for i < m pairs with the singular value s_i (s_i ≥ 0, in no
// particular order, and possibly 0: a blur's dead frequencies), c_i for
// i ≥ m spans the null space. Then
//
//	A·x = U·(s ⊙ (Vᵀx)_{:m}),   Aᵀ·v = V·[s ⊙ Uᵀv; 0],   A†·y = V·[(Uᵀy)/s; 0].
//
// The projection methods (DDRM, DDNM, MCG) work per component in this basis.
// Identity, masks, average pooling, circular blurs and svd: implement it.
type Spectral interface {
	Linear
	// Singulars returns s, length m. The slice is shared; do not modify it.
	Singulars() []float64
	// VT writes Vᵀ·x (length d) into dst.
	VT(dst, x []float64) []float64
	// V writes V·c (length d) into dst.
	V(dst, c []float64) []float64
	// UT writes Uᵀ·y (length m) into dst.
	UT(dst, y []float64) []float64
	// U writes U·c (length m) into dst.
	U(dst, c []float64) []float64
}

// identity: U = V = I, s = 1.

func (a *identity) Singulars() []float64 {
	if len(a.ones) != a.shape.Len() {
		a.ones = make([]float64, a.shape.Len())
		for i := range a.ones {
			a.ones[i] = 1
		}
	}
	return a.ones
}
func (a *identity) VT(dst, x []float64) []float64 { return a.Adjoint(dst, x) }
func (a *identity) V(dst, c []float64) []float64  { return a.Adjoint(dst, c) }
func (a *identity) UT(dst, y []float64) []float64 { return a.Adjoint(dst, y) }
func (a *identity) U(dst, c []float64) []float64  { return a.Adjoint(dst, c) }

// mask: Vᵀ is the permutation that lists the observed entries first (in
// the order of y), then the missing ones, ascending; U = I, s = 1.

func (a *mask) Singulars() []float64 { return a.ones }

func (a *mask) VT(dst, x []float64) []float64 {
	mustLen("mask.VT", "x", x, a.shape.Len())
	mustLen("mask.VT", "dst", dst, a.shape.Len())
	for j, i := range a.obs {
		dst[j] = x[i]
	}
	for j, i := range a.miss {
		dst[len(a.obs)+j] = x[i]
	}
	return dst
}

func (a *mask) V(dst, c []float64) []float64 {
	mustLen("mask.V", "c", c, a.shape.Len())
	mustLen("mask.V", "dst", dst, a.shape.Len())
	for j, i := range a.obs {
		dst[i] = c[j]
	}
	for j, i := range a.miss {
		dst[i] = c[len(a.obs)+j]
	}
	return dst
}

func (a *mask) UT(dst, y []float64) []float64 { return copyLen("mask.UT", dst, y, len(a.obs)) }
func (a *mask) U(dst, c []float64) []float64  { return copyLen("mask.U", dst, c, len(a.obs)) }

func copyLen(who string, dst, src []float64, n int) []float64 {
	mustLen(who, "src", src, n)
	mustLen(who, "dst", dst, n)
	copy(dst, src)
	return dst
}

// pool: each f×f block (per channel) of n = f² pixels x_0 … x_{n−1}, in
// row-major order within the block, has the orthonormal Helmert basis
//
//	e_0 = 1/f·(1, …, 1),
//	h_k = (1, …, 1, −k, 0, …, 0)/√(k(k+1))   (k ones, then −k at position k),  k = 1 … n−1.
//
// Coordinate j < m (the index of the block's low-resolution value) is
// ⟨e_0, x_block⟩ with s_j = 1/f, since y_j = (1/f²)·Σ x = (1/f)·⟨e_0, x⟩;
// coordinates m + j·(n−1) + k−1 are ⟨h_k, x_block⟩, the null space. U = I.

func (a *pool) Singulars() []float64 {
	return a.sv
}

// pixel is the flattened index of pixel p (row-major within the block) of
// channel c of the block at low-resolution position (i, jj).
func (a *pool) pixel(i, jj, c, p int) int {
	return a.shape.Index(a.f*i+p/a.f, a.f*jj+p%a.f, c)
}

func (a *pool) VT(dst, x []float64) []float64 {
	d, m, n := a.shape.Len(), a.out.Len(), a.f*a.f
	mustLen("pool.VT", "x", x, d)
	mustLen("pool.VT", "dst", dst, d)
	for i := 0; i < a.out.H; i++ {
		for jj := 0; jj < a.out.W; jj++ {
			for c := 0; c < a.shape.C; c++ {
				j := a.out.Index(i, jj, c)
				null := dst[m+j*(n-1) : m+(j+1)*(n-1)]
				sum := x[a.pixel(i, jj, c, 0)] // Σ_{p<k} x_p
				for k := 1; k < n; k++ {
					kf, xk := float64(k), x[a.pixel(i, jj, c, k)]
					null[k-1] = (sum - kf*xk) / math.Sqrt(kf*(kf+1))
					sum += xk
				}
				dst[j] = sum / float64(a.f)
			}
		}
	}
	return dst
}

func (a *pool) V(dst, c []float64) []float64 {
	d, m, n := a.shape.Len(), a.out.Len(), a.f*a.f
	mustLen("pool.V", "c", c, d)
	mustLen("pool.V", "dst", dst, d)
	for i := 0; i < a.out.H; i++ {
		for jj := 0; jj < a.out.W; jj++ {
			for ch := 0; ch < a.shape.C; ch++ {
				j := a.out.Index(i, jj, ch)
				null := c[m+j*(n-1) : m+(j+1)*(n-1)]
				tail := 0.0 // Σ_{k>p} c_k/√(k(k+1))
				for p := n - 1; p >= 0; p-- {
					v := c[j]/float64(a.f) + tail
					if p > 0 {
						pf := float64(p)
						r := null[p-1] / math.Sqrt(pf*(pf+1))
						v -= pf * r
						tail += r
					}
					dst[a.pixel(i, jj, ch, p)] = v
				}
			}
		}
	}
	return dst
}

func (a *pool) UT(dst, y []float64) []float64 { return copyLen("pool.UT", dst, y, a.out.Len()) }
func (a *pool) U(dst, c []float64) []float64  { return copyLen("pool.U", dst, c, a.out.Len()) }

// blur: the DFT diagonalises the circular convolution, ŷ(ω) = k̂(ω)·x̂(ω)
// with x̂ = F·x/√(HW) unitary, per channel. A real orthonormal basis pairs
// each frequency ω with its conjugate −ω: for ω ≠ −ω (listed first, at
// the smaller flattened index p, its partner at q)
//
//	c_p = √2·Re x̂(ω),  c_q = √2·Im x̂(ω),
//
// and for ω = −ω (the zero frequency and the Nyquist ones) c_p = x̂(ω),
// which is real. In this basis A acts on the pair (c_p, c_q) as |k̂(ω)|
// times the rotation by arg k̂(ω), so V is this real Fourier basis, s =
// |k̂| (the same at p and q), and U is V with each pair rotated by
// arg k̂(ω): Uᵀy takes the coordinates of ŷ(ω)·e^{−i·arg k̂(ω)}. At a
// self-conjugate frequency k̂ is real and the rotation is its sign. The
// coordinate of frequency p and channel c is at p·C + c, the layout of
// the image. m = d: a blur has no null space, only singular values that
// may be 0 or tiny.

// spectral builds the blur's singular values and phases.
func (a *blur) initSpectral(khat []complex128) {
	H, W, C := a.shape.H, a.shape.W, a.shape.C
	a.conj = make([]int, H*W)
	a.phase = make([]complex128, H*W)
	a.sv = make([]float64, H*W*C)
	for p, k := range khat {
		u, v := p/W, p%W
		q := ((H-u)%H)*W + (W-v)%W
		a.conj[p] = q
		r := cmplx.Abs(k)
		switch {
		case q == p: // k̂ is real: its sign
			a.phase[p] = 1
			if real(k) < 0 {
				a.phase[p] = -1
			}
		case r > 0:
			a.phase[p] = k / complex(r, 0)
		default:
			a.phase[p] = 1
		}
		for c := 0; c < C; c++ {
			a.sv[p*C+c] = r
		}
	}
}

func (a *blur) Singulars() []float64 { return a.sv }

// toSpectral writes the real coordinates of the unitary spectrum in a.buf,
// multiplied by conj(phase) when rot, into channel c of dst.
func (a *blur) toSpectral(dst, x []float64, rot bool, who string) []float64 {
	mustLen(who, "x", x, a.shape.Len())
	mustLen(who, "dst", dst, a.shape.Len())
	C := a.shape.C
	scale := complex(1/math.Sqrt(float64(len(a.buf))), 0)
	for c := 0; c < C; c++ {
		for p := range a.buf {
			a.buf[p] = complex(x[p*C+c], 0)
		}
		a.fft.forward(a.buf)
		for p, q := range a.conj {
			if q < p {
				continue
			}
			z := a.buf[p] * scale
			if rot {
				z *= cmplx.Conj(a.phase[p])
			}
			if q == p {
				dst[p*C+c] = real(z)
				continue
			}
			dst[p*C+c] = math.Sqrt2 * real(z)
			dst[q*C+c] = math.Sqrt2 * imag(z)
		}
	}
	return dst
}

// fromSpectral inverts toSpectral.
func (a *blur) fromSpectral(dst, cs []float64, rot bool, who string) []float64 {
	mustLen(who, "c", cs, a.shape.Len())
	mustLen(who, "dst", dst, a.shape.Len())
	C := a.shape.C
	scale := 1 / math.Sqrt(float64(len(a.buf)))
	for c := 0; c < C; c++ {
		for p, q := range a.conj {
			if q < p {
				continue
			}
			var z complex128
			if q == p {
				z = complex(cs[p*C+c], 0)
			} else {
				z = complex(cs[p*C+c], cs[q*C+c]) / math.Sqrt2
			}
			if rot {
				z *= a.phase[p]
			}
			a.buf[p] = z * complex(scale, 0)
			if q != p {
				a.buf[q] = cmplx.Conj(a.buf[p])
			}
		}
		a.fft.inverse(a.buf)
		for p, v := range a.buf {
			dst[p*C+c] = real(v)
		}
	}
	return dst
}

func (a *blur) VT(dst, x []float64) []float64 { return a.toSpectral(dst, x, false, "blur.VT") }
func (a *blur) V(dst, c []float64) []float64  { return a.fromSpectral(dst, c, false, "blur.V") }
func (a *blur) UT(dst, y []float64) []float64 { return a.toSpectral(dst, y, true, "blur.UT") }
func (a *blur) U(dst, c []float64) []float64  { return a.fromSpectral(dst, c, true, "blur.U") }
