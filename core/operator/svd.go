package operator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/internal/vec"
)

// svd is a dense random measurement y = A·x with A ∈ R^{dy×d} built as in
// the published Gaussian-mixture benchmarks (MCGdiff, TMPD): draw a
// Gaussian matrix, take its SVD G = U·S·Vᵀ, and replace the singular values
// by dy draws from U(0, 1) sorted in decreasing order:
//
//	A = U·diag(s)·V_{:dy}ᵀ,   s_1 ≥ … ≥ s_dy,  s_i ~ U(0, 1).
//
// Then A·Aᵀ = U·diag(s²)·Uᵀ, so the ΠG system is solved exactly:
//
//	(r²·A·Aᵀ + σ²·I)⁻¹·b = U·diag(1/(r²·s_i² + σ²))·Uᵀ·b.
type svd struct {
	shape img.Shape
	dy    int
	seed  uint64
	a     []float64 // dy×d row-major
	u     []float64 // dy×dy row-major, columns the left singular vectors
	s2    []float64 // s_i²
	tmp   []float64 // length dy
	// The spectral basis (see Spectral): s, and V = Q·D with Q = H_0⋯H_{dy−1}
	// the Householder reflectors of the QR factorisation of V_{:dy} (d×dy,
	// row-major, as LAPACK's geqrf leaves it, with tau) and D = diag(sign R_ii, 1, …, 1),
	// so that V's first dy columns are V_{:dy} and the rest span its
	// orthogonal complement, the null space of A.
	sv, qr, tau, sign []float64
	work              []float64
}

func newSVD(shape img.Shape, dy int, seed uint64) (*svd, error) {
	d := shape.Len()
	if dy < 1 || dy > d {
		return nil, fmt.Errorf("dy=%d: want 1 to d = %d", dy, d)
	}
	if dy > maxSVDLen/d || dy > maxSVDWork/d/dy {
		return nil, fmt.Errorf("dy=%d: building the %d×%d matrix A is beyond the limits (dy·d ≤ %d, dy²·d ≤ %d)", dy, dy, d, maxSVDLen, maxSVDWork)
	}
	rng := rand.New(rand.NewPCG(seed, 0x737664))
	g := mat.NewDense(dy, d, nil)
	for i := 0; i < dy; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var f mat.SVD
	if !f.Factorize(g, mat.SVDThin) {
		return nil, fmt.Errorf("SVD of the random %d×%d matrix failed", dy, d)
	}
	var U, V mat.Dense
	f.UTo(&U)
	f.VTo(&V)
	s := make([]float64, dy)
	for i := range s {
		s[i] = rng.Float64()
	}
	slices.SortFunc(s, func(a, b float64) int { return -cmpFloat(a, b) })
	op := &svd{shape: shape, dy: dy, seed: seed, a: make([]float64, dy*d),
		u: make([]float64, dy*dy), s2: make([]float64, dy), tmp: make([]float64, dy),
		sv: s, qr: make([]float64, d*dy), tau: make([]float64, dy), sign: make([]float64, dy)}
	for j := 0; j < d; j++ {
		for k := 0; k < dy; k++ {
			op.qr[j*dy+k] = V.At(j, k)
		}
	}
	qr := blas64.General{Rows: d, Cols: dy, Stride: dy, Data: op.qr}
	work := make([]float64, 1)
	lapack64.Geqrf(qr, op.tau, work, -1)
	work = make([]float64, max(d, int(work[0])))
	lapack64.Geqrf(qr, op.tau, work, len(work))
	for k := range op.sign { // R = Qᵀ·V_{:dy} is diagonal ±1: V_{:dy} has orthonormal columns
		op.sign[k] = 1
		if op.qr[k*dy+k] < 0 {
			op.sign[k] = -1
		}
	}
	op.work = make([]float64, svdWork)
	for i := 0; i < dy; i++ {
		op.s2[i] = s[i] * s[i]
		for j := 0; j < dy; j++ {
			op.u[i*dy+j] = U.At(i, j)
		}
	}
	// A = U·diag(s)·Vᵀ, V is d×dy.
	for i := 0; i < dy; i++ {
		row := op.a[i*d : (i+1)*d]
		for k := 0; k < dy; k++ {
			c := U.At(i, k) * s[k]
			for j := 0; j < d; j++ {
				row[j] += c * V.At(j, k)
			}
		}
	}
	for _, v := range op.a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("dy=%d, seed=%d: the matrix A is not finite", dy, seed)
		}
	}
	return op, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (a *svd) Name() string {
	return "svd:dy=" + strconv.Itoa(a.dy) + ",seed=" + strconv.FormatUint(a.seed, 10)
}
func (a *svd) InShape() img.Shape { return a.shape }
func (a *svd) OutLen() int        { return a.dy }
func (a *svd) Linear() bool       { return true }

// Clone returns a copy with its own scratch; the matrices are shared (read
// only) but for the reflectors qr, which LAPACK's Dorm2r overwrites and
// restores while it applies them (shared, clones on two goroutines race).
func (a *svd) Clone() Operator {
	c := *a
	c.qr = append([]float64(nil), a.qr...)
	c.tmp = make([]float64, a.dy)
	c.work = make([]float64, svdWork)
	return &c
}

