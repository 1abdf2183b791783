package operator

import (
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
)

func TestKernels(t *testing.T) {
	for _, spec := range []string{"blur-gauss", "blur-gauss:size=4,std=0.7", "blur-motion",
		"blur-motion:size=9,seed=3", "blur-motion:size=1,seed=3", "blur-gauss:size=1,std=1"} {
		k := mustParse(t, testCase{spec, shape28}).(Kerneler).Kernel()
		if k.Shape.H != k.Shape.W || k.Shape.C != 1 || len(k.Pix) != k.Shape.Len() {
			t.Fatalf("%s: kernel shape %v", spec, k.Shape)
		}
		sum := 0.0
		for _, v := range k.Pix {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("%s: kernel entry %v", spec, v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-14 {
			t.Errorf("%s: kernel sums to %v", spec, sum)
		}
	}
	g := mustParse(t, testCase{"blur-gauss", shape28}).(Kerneler).Kernel()
	// Symmetric, peaked at the centre, ratio of neighbours exp(−1/(2·1.5²)).
	if g.Pix[3*7+3] != slicesMax(g.Pix) || math.Abs(g.Pix[3*7+4]/g.Pix[3*7+3]-math.Exp(-1/4.5)) > 1e-14 {
		t.Error("Gaussian kernel not centred or wrong width")
	}
	for i := range 7 {
		for j := range 7 {
			if math.Abs(g.Pix[i*7+j]-g.Pix[j*7+i]) > 1e-17 || math.Abs(g.Pix[i*7+j]-g.Pix[(6-i)*7+j]) > 1e-17 {
				t.Fatal("Gaussian kernel not symmetric")
			}
		}
	}
}

func slicesMax(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func TestMotionKernelDeterministic(t *testing.T) {
	k := func(spec string) []float64 {
		return mustParse(t, testCase{spec, shape28}).(Kerneler).Kernel().Pix
	}
	a := k("blur-motion:size=7,seed=1")
	if !same(a, k("blur-motion:size=7,seed=1")) {
		t.Error("same seed gives different kernels")
	}
	if same(a, k("blur-motion:size=7,seed=2")) {
		t.Error("different seeds give the same kernel")
	}
	// Not a blob: a motion kernel leaves most cells empty.
	zero := 0
	for _, v := range a {
		if v < 1e-3 {
			zero++
		}
	}
	if zero < 49/2 {
		t.Errorf("motion kernel has only %d near-empty cells of 49", zero)
	}
	// Pin the default kernel so a change of generator is noticed.
	for _, p := range []struct {
		i    int
		want float64
	}{{2*7 + 2, 0.15411745972926999}, {4*7 + 4, 0.15323110507421331}, {1*7 + 2, 0.11648400967335781}} {
		if math.Abs(a[p.i]-p.want) > 1e-12 {
			t.Errorf("default motion kernel entry %d = %.17g, want %.17g", p.i, a[p.i], p.want)
		}
	}
}

// TestBlurDefinition compares Apply with the documented formula evaluated
// directly, on a 5×7×2 image with a 4×4 kernel that wraps.
func TestBlurDefinition(t *testing.T) {
	for _, spec := range []string{"blur-motion:size=4,seed=5", "blur-gauss:size=9,std=2"} {
		op := mustParse(t, testCase{spec, shape5x7})
		k := op.(Kerneler).Kernel()
		size := k.Shape.H
		s := shape5x7
		x := randVec(rand.New(rand.NewPCG(41, 42)), s.Len())
		got := op.Apply(nanVec(s.Len()), x)
		want := make([]float64, s.Len())
		mod := func(a, n int) int { return ((a % n) + n) % n }
		for i := range s.H {
			for j := range s.W {
				for c := range s.C {
					for a := range size {
						for b := range size {
							want[s.Index(i, j, c)] += k.Pix[a*size+b] *
								x[s.Index(mod(i-a+size/2, s.H), mod(j-b+size/2, s.W), c)]
						}
					}
				}
			}
		}
		if e := relErr(got, want); e > 1e-14 {
			t.Errorf("%s: Apply differs from the direct formula, rel err %.3g", spec, e)
		}
	}
}

// TestBlurSolveSingular: at sigma2 = 0 a blur's A·Aᵀ may be singular. Solve
// must stay finite and solve the system on the range of A·Aᵀ.
func TestBlurSolveSingular(t *testing.T) {
	// A 2-tap horizontal average has k̂ = 0 at the Nyquist column of an even width.
	op := newBlur("test", img.Shape{H: 6, W: 8, C: 1}, 2, []float64{0.5, 0.5, 0, 0})
	var zeros int
	for _, k2 := range op.k2 {
		if k2 < 1e-20 {
			zeros++
		}
	}
	if zeros == 0 {
		t.Fatal("test kernel has no vanishing frequency")
	}
	for _, spec := range []Linear{op, mustParse(t, testCase{"blur-motion", shape28}).(Linear),
		mustParse(t, testCase{"blur-gauss", shape28}).(Linear)} {
		n := spec.OutLen()
		rng := rand.New(rand.NewPCG(43, 44))
		w := randVec(rng, n)
		// b = A·Aᵀ·w lies in the range of A·Aᵀ.
		b := spec.Apply(make([]float64, n), spec.Adjoint(make([]float64, n), w))
		bn := randVec(rng, n) // a generic b, with a component outside the range
		for _, r2 := range []float64{1, 0.3} {
			u := spec.Solve(nanVec(n), b, r2, 0)
			if !allFinite(u) {
				t.Fatalf("%s: Solve at sigma2 = 0 not finite", spec.Name())
			}
			res := spec.Apply(make([]float64, n), spec.Adjoint(make([]float64, n), u))
			for i := range res {
				res[i] *= r2
			}
			if e := relErr(res, b); e > 1e-6 {
				t.Errorf("%s r2=%v: ‖r2·AAᵀu − b‖/‖b‖ = %.3g", spec.Name(), r2, e)
			}
			if !allFinite(spec.Solve(nanVec(n), bn, r2, 0)) {
				t.Errorf("%s: Solve of a generic b at sigma2 = 0 not finite", spec.Name())
			}
		}
	}
	// The pseudo-inverse drops the null space: with b in the null space of A·Aᵀ, u = 0.
	null := make([]float64, 48)
	for i := range null {
		null[i] = float64(1 - 2*(i%2)) // alternating columns: the Nyquist pattern
	}
	if n := norm(op.Apply(make([]float64, 48), null)); n > 1e-14 {
		t.Fatalf("pattern not in the null space: ‖A·v‖ = %v", n)
	}
	if u := op.Solve(nanVec(48), null, 1, 0); norm(u) > 1e-12 {
		t.Errorf("Solve of a null-space b gives ‖u‖ = %v, want 0", norm(u))
	}
}
