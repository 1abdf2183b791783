package operator

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
)

// dense returns the n×n' matrix of a map R^{n'} → R^n, column by column.
func dense(n, in int, f func(dst, x []float64) []float64) *mat.Dense {
	M := mat.NewDense(n, in, nil)
	e, col := make([]float64, in), make([]float64, n)
	for j := 0; j < in; j++ {
		e[j] = 1
		f(col, e)
		e[j] = 0
		M.SetCol(j, col)
	}
	return M
}

// maxDiff is max |A − B|.
func maxDiff(A, B mat.Matrix) float64 {
	r, c := A.Dims()
	m := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m = math.Max(m, math.Abs(A.At(i, j)-B.At(i, j)))
		}
	}
	return m
}

func isIdentity(t *testing.T, what string, M mat.Matrix) {
	t.Helper()
	n, _ := M.Dims()
	I := mat.NewDiagDense(n, nil)
	for i := 0; i < n; i++ {
		I.SetDiag(i, 1)
	}
	if e := maxDiff(M, I); e > 1e-12 {
		t.Errorf("%s is not I: max error %.2e", what, e)
	}
}

// TestSpectralDecomposition checks, densely on small shapes, that U and V
// are orthogonal, that VT and UT are their transposes, and that
// A = U·[diag(s) 0]·Vᵀ is the operator's Apply (hence Aᵀ its Adjoint).
func TestSpectralDecomposition(t *testing.T) {
	cases := []testCase{
		{"identity", shape6}, {"inpaint-box:size=3", shape6}, {"inpaint-random:p=0.3,seed=7", shape5x7},
		{"inpaint-half", shape5x7}, {"sr:factor=2", shape6}, {"sr:factor=3", shape6}, {"sr:factor=1", shape5x7},
		{"sr:factor=2", img.Shape{H: 4, W: 6, C: 3}},
		{"blur-gauss:size=3,std=0.8", shape6}, {"blur-gauss:size=4,std=1", shape5x7},
		{"blur-motion:size=5,seed=3", img.Shape{H: 6, W: 5, C: 2}}, {"blur-gauss:size=9,std=2", img.Shape{H: 4, W: 4, C: 1}},
		{"svd:dy=1", shape6}, {"svd:dy=4,seed=2", shape6}, {"svd:dy=8", img.Shape{H: 1, W: 8, C: 1}},
	}
	for _, c := range cases {
		op, err := Parse(c.spec, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		sp, ok := op.(Spectral)
		if !ok {
			t.Errorf("%s: not Spectral", c.spec)
			continue
		}
		d, m := c.shape.Len(), op.OutLen()
		s := sp.Singulars()
		if len(s) != m {
			t.Fatalf("%s: %d singular values, m = %d", c.spec, len(s), m)
		}
		V := dense(d, d, sp.V)
		VT := dense(d, d, sp.VT)
		U := dense(m, m, sp.U)
		UT := dense(m, m, sp.UT)
		var vtv, uut mat.Dense
		vtv.Mul(V.T(), V)
		isIdentity(t, c.spec+" VᵀV", &vtv)
		uut.Mul(U, U.T())
		isIdentity(t, c.spec+" UUᵀ", &uut)
		if e := maxDiff(VT, V.T()); e > 1e-12 {
			t.Errorf("%s: VT is not Vᵀ: %.2e", c.spec, e)
		}
		if e := maxDiff(UT, U.T()); e > 1e-12 {
			t.Errorf("%s: UT is not Uᵀ: %.2e", c.spec, e)
		}
		S := mat.NewDense(m, d, nil)
		for i, v := range s {
			if !(v >= 0) {
				t.Errorf("%s: singular value %v", c.spec, v)
			}
			S.Set(i, i, v)
		}
		var usvt, us mat.Dense
		us.Mul(U, S)
		usvt.Mul(&us, V.T())
		A := dense(m, d, op.Apply)
		if e := maxDiff(&usvt, A); e > 1e-12 {
			t.Errorf("%s: U·S·Vᵀ differs from A by %.2e", c.spec, e)
		}
		// A clone has the same decomposition.
		cl := op.Clone().(Spectral)
		if e := maxDiff(dense(d, d, cl.V), V); e > 0 {
			t.Errorf("%s: clone's V differs by %.2e", c.spec, e)
		}
	}
}

// TestSpectralCoverage: every linear operator is Spectral, no nonlinear one is.
func TestSpectralCoverage(t *testing.T) {
	for _, c := range testCases() {
		op, err := Parse(c.spec, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		_, sp := op.(Spectral)
		if sp != op.Linear() {
			t.Errorf("%s: linear %v, spectral %v", c.spec, op.Linear(), sp)
		}
	}
}

// TestBlurSingularsAreKernelSpectrum: the blur's singular values are |k̂|,
// so the largest is 1 (the kernel sums to 1, at the zero frequency).
func TestBlurSingularsAreKernelSpectrum(t *testing.T) {
	op, _ := Parse("blur-gauss:size=5,std=1", img.Shape{H: 8, W: 8, C: 2})
	s := op.(Spectral).Singulars()
	if math.Abs(s[0]-1) > 1e-12 || math.Abs(s[1]-1) > 1e-12 {
		t.Errorf("zero-frequency singular values %v, %v", s[0], s[1])
	}
	for _, v := range s {
		if v > 1+1e-12 {
			t.Errorf("singular value %v > 1", v)
		}
	}
}

// TestSpectralNoAllocs: applying U, Uᵀ, V and Vᵀ allocates nothing.
func TestSpectralNoAllocs(t *testing.T) {
	for _, spec := range []string{"identity", "inpaint-box:size=3", "sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=4"} {
		op, _ := Parse(spec, shape6)
		sp := op.(Spectral)
		d, m := shape6.Len(), op.OutLen()
		x, c, y, u := make([]float64, d), make([]float64, d), make([]float64, m), make([]float64, m)
		if n := testing.AllocsPerRun(10, func() {
			sp.VT(c, x)
			sp.V(x, c)
			sp.UT(u, y)
			sp.U(y, u)
		}); n != 0 {
			t.Errorf("%s: %v allocations", spec, n)
		}
	}
}
