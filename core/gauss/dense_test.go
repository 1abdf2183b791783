package gauss

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/operator"
)

// The tests check the FFT code against dense float64 linear algebra on
// small shapes: Σ built entry by entry from the formula of the package
// doc, the posterior and the guidance by Cholesky factorisations.

// Named tolerances.
const (
	denseTol = 1e-10 // FFT closed forms against dense algebra (relative, norm-wise)
	fdTol    = 1e-7  // VJPs against central finite differences (relative, norm-wise)
)

// smallShapes are the shapes of the dense tests: colour, grey, odd and
// non-square sides.
var smallShapes = []img.Shape{{H: 4, W: 4, C: 3}, {H: 6, W: 5, C: 1}, {H: 3, W: 5, C: 3}}

func newPrior(t testing.TB, shape img.Shape, alpha float64) *Prior {
	t.Helper()
	p, err := New(Config{Shape: shape, Alpha: alpha})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// denseSpatial returns the spatial covariance S (H·W × H·W) from its
// definition: S[p, p'] = mean_ω P̃(ω)·cos(2π·(u·Δy/H + v·Δx/W)) over the
// full plane of frequencies, P̃ = P/mean P, P = (f² + f0²)^(−α/2).
func denseSpatial(shape img.Shape, alpha float64) *mat.Dense {
	H, W := shape.H, shape.W
	n := H * W
	f0 := 1 / float64(max(H, W))
	P := make([]float64, n)
	mean := 0.0
	for u := range H {
		for v := range W {
			fu := float64(min(u, H-u)) / float64(H)
			fv := float64(min(v, W-v)) / float64(W)
			P[u*W+v] = math.Pow(fu*fu+fv*fv+f0*f0, -alpha/2)
			mean += P[u*W+v] / float64(n)
		}
	}
	S := mat.NewDense(n, n, nil)
	for a := range n {
		for b := range n {
			dy, dx := a/W-b/W, a%W-b%W
			s := 0.0
			for u := range H {
				for v := range W {
					s += P[u*W+v] / mean * math.Cos(2*math.Pi*(float64(u*dy)/float64(H)+float64(v*dx)/float64(W)))
				}
			}
			S.Set(a, b, s/float64(n))
		}
	}
	return S
}

// denseSigma returns Σ = S ⊗ K, the index of pixel p, channel c being p·C + c.
func denseSigma(p *Prior) *mat.SymDense {
	shape := p.ImageShape()
	S := denseSpatial(shape, p.Config().Alpha)
	K := p.ColourCovariance()
	C, d := shape.C, shape.Len()
	sig := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			sig.SetSym(i, j, S.At(i/C, j/C)*K[(i%C)*C+j%C])
		}
	}
	return sig
}

// denseOp returns A as a dense m×d matrix, column j = A·e_j.
func denseOp(op operator.Linear) *mat.Dense {
	d, m := op.InShape().Len(), op.OutLen()
	A := mat.NewDense(m, d, nil)
	e, col := make([]float64, d), make([]float64, m)
	for j := range d {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		A.SetCol(j, col)
	}
	return A
}

// noised returns ᾱ·Σ + (1−ᾱ)·I.
func noised(sig mat.Symmetric, alphaBar float64) *mat.SymDense {
	d := sig.SymmetricDim()
	C := mat.NewSymDense(d, nil)
	C.ScaleSym(alphaBar, sig)
	for i := range d {
		C.SetSym(i, i, C.At(i, i)+1-alphaBar)
	}
	return C
}

// solveSym returns M⁻¹·B for symmetric positive-definite M by Cholesky.
func solveSym(t testing.TB, M mat.Symmetric, B mat.Matrix) *mat.Dense {
	t.Helper()
	var ch mat.Cholesky
	if !ch.Factorize(M) {
		t.Fatal("matrix not positive definite")
	}
	var X mat.Dense
	if err := ch.SolveTo(&X, B); err != nil {
		t.Fatal(err)
	}
	return &X
}

// denseGain returns J = sqrt(ᾱ)·Σ·(ᾱΣ + (1−ᾱ)I)⁻¹.
func denseGain(t testing.TB, sig *mat.SymDense, alphaBar float64) *mat.Dense {
	X := solveSym(t, noised(sig, alphaBar), sig) // C⁻¹·Σ = (Σ·C⁻¹)ᵀ
	var J mat.Dense
	J.CloneFrom(X.T())
	J.Scale(math.Sqrt(alphaBar), &J)
	return &J
}

// mulVec returns M·x.
func mulVec(M mat.Matrix, x []float64) []float64 {
	r, _ := M.Dims()
	out := mat.NewVecDense(r, nil)
	out.MulVec(M, mat.NewVecDense(len(x), x))
	return out.RawVector().Data
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

// relErr returns ‖got − want‖/‖want‖ (‖got − want‖ when want = 0).
func relErr(got, want []float64) float64 {
	num, den := 0.0, 0.0
	for i := range want {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

func add(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func sub(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func scaled(s float64, a []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = s * a[i]
	}
	return out
}

// denseS returns A·V·Aᵀ + σ²·I, symmetrised.
func denseS(A *mat.Dense, V mat.Matrix, sigma float64) *mat.SymDense {
	m, _ := A.Dims()
	var AV, AVA mat.Dense
	AV.Mul(A, V)
	AVA.Mul(&AV, A.T())
	S := mat.NewSymDense(m, nil)
	for i := range m {
		for j := i; j < m; j++ {
			S.SetSym(i, j, (AVA.At(i, j)+AVA.At(j, i))/2)
		}
		S.SetSym(i, i, S.At(i, i)+sigma*sigma)
	}
	return S
}

// denseCondCov returns V_ᾱ = Cov[x0|x_t] = (1−ᾱ)·Σ·(ᾱΣ + (1−ᾱ)I)⁻¹,
// symmetrised (V_0 = Σ).
func denseCondCov(t testing.TB, sig *mat.SymDense, alphaBar float64) *mat.SymDense {
	X := solveSym(t, noised(sig, alphaBar), sig) // C⁻¹·Σ
	d := sig.SymmetricDim()
	V := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			V.SetSym(i, j, (1-alphaBar)*(X.At(i, j)+X.At(j, i))/2)
		}
	}
	return V
}
