package operator

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
)

// TestVJPFiniteDifference checks J_A(x)ᵀ·v against central finite
// differences of φ(x) = vᵀA(x) along every coordinate:
//
//	(J_Aᵀ·v)_i ≈ (φ(x + h·e_i) − φ(x − h·e_i))/(2h).
func TestVJPFiniteDifference(t *testing.T) {
	const h = 1e-5
	for _, c := range testCases() {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c)
			rng := rand.New(rand.NewPCG(1, 2))
			n, m := op.InShape().Len(), op.OutLen()
			x := testPoint(t, op, rng)
			v := randVec(rng, m)
			x0, v0 := clone(x), clone(v)

			got := op.VJP(nanVec(n), x, v)
			if !same(x, x0) || !same(v, v0) {
				t.Fatal("VJP modified its inputs")
			}
			if !allFinite(got) {
				t.Fatal("VJP left non-finite entries in dst")
			}

			y := make([]float64, m)
			phi := func(z []float64) float64 { return dot(v, op.Apply(y, z)) }
			fd := make([]float64, n)
			xp := clone(x)
			for i := range xp {
				xp[i] = x[i] + h
				f1 := phi(xp)
				xp[i] = x[i] - h
				f0 := phi(xp)
				xp[i] = x[i]
				fd[i] = (f1 - f0) / (2 * h)
			}
			if e := relErr(got, fd); e > fdTol {
				t.Errorf("relative error of VJP against finite differences %.3g > %g", e, fdTol)
			}
			if _, ok := op.(*quantize); ok {
				for i, g := range got {
					if g != 0 || fd[i] != 0 {
						t.Fatalf("quantize: VJP[%d] = %v, finite difference %v; want both 0", i, g, fd[i])
					}
				}
			} else if norm(got) == 0 {
				t.Error("VJP is identically zero")
			}
		})
	}
}

// TestDirectionalDerivative checks vᵀ·J_A(x)·e = ⟨J_Aᵀ·v, e⟩ in random
// directions e, for operators whose full finite-difference test would be
// redundant: it catches errors that cancel coordinate-wise.
func TestDirectionalDerivative(t *testing.T) {
	const h = 1e-5
	for _, c := range testCases() {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c)
			rng := rand.New(rand.NewPCG(3, 4))
			n, m := op.InShape().Len(), op.OutLen()
			x := testPoint(t, op, rng)
			v := randVec(rng, m)
			g := op.VJP(make([]float64, n), x, v)
			y := make([]float64, m)
			const k = 8
			got, want := make([]float64, k), make([]float64, k)
			xp := make([]float64, n)
			for j := range k {
				e := randVec(rng, n)
				scale := 1.0
				if _, ok := op.(*quantize); ok {
					scale = 1e-3 // stay inside the level's flat region
				}
				for i := range xp {
					xp[i] = x[i] + h*scale*e[i]
				}
				f1 := dot(v, op.Apply(y, xp))
				for i := range xp {
					xp[i] = x[i] - h*scale*e[i]
				}
				f0 := dot(v, op.Apply(y, xp))
				want[j] = (f1 - f0) / (2 * h * scale)
				got[j] = dot(g, e)
			}
			if e := relErr(got, want); e > fdTol {
				t.Errorf("directional derivatives: relative error %.3g > %g\n got %v\nwant %v", e, fdTol, got, want)
			}
		})
	}
}

func linearCases(t *testing.T) []testCase {
	var cs []testCase
	for _, c := range testCases() {
		op := mustParse(t, c)
		_, isLin := op.(Linear)
		if isLin != op.Linear() {
			t.Fatalf("%v: Linear() = %v but implements Linear = %v", c, op.Linear(), isLin)
		}
		if isLin {
			cs = append(cs, c)
		}
	}
	return cs
}

func TestAdjoint(t *testing.T) {
	for _, c := range linearCases(t) {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c).(Linear)
			rng := rand.New(rand.NewPCG(5, 6))
			n, m := op.InShape().Len(), op.OutLen()
			for range 5 {
				x, v := randVec(rng, n), randVec(rng, m)
				x0, v0 := clone(x), clone(v)
				ax := op.Apply(nanVec(m), x)
				atv := op.Adjoint(nanVec(n), v)
				if !same(x, x0) || !same(v, v0) {
					t.Fatal("Apply or Adjoint modified its inputs")
				}
				if !allFinite(ax) || !allFinite(atv) {
					t.Fatal("Apply or Adjoint left NaN in dst")
				}
				lhs, rhs := dot(ax, v), dot(x, atv)
				if e := math.Abs(lhs-rhs) / (norm(ax)*norm(v) + norm(x)*norm(atv)); e > adjointTol {
					t.Errorf("⟨Ax, v⟩ = %v, ⟨x, Aᵀv⟩ = %v (rel err %.3g)", lhs, rhs, e)
				}
				vjp := op.VJP(nanVec(n), randVec(rng, n), v)
				if relErr(vjp, atv) > 1e-15 {
					t.Error("VJP differs from Adjoint for a linear operator")
				}
			}
		})
	}
}

