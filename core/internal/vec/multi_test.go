package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMultiMatchesSingle: Dot3 and AddScaled4 give the bits of Dot and
// AddScaled, on the assembly and the Go path.
func TestMultiMatchesSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 5, 15, 16, 17, 48, 784, 1001} {
		x0, x1, x2, x3, y := randVec(rng, n), randVec(rng, n), randVec(rng, n), randVec(rng, n), randVec(rng, n)
		a, b, c := Dot3(x0, x1, x2, y)
		for i, got := range []float64{a, b, c} {
			want := Dot([][]float64{x0, x1, x2}[i], y)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("n=%d: Dot3[%d] = %v, Dot %v", n, i, got, want)
			}
		}
		want := append([]float64(nil), y...)
		coef := []float64{-1.3, -0.3, 0.7, 1.7}
		for i, x := range [][]float64{x0, x1, x2, x3} {
			AddScaled(want, coef[i], x)
		}
		got, goPath := append([]float64(nil), y...), append([]float64(nil), y...)
		AddScaled4(got, -1.3, -0.3, 0.7, 1.7, x0, x1, x2, x3)
		axpy4Go(goPath, -1.3, -0.3, 0.7, 1.7, x0, x1, x2, x3)
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) || math.Float64bits(goPath[i]) != math.Float64bits(want[i]) {
				t.Fatalf("n=%d: AddScaled4 differs at %d", n, i)
			}
		}
	}
}

// BenchmarkProject is q = 120 dot products of length 784 against one
// vector, one at a time and three at a time.
func BenchmarkProject(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const d, q = 784, 120
	u, v := randVec(rng, q*d), randVec(rng, d)
	p := make([]float64, q)
	b.Run("Dot", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < q; j++ {
				p[j] = Dot(u[j*d:(j+1)*d], v)
			}
		}
	})
	b.Run("Dot3", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < q; j += 3 {
				p[j], p[j+1], p[j+2] = Dot3(u[j*d:(j+1)*d], u[(j+1)*d:(j+2)*d], u[(j+2)*d:(j+3)*d], v)
			}
		}
	})
}

// BenchmarkExpand is y += Σ_j a_j·u_j over q = 120 vectors of length 784,
// one at a time and four at a time.
func BenchmarkExpand(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const d, q = 784, 120
	u, y, a := randVec(rng, q*d), randVec(rng, d), randVec(rng, q)
	b.Run("AddScaled", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < q; j++ {
				AddScaled(y, a[j]*1e-9, u[j*d:(j+1)*d])
			}
		}
	})
	b.Run("AddScaled4", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < q; j += 4 {
				AddScaled4(y, a[j]*1e-9, a[j+1]*1e-9, a[j+2]*1e-9, a[j+3]*1e-9,
					u[j*d:(j+1)*d], u[(j+1)*d:(j+2)*d], u[(j+2)*d:(j+3)*d], u[(j+3)*d:(j+4)*d])
			}
		}
	})
}