// Apply writes A·x into dst. It panics if lengths differ.
func (a *svd) Apply(dst, x []float64) []float64 {
	d := a.shape.Len()
	mustLen("svd.Apply", "x", x, d)
	mustLen("svd.Apply", "dst", dst, a.dy)
	for i := range dst {
		dst[i] = vec.Dot(a.a[i*d:(i+1)*d], x)
	}
	return dst
}

// VJP writes Aᵀ·v into dst. It panics if lengths differ.
func (a *svd) VJP(dst, x, v []float64) []float64 {
	mustLen("svd.VJP", "x", x, a.shape.Len())
	return a.Adjoint(dst, v)
}

// Adjoint writes Aᵀ·v into dst. It panics if lengths differ.
func (a *svd) Adjoint(dst, v []float64) []float64 {
	d := a.shape.Len()
	mustLen("svd.Adjoint", "v", v, a.dy)
	mustLen("svd.Adjoint", "dst", dst, d)
	clear(dst)
	for i, vi := range v {
		vec.AddScaled(dst, vi, a.a[i*d:(i+1)*d])
	}
	return dst
}

// Solve writes U·diag(1/(r2·s_i² + sigma2))·Uᵀ·b into dst; dst and b may be
// the same slice. It panics if lengths differ.
func (a *svd) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	mustLen("svd.Solve", "b", b, a.dy)
	mustLen("svd.Solve", "dst", dst, a.dy)
	n := a.dy
	for k := 0; k < n; k++ { // tmp = diag(…)·Uᵀ·b
		s := 0.0
		for i := 0; i < n; i++ {
			s += a.u[i*n+k] * b[i]
		}
		a.tmp[k] = s / (r2*a.s2[k] + sigma2)
	}
	for i := 0; i < n; i++ {
		s := 0.0
		for k := 0; k < n; k++ {
			s += a.u[i*n+k] * a.tmp[k]
		}
		dst[i] = s
	}
	return dst
}

// Display returns y as a 1×dy image.
func (a *svd) Display(y []float64) img.Image {
	mustLen("svd.Display", "y", y, a.dy)
	im := newImage(img.Shape{H: 1, W: a.dy, C: 1})
	copy(im.Pix, y)
	return im
}

// svdWork is the length of the scratch of applying the reflectors to one vector.
const svdWork = 64

// Singulars returns s_1 ≥ … ≥ s_dy.
func (a *svd) Singulars() []float64 { return a.sv }

// reflect writes Q·x (or Qᵀ·x) into dst, which may be x.
func (a *svd) reflect(dst, x []float64, trans blas.Transpose) {
	d := a.shape.Len()
	if &dst[0] != &x[0] {
		copy(dst, x)
	}
	qr := blas64.General{Rows: d, Cols: a.dy, Stride: a.dy, Data: a.qr}
	lapack64.Ormqr(blas.Left, trans, qr, a.tau, blas64.General{Rows: d, Cols: 1, Stride: 1, Data: dst}, a.work, len(a.work))
}

// VT writes D·Qᵀ·x into dst. It panics if lengths differ.
func (a *svd) VT(dst, x []float64) []float64 {
	mustLen("svd.VT", "x", x, a.shape.Len())
	mustLen("svd.VT", "dst", dst, a.shape.Len())
	a.reflect(dst, x, blas.Trans)
	for k, s := range a.sign {
		dst[k] *= s
	}
	return dst
}

// V writes Q·D·c into dst. It panics if lengths differ.
func (a *svd) V(dst, c []float64) []float64 {
	mustLen("svd.V", "c", c, a.shape.Len())
	mustLen("svd.V", "dst", dst, a.shape.Len())
	copy(dst, c)
	for k, s := range a.sign {
		dst[k] *= s
	}
	a.reflect(dst, dst, blas.NoTrans)
	return dst
}

// UT writes Uᵀ·y into dst. It panics if lengths differ.
func (a *svd) UT(dst, y []float64) []float64 {
	mustLen("svd.UT", "y", y, a.dy)
	mustLen("svd.UT", "dst", dst, a.dy)
	n := a.dy
	for k := 0; k < n; k++ {
		s := 0.0
		for i := 0; i < n; i++ {
			s += a.u[i*n+k] * y[i]
		}
		a.tmp[k] = s
	}
	copy(dst, a.tmp)
	return dst
}

// U writes U·c into dst. It panics if lengths differ.
func (a *svd) U(dst, c []float64) []float64 {
	mustLen("svd.U", "c", c, a.dy)
	mustLen("svd.U", "dst", dst, a.dy)
	n := a.dy
	copy(a.tmp, c)
	for i := 0; i < n; i++ {
		s := 0.0
		for k := 0; k < n; k++ {
			s += a.u[i*n+k] * a.tmp[k]
		}
		dst[i] = s
	}
	return dst
}