func TestLinearity(t *testing.T) {
	for _, c := range linearCases(t) {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c)
			rng := rand.New(rand.NewPCG(7, 8))
			n, m := op.InShape().Len(), op.OutLen()
			x, z := randVec(rng, n), randVec(rng, n)
			alpha, beta := 0.7, -1.3
			comb := make([]float64, n)
			for i := range comb {
				comb[i] = alpha*x[i] + beta*z[i]
			}
			got := op.Apply(make([]float64, m), comb)
			ax := op.Apply(make([]float64, m), x)
			az := op.Apply(make([]float64, m), z)
			want := make([]float64, m)
			for i := range want {
				want[i] = alpha*ax[i] + beta*az[i]
			}
			if e := relErr(got, want); e > 1e-13 {
				t.Errorf("A(αx+βz) ≠ αAx+βAz: rel err %.3g", e)
			}
		})
	}
}

// denseMatrix builds A column by column from Apply.
func denseMatrix(op Operator) *mat.Dense {
	n, m := op.InShape().Len(), op.OutLen()
	a := mat.NewDense(m, n, nil)
	e := make([]float64, n)
	col := make([]float64, m)
	for j := range n {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		a.SetCol(j, col)
	}
	return a
}

// denseSolve solves (r2·A·Aᵀ + sigma2·I)·u = b densely by Cholesky.
func denseSolve(t *testing.T, a *mat.Dense, b []float64, r2, sigma2 float64) []float64 {
	t.Helper()
	m, _ := a.Dims()
	var aat mat.SymDense
	aat.SymOuterK(r2, a)
	for i := range m {
		aat.SetSym(i, i, aat.At(i, i)+sigma2)
	}
	var ch mat.Cholesky
	if !ch.Factorize(&aat) {
		t.Fatalf("dense system not positive definite (r2=%v, sigma2=%v)", r2, sigma2)
	}
	u := mat.NewVecDense(m, nil)
	if err := ch.SolveVecTo(u, mat.NewVecDense(m, clone(b))); err != nil {
		t.Fatalf("dense solve: %v", err)
	}
	return u.RawVector().Data
}

type solveParams struct{ r2, sigma2 float64 }

func solveParamsFor(op Operator) []solveParams {
	ps := []solveParams{{1, 0.0025}, {0.3, 1}, {2.5, 0.05}, {0, 0.7}}
	if _, ok := op.(*blur); !ok {
		// A·Aᵀ is well-conditioned: σ² = 0 is a fair dense comparison.
		ps = append(ps, solveParams{1, 0}, solveParams{0.04, 0})
	}
	return ps
}

func TestSolveDense(t *testing.T) {
	for _, c := range linearCases(t) {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c).(Linear)
			a := denseMatrix(op)
			rng := rand.New(rand.NewPCG(9, 10))
			m := op.OutLen()
			for _, p := range solveParamsFor(op) {
				b := randVec(rng, m)
				b0 := clone(b)
				got := op.Solve(nanVec(m), b, p.r2, p.sigma2)
				if !same(b, b0) {
					t.Fatal("Solve modified b")
				}
				want := denseSolve(t, a, b, p.r2, p.sigma2)
				if e := relErr(got, want); e > solveTol {
					t.Errorf("r2=%v sigma2=%v: relative error against dense solve %.3g > %g", p.r2, p.sigma2, e, solveTol)
				}
			}
		})
	}
}

// TestSolveInPlace checks Solve works with dst and b the same slice, which
// guidance code may do.
func TestSolveInPlace(t *testing.T) {
	var ops []Linear
	for _, c := range linearCases(t) {
		op := mustParse(t, c).(Linear)
		ops = append(ops, op, WithCG(op, 1e-13, 0))
	}
	for _, op := range ops {
		c := op.Name() + "@" + op.InShape().String()
		rng := rand.New(rand.NewPCG(11, 12))
		b := randVec(rng, op.OutLen())
		want := op.Solve(make([]float64, len(b)), b, 1, 0.01)
		got := op.Solve(b, b, 1, 0.01)
		if relErr(got, want) > 1e-15 {
			t.Errorf("%s: in-place Solve differs", c)
		}
	}
}

