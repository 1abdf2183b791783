package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// exactDot is Σ x_i·y_i in exact big-float arithmetic, rounded once.
func exactDot(x, y []float64) float64 {
	s := new(big.Float).SetPrec(2000)
	for i := range x {
		p := new(big.Float).SetPrec(2000).SetFloat64(x[i])
		p.Mul(p, new(big.Float).SetPrec(2000).SetFloat64(y[i]))
		s.Add(s, p)
	}
	f, _ := s.Float64()
	return f
}

func TestDotAccurate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{0, 1, 3, 15, 16, 17, 31, 33, 784, 1000} {
		x, y := randVec(rng, n), randVec(rng, n)
		want := exactDot(x, y)
		scale := 0.0
		for i := range x {
			scale += math.Abs(x[i] * y[i])
		}
		if got := Dot(x, y); math.Abs(got-want) > 1e-15*float64(n+1)*scale+1e-300 {
			t.Errorf("n=%d: Dot = %v, exact %v", n, got, want)
		}
	}
}

// TestAsmMatchesGo: both paths give the same bits, so results do not depend
// on the machine's instruction set.
func TestAsmMatchesGo(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2+FMA here: only the Go path runs")
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{0, 1, 5, 16, 19, 48, 784, 1001} {
		x, y := randVec(rng, n), randVec(rng, n)
		if a, g := dotAsm(x, y), dotGo(x, y); math.Float64bits(a) != math.Float64bits(g) {
			t.Errorf("n=%d: dot asm %v, go %v", n, a, g)
		}
		ya, yg := append([]float64(nil), y...), append([]float64(nil), y...)
		axpyAsm(0.37, x, ya)
		axpyGo(0.37, x, yg)
		for i := range ya {
			if math.Float64bits(ya[i]) != math.Float64bits(yg[i]) {
				t.Fatalf("n=%d: axpy differs at %d", n, i)
			}
		}
	}
}

func TestAddScaled(t *testing.T) {
	x := []float64{1, 2, 3}
	y := []float64{10, 20, 30}
	AddScaled(y, 2, x)
	if y[0] != 12 || y[1] != 24 || y[2] != 36 {
		t.Errorf("got %v", y)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on length mismatch")
		}
	}()
	Dot(x, y[:2])
}

func BenchmarkDot784(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(rng, 784), randVec(rng, 784)
	b.ReportAllocs()
	s := 0.0
	for b.Loop() {
		s += Dot(x, y)
	}
	_ = s
}

func BenchmarkAddScaled784(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(rng, 784), randVec(rng, 784)
	for b.Loop() {
		AddScaled(y, 1e-9, x)
	}
}
