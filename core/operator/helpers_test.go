package operator

import (
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
)

// Named tolerances.
const (
	fdTol      = 1e-6  // VJP against central finite differences (relative, norm-wise)
	adjointTol = 1e-12 // ⟨Ax, v⟩ = ⟨x, Aᵀv⟩ (relative)
	solveTol   = 1e-9  // Solve against a dense solve (relative, norm-wise)
	cgTol      = 1e-8  // CG against a dense or FFT solve (relative, norm-wise)
)

type testCase struct {
	spec  string
	shape img.Shape
}

var (
	shape28  = img.Shape{H: 28, W: 28, C: 1}
	shape6   = img.Shape{H: 6, W: 6, C: 1}
	shape8x3 = img.Shape{H: 8, W: 8, C: 3}
	shape5x7 = img.Shape{H: 5, W: 7, C: 2}
)

// testCases covers every default at 28×28×1 and non-default specs on small
// and non-square shapes.
func testCases() []testCase {
	var cs []testCase
	for _, s := range Defaults() {
		cs = append(cs, testCase{s, shape28})
	}
	for _, s := range []string{
		"identity", "inpaint-box:size=3", "inpaint-random:p=0.3,seed=7", "inpaint-half",
		"sr:factor=2", "sr:factor=3", "blur-gauss:size=3,std=0.8", "blur-gauss",
		"blur-motion:size=5,seed=3", "phase:pad=2", "phase:pad=1", "quantize:levels=5",
		"svd:dy=4,seed=2", "svd:dy=1",
	} {
		cs = append(cs, testCase{s, shape6})
	}
	for _, s := range []string{
		"identity", "inpaint-box:size=4", "inpaint-random:p=0.5,seed=2", "inpaint-half",
		"sr:factor=4", "blur-gauss:size=5,std=1", "blur-motion", "phase", "quantize:levels=2",
	} {
		cs = append(cs, testCase{s, shape8x3})
	}
	for _, s := range []string{
		"identity", "inpaint-box:size=3", "inpaint-random:p=0.25,seed=9", "inpaint-half",
		"sr:factor=1", "blur-gauss:size=4,std=1", "blur-motion:size=4,seed=5", "phase:pad=3",
		"quantize:levels=3",
	} {
		cs = append(cs, testCase{s, shape5x7})
	}
	return cs
}

func (c testCase) String() string { return c.spec + "@" + c.shape.String() }

func mustParse(t testing.TB, c testCase) Operator {
	t.Helper()
	op, err := Parse(c.spec, c.shape)
	if err != nil {
		t.Fatalf("Parse(%q, %v): %v", c.spec, c.shape, err)
	}
	return op
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*rng.Float64() - 1
	}
	return v
}

func nanVec(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

// relErr returns ‖got − want‖/‖want‖, or ‖got − want‖ when want = 0.
func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range got {
		e := got[i] - want[i]
		d += e * e
	}
	d = math.Sqrt(d)
	if n := norm(want); n > 0 {
		return d / n
	}
	return d
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func same(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// testPoint returns an x at which A is smooth with a well-conditioned
// finite difference: for quantize, within a quarter step of a level; for
// phase retrieval, with every |X_k| ≥ 0.05.
func testPoint(t *testing.T, op Operator, rng *rand.Rand) []float64 {
	t.Helper()
	n := op.InShape().Len()
	switch a := op.(type) {
	case *quantize:
		step := 2 / float64(a.levels-1)
		x := make([]float64, n)
		for i := range x {
			j := rng.IntN(a.levels)
			x[i] = -1 + float64(j)*step + (rng.Float64()-0.5)*0.5*step
		}
		return x
	case *phase:
		y := make([]float64, op.OutLen())
		for try := 0; try < 100; try++ {
			x := randVec(rng, n)
			op.Apply(y, x)
			lo := math.Inf(1)
			for _, v := range y {
				lo = math.Min(lo, v)
			}
			if lo >= 0.05 {
				return x
			}
		}
		t.Fatalf("%s: no point with all |X| ≥ 0.05", op.Name())
	}
	return randVec(rng, n)
}
