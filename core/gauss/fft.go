package gauss

import (
	"math/bits"

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
// The 2-D transforms are an engine's: radix2 when H and W are powers of
// two, gonumFFT otherwise (BenchmarkTransform compares them).

// engine computes half-plane spectra of real H×W planes.
type engine interface {
	// forward writes the spectra of the planes a and b into sa and sb; b
	// and sb may be nil (one plane).
	forward(sa, sb []complex128, a, b []float64)
	// inverse writes H·W times the planes whose spectra are sa and sb
	// into a and b (b and sb may be nil); it may overwrite sa and sb.
	inverse(a, b []float64, sa, sb []complex128)
}

// plan transforms images of one shape to and from spectra. It keeps
// scratch space and is not safe for concurrent use.
type plan struct {
	h, w, wc, c int
	q           []float64   // colour eigenvectors, C×C (colour.q)
	planes      [][]float64 // the eigen-channels z_k, H·W each
	eng         engine
}

func newPlan(shape img.Shape, q []float64) *plan {
	pl := &plan{h: shape.H, w: shape.W, wc: shape.W/2 + 1, c: shape.C, q: q}
	for range shape.C {
		pl.planes = append(pl.planes, make([]float64, shape.H*shape.W))
	}
	if isPow2(shape.H) && isPow2(shape.W) {
		pl.eng = newRadix2(shape.H, shape.W)
	} else {
		pl.eng = newGonumFFT(shape.H, shape.W)
	}
	return pl
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// modes is the number of half-plane modes of one eigen-channel, H·Wc.
func (pl *plan) modes() int { return pl.h * pl.wc }

// specLen is the length of a spectrum, C·H·Wc.
func (pl *plan) specLen() int { return pl.c * pl.modes() }

// channel returns eigen-channel k of the spectrum s, nil for k = C.
func (pl *plan) channel(s []complex128, k int) []complex128 {
	if k >= pl.c {
		return nil
	}
	return s[k*pl.modes() : (k+1)*pl.modes()]
}

// plane returns eigen-channel plane k, nil for k = C.
func (pl *plan) plane(k int) []float64 {
	if k >= pl.c {
		return nil
	}
	return pl.planes[k]
}

// forward writes the spectrum of the image x into s.
func (pl *plan) forward(s []complex128, x []float64) {
	C := pl.c
	if C == 1 {
		copy(pl.planes[0], x)
	} else {
		for k, z := range pl.planes {
			q0, q1, q2 := pl.q[k], pl.q[C+k], pl.q[2*C+k]
			for p := range z {
				z[p] = q0*x[3*p] + q1*x[3*p+1] + q2*x[3*p+2]
			}
		}
	}
	for k := 0; k < C; k += 2 {
		pl.eng.forward(pl.channel(s, k), pl.channel(s, k+1), pl.planes[k], pl.plane(k+1))
	}
}

// inverse writes the image whose spectrum is s into x (inverse(forward(x))
// = x); it may overwrite s.
func (pl *plan) inverse(x []float64, s []complex128) {
	C := pl.c
	for k := 0; k < C; k += 2 {
		pl.eng.inverse(pl.planes[k], pl.plane(k+1), pl.channel(s, k), pl.channel(s, k+1))
	}
	scale := 1 / float64(pl.h*pl.w)
	if C == 1 {
		for p, v := range pl.planes[0] {
			x[p] = scale * v
		}
		return
	}
	for k, z := range pl.planes {
		q0, q1, q2 := scale*pl.q[k], scale*pl.q[C+k], scale*pl.q[2*C+k]
		if k == 0 {
			for p, v := range z {
				x[3*p], x[3*p+1], x[3*p+2] = q0*v, q1*v, q2*v
			}
			continue
		}
		for p, v := range z {
			x[3*p] += q0 * v
			x[3*p+1] += q1 * v
			x[3*p+2] += q2 * v
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

// radix2 is the 2-D DFT for power-of-two sides. Two real planes a and b
// are transformed at once as z = a + i·b, and separated by the symmetry
// of real planes' spectra:
//
//	â(ω) = (ẑ(ω) + conj ẑ(−ω))/2,   b̂(ω) = (ẑ(ω) − conj ẑ(−ω))/(2i).
//
// The complex transform of an H×W array is radix-2 butterflies down the
// columns, each butterfly combining two whole rows (contiguous in memory,
// no gathering of columns), then the same down the columns of its
// transpose.
type radix2 struct {
	h, w, wc int
	z, t     []complex128 // H×W and its transpose W×H
	twH, twW []complex128 // exp(−2πi·k/n), k < n/2, for n = H and n = W
	revH     []int        // bit-reversal permutations of 0…H−1 and 0…W−1
	revW     []int
}

func newRadix2(h, w int) *radix2 {
	return &radix2{h: h, w: w, wc: w/2 + 1, z: make([]complex128, h*w), t: make([]complex128, h*w),
		twH: twiddles(h), twW: twiddles(w), revH: bitReversal(h), revW: bitReversal(w)}
}

func twiddles(n int) []complex128 {
	tw := make([]complex128, n/2)
	for k := range tw {
		tw[k] = cis(-2 * float64(k) / float64(n))
	}
	return tw
}

func bitReversal(n int) []int {
	rev := make([]int, n)
	shift := bits.UintSize - bits.TrailingZeros(uint(n))
	for i := range rev {
		if n > 1 {
			rev[i] = int(bits.Reverse(uint(i)) >> shift)
		}
	}
	return rev
}

// butterflies transforms every column of the rows×cols array a in place
// (rows a power of two): forward with twiddles tw, unnormalised inverse
// with their conjugates.
func butterflies(a []complex128, rows, cols int, tw []complex128, rev []int, inv bool) {
	for i, j := range rev {
		if i < j {
			ri, rj := a[i*cols:(i+1)*cols], a[j*cols:(j+1)*cols]
			for c := range ri {
				ri[c], rj[c] = rj[c], ri[c]
			}
		}
	}
	for m := 1; m < rows; m *= 2 {
		step := rows / (2 * m)
		for k := range m {
			wr, wi := real(tw[k*step]), imag(tw[k*step])
			if inv {
				wi = -wi
			}
			for g := k; g < rows; g += 2 * m {
				top, bot := a[g*cols:(g+1)*cols], a[(g+m)*cols:(g+m+1)*cols]
				bot = bot[:len(top)]
				if k == 0 {
					for c, x := range bot {
						top[c], bot[c] = top[c]+x, top[c]-x
					}
					continue
				}
				for c, x := range bot {
					xr, xi := real(x), imag(x)
					t := complex(wr*xr-wi*xi, wr*xi+wi*xr)
					top[c], bot[c] = top[c]+t, top[c]-t
				}
			}
		}
	}
}

// transpose writes the transpose of the rows×cols array src into dst, in
// blocks.
func transpose(dst, src []complex128, rows, cols int) {
	const blk = 16
	for i0 := 0; i0 < rows; i0 += blk {
		for j0 := 0; j0 < cols; j0 += blk {
			for i := i0; i < min(i0+blk, rows); i++ {
				for j := j0; j < min(j0+blk, cols); j++ {
					dst[j*rows+i] = src[i*cols+j]
				}
			}
		}
	}
}

func (r *radix2) forward(sa, sb []complex128, a, b []float64) {
	H, W, wc := r.h, r.w, r.wc
	for p, v := range a {
		im := 0.0
		if b != nil {
			im = b[p]
		}
		r.z[p] = complex(v, im)
	}
	butterflies(r.z, H, W, r.twH, r.revH, false)
	transpose(r.t, r.z, H, W)
	butterflies(r.t, W, H, r.twW, r.revW, false) // r.t[v·H+u] = ẑ(u, v)
	for u := range H {
		nu := (H - u) % H
		for v := range wc {
			z := r.t[v*H+u]
			if b == nil {
				sa[u*wc+v] = z
				continue
			}
			c := r.t[((W-v)%W)*H+nu]
			c = complex(real(c), -imag(c)) // conj ẑ(−ω)
			sa[u*wc+v] = (z + c) / 2
			d := (z - c) / 2
			sb[u*wc+v] = complex(imag(d), -real(d)) // d/i
		}
	}
}

func (r *radix2) inverse(a, b []float64, sa, sb []complex128) {
	H, W, wc := r.h, r.w, r.wc
	for v := range W {
		conj := v >= wc // −ω is in the half plane
		for u := range H {
			i := u*wc + v
			if conj {
				i = ((H-u)%H)*wc + W - v
			}
			za := sa[i]
			var zb complex128
			if sb != nil {
				zb = sb[i]
			}
			if conj {
				za, zb = complex(real(za), -imag(za)), complex(real(zb), -imag(zb))
			}
			r.t[v*H+u] = za + complex(-imag(zb), real(zb)) // â + i·b̂
		}
	}
	butterflies(r.t, W, H, r.twW, r.revW, true)
	transpose(r.z, r.t, W, H)
	butterflies(r.z, H, W, r.twH, r.revH, true)
	for p, z := range r.z {
		a[p] = real(z)
		if b != nil {
			b[p] = imag(z)
		}
	}
}