func TestDisplayShapes(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c)
			rng := rand.New(rand.NewPCG(13, 14))
			x := randVec(rng, op.InShape().Len())
			y := op.Apply(make([]float64, op.OutLen()), x)
			y0 := clone(y)
			im := op.Display(y)
			if !same(y, y0) {
				t.Fatal("Display modified y")
			}
			if im.Shape.Len() != len(im.Pix) {
				t.Fatalf("Display: shape %v but %d pixels", im.Shape, len(im.Pix))
			}
			s := c.shape
			var want img.Shape
			switch op.(type) {
			case *pool:
				f := op.(*pool).f
				want = img.Shape{H: s.H / f, W: s.W / f, C: s.C}
			case *phase:
				p := op.(*phase).pad
				want = img.Shape{H: p * s.H, W: p * s.W, C: s.C}
			case *svd:
				want = img.Shape{H: 1, W: op.OutLen(), C: 1}
			default:
				want = s
			}
			if im.Shape != want {
				t.Errorf("Display shape %v, want %v", im.Shape, want)
			}
			nan := 0
			for _, v := range im.Pix {
				if math.IsNaN(v) {
					nan++
				} else if v < -1-1e-12 || v > 1+1e-12 {
					if _, ok := op.(*blur); !ok { // a blur of [−1,1] data stays in [−1,1] too
						t.Fatalf("Display value %v outside [−1, 1]", v)
					}
				}
			}
			if mk, ok := op.(Masker); ok {
				if want := op.InShape().Len() - op.OutLen(); nan != want {
					t.Errorf("Display has %d NaN entries, want %d missing", nan, want)
				}
				for i, v := range im.Pix {
					if (mk.Mask()[i] == 1) != !math.IsNaN(v) || (mk.Mask()[i] == 1 && v != x[i]) {
						t.Fatalf("Display entry %d = %v disagrees with mask %v / x %v", i, v, mk.Mask()[i], x[i])
					}
				}
			} else if nan != 0 {
				t.Errorf("Display has %d NaN entries", nan)
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c)
			rng := rand.New(rand.NewPCG(15, 16))
			n, m := op.InShape().Len(), op.OutLen()
			x, v := randVec(rng, n), randVec(rng, m)
			dx, dy := make([]float64, n), make([]float64, m)
			check := func(what string, f func()) {
				if a := testing.AllocsPerRun(10, f); a != 0 {
					t.Errorf("%s allocates %v times", what, a)
				}
			}
			check("Apply", func() { op.Apply(dy, x) })
			check("VJP", func() { op.VJP(dx, x, v) })
			if lin, ok := op.(Linear); ok {
				check("Adjoint", func() { lin.Adjoint(dx, v) })
				check("Solve", func() { lin.Solve(dy, v, 0.9, 0.0025) })
			}
			if pi, ok := op.(PseudoInverter); ok {
				check("PseudoInverse", func() { pi.PseudoInverse(dx, v) })
			}
		})
	}
}

func TestLengthPanics(t *testing.T) {
	for _, c := range testCases() {
		op := mustParse(t, c)
		n, m := op.InShape().Len(), op.OutLen()
		mustPanic := func(what string, f func()) {
			t.Helper()
			defer func() {
				if recover() == nil {
					t.Errorf("%v: %s with a wrong length did not panic", c, what)
				}
			}()
			f()
		}
		mustPanic("Apply dst", func() { op.Apply(make([]float64, m+1), make([]float64, n)) })
		mustPanic("Apply x", func() { op.Apply(make([]float64, m), make([]float64, n-1)) })
		mustPanic("VJP v", func() { op.VJP(make([]float64, n), make([]float64, n), make([]float64, m+1)) })
		mustPanic("VJP x", func() { op.VJP(make([]float64, n), make([]float64, n+1), make([]float64, m)) })
		mustPanic("VJP dst", func() { op.VJP(make([]float64, n+1), make([]float64, n), make([]float64, m)) })
		if lin, ok := op.(Linear); ok {
			mustPanic("Adjoint", func() { lin.Adjoint(make([]float64, n), make([]float64, m+1)) })
			mustPanic("Solve", func() { lin.Solve(make([]float64, m), make([]float64, m+1), 1, 1) })
		}
	}
}

// TestClone runs clones on separate goroutines (meaningful under -race) and
// compares with the original's results.
func TestClone(t *testing.T) {
	for _, c := range testCases() {
		op := mustParse(t, c)
		rng := rand.New(rand.NewPCG(17, 18))
		n, m := op.InShape().Len(), op.OutLen()
		x := testPoint(t, op, rng)
		v := randVec(rng, m)
		wantY := op.Apply(make([]float64, m), x)
		wantG := op.VJP(make([]float64, n), x, v)
		var wg sync.WaitGroup
		errs := make([]string, 4)
		for g := range 4 {
			cl := op.Clone()
			if cl.Name() != op.Name() {
				t.Fatalf("%v: clone named %q", c, cl.Name())
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				y, gr := make([]float64, m), make([]float64, n)
				for range 3 {
					cl.Apply(y, x)
					cl.VJP(gr, x, v)
					if lin, ok := cl.(Linear); ok {
						lin.Solve(y, v, 1, 0.1)
						cl.Apply(y, x)
					}
				}
				if !same(y, wantY) || !same(gr, wantG) {
					errs[g] = "clone results differ"
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Errorf("%v: %s", c, e)
			}
		}
	}
}
