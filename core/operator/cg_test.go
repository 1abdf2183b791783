package operator

import (
	"math/rand/v2"
	"testing"
)

func TestCG(t *testing.T) {
	cases := []testCase{
		{"blur-gauss", shape28},
		{"blur-motion", shape28},
		{"blur-motion:size=4,seed=5", shape5x7},
		{"sr:factor=2", shape8x3},
		{"inpaint-random", shape6},
		{"identity", shape6},
	}
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			op := mustParse(t, c).(Linear)
			cg := NewCG(op, 1e-13, 0)
			a := denseMatrix(op)
			rng := rand.New(rand.NewPCG(21, 22))
			m := op.OutLen()
			for _, p := range []solveParams{{1, 0.0025}, {0.3, 1}, {0, 0.5}} {
				b := randVec(rng, m)
				b0 := clone(b)
				got := cg.Solve(nanVec(m), b, p.r2, p.sigma2)
				if !same(b, b0) {
					t.Fatal("CG modified b")
				}
				if !cg.Converged() {
					t.Errorf("r2=%v sigma2=%v: not converged after %d iterations (residual %.3g)",
						p.r2, p.sigma2, cg.Iterations(), cg.Residual())
				}
				if e := relErr(got, denseSolve(t, a, b, p.r2, p.sigma2)); e > cgTol {
					t.Errorf("r2=%v sigma2=%v: CG vs dense rel err %.3g > %g", p.r2, p.sigma2, e, cgTol)
				}
				if e := relErr(got, op.Solve(make([]float64, m), b, p.r2, p.sigma2)); e > cgTol {
					t.Errorf("r2=%v sigma2=%v: CG vs closed-form/FFT Solve rel err %.3g > %g", p.r2, p.sigma2, e, cgTol)
				}
			}
		})
	}
}

func TestCGZeroRHSAndMaxIter(t *testing.T) {
	op := mustParse(t, testCase{"blur-gauss", shape28}).(Linear)
	cg := NewCG(op, 0, 0)
	if cg.Tol != DefaultCGTol || cg.MaxIter != 2*op.OutLen() {
		t.Errorf("defaults: Tol=%v MaxIter=%d", cg.Tol, cg.MaxIter)
	}
	u := cg.Solve(nanVec(op.OutLen()), make([]float64, op.OutLen()), 1, 0.1)
	for _, v := range u {
		if v != 0 {
			t.Fatal("Solve of b = 0 is not 0")
		}
	}
	cg.MaxIter = 2
	b := randVec(rand.New(rand.NewPCG(1, 1)), op.OutLen())
	cg.Solve(u, b, 1, 1e-4)
	if cg.Iterations() != 2 || cg.Converged() {
		t.Errorf("MaxIter=2: %d iterations, converged=%v", cg.Iterations(), cg.Converged())
	}
}

func TestWithCG(t *testing.T) {
	op := mustParse(t, testCase{"blur-motion", shape28}).(Linear)
	w := WithCG(op, 1e-13, 0)
	if w.Name() != op.Name() || !w.Linear() || w.OutLen() != op.OutLen() {
		t.Fatal("WithCG changed the operator's identity")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	b := randVec(rng, op.OutLen())
	want := op.Solve(make([]float64, len(b)), b, 1, 0.0025)
	for _, a := range []Linear{w, w.Clone().(Linear)} {
		if e := relErr(a.Solve(nanVec(len(b)), b, 1, 0.0025), want); e > cgTol {
			t.Errorf("WithCG Solve vs FFT rel err %.3g", e)
		}
	}
	x := randVec(rng, op.InShape().Len())
	if a := testing.AllocsPerRun(5, func() { w.Solve(b, b, 1, 0.0025) }); a != 0 {
		t.Errorf("WithCG Solve allocates %v times", a)
	}
	if !same(w.Apply(make([]float64, len(b)), x), op.Apply(make([]float64, len(b)), x)) {
		t.Error("WithCG Apply differs")
	}
}
