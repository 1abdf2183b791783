package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkAffine compares SubScaled, Shrink and AddScaledDiff, on whatever path the machine
// takes now, with the plain loops a Go program writes for them (each
// operation rounded), bit for bit.
func checkAffine(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 784} {
		x, y, mu := randVec(rng, n), randVec(rng, n), randVec(rng, n)
		a, c := rng.NormFloat64(), rng.NormFloat64()
		got, want := make([]float64, n), make([]float64, n)
		SubScaled(got, x, a, y)
		for i := range want {
			p := a * y[i]
			want[i] = x[i] - p
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s n=%d: SubScaled differs at %d: %v, want %v", path, n, i, got[i], want[i])
			}
		}
		Shrink(got, mu, c, x, a)
		for i := range want {
			p := a * mu[i]
			q := c * (x[i] - p)
			want[i] = mu[i] + q
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s n=%d: Shrink differs at %d: %v, want %v", path, n, i, got[i], want[i])
			}
		}
		copy(got, y)
		copy(want, y)
		AddScaledDiff(got, a, mu, x)
		for i := range want {
			q := a * (mu[i] - x[i])
			want[i] += q
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s n=%d: AddScaledDiff differs at %d: %v, want %v", path, n, i, got[i], want[i])
			}
		}
	}
}

func TestAffineMatchesLoops(t *testing.T) { checkAffine(t, "this machine") }

func BenchmarkAffine784(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, mu, dst := randVec(rng, 784), randVec(rng, 784), randVec(rng, 784), make([]float64, 784)
	b.Run("SubScaled", func(b *testing.B) {
		for b.Loop() {
			SubScaled(dst, x, 0.37, y)
		}
	})
	b.Run("Shrink", func(b *testing.B) {
		for b.Loop() {
			Shrink(dst, mu, 0.9, x, 0.37)
		}
	})
	b.Run("AddScaledDiff", func(b *testing.B) {
		for b.Loop() {
			AddScaledDiff(dst, 1e-9, mu, x)
		}
	})
}
