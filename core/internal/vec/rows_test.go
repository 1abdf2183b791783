package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randRows32(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// rowsCases are the shapes (rows q, length d) the kernels are checked on:
// groups of 6, 3, 8 and 4 with every remainder, and lengths with and
// without a tail after the blocks of 64 and 16.
var rowsCases = func() (c [][2]int) {
	for _, q := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 17, 120} {
		for _, d := range []int{0, 1, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 784} {
			c = append(c, [2]int{q, d})
		}
	}
	return c
}()

// checkRows compares DotRows and AddRows, and DotRows32 and AddRows32 on
// the widened rows, on whatever path the machine takes now, with Dot and
// AddScaled, bit for bit.
func checkRows(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 7))
	for _, c := range rowsCases {
		q, d := c[0], c[1]
		rows, y, a := randRows32(rng, q*d), randVec(rng, d), randVec(rng, q)
		wide := widen(rows)
		out, out64 := make([]float64, q), make([]float64, q)
		DotRows32(out, rows, y)
		DotRows(out64, wide, y)
		for j := range out {
			want := Dot(wide[j*d:(j+1)*d], y)
			if math.Float64bits(out[j]) != math.Float64bits(want) || math.Float64bits(out64[j]) != math.Float64bits(want) {
				t.Fatalf("%s q=%d d=%d: DotRows32[%d] = %v, DotRows %v, Dot %v", path, q, d, j, out[j], out64[j], want)
			}
		}
		got, got64, want := append([]float64(nil), y...), append([]float64(nil), y...), append([]float64(nil), y...)
		AddRows32(got, a, rows)
		AddRows(got64, a, wide)
		for j := range a {
			AddScaled(want, a[j], wide[j*d:(j+1)*d])
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) || math.Float64bits(got64[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s q=%d d=%d: AddRows32 or AddRows differs at %d: %v, %v, want %v", path, q, d, i, got[i], got64[i], want[i])
			}
		}
	}
}

func TestRowsMatchSingle(t *testing.T) { checkRows(t, "this machine") }

func TestRowsLengthMismatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"DotRows32": func() { DotRows32(make([]float64, 2), make([]float32, 5), make([]float64, 3)) },
		"AddRows32": func() { AddRows32(make([]float64, 3), make([]float64, 2), make([]float32, 7)) },
		"DotRows":   func() { DotRows(make([]float64, 2), make([]float64, 5), make([]float64, 3)) },
		"AddRows":   func() { AddRows(make([]float64, 3), make([]float64, 2), make([]float64, 7)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on mismatched lengths", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkRows32 is one pass over a q = 120, d = 784 basis: projecting a
// vector (DotRows32) and adding a combination of the rows (AddRows32); the
// float64 rows (DotRows, AddRows) beside them.
func BenchmarkRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const d, q = 784, 120
	rows, y, a := randRows32(rng, q*d), randVec(rng, d), randVec(rng, q)
	wide := widen(rows)
	p := make([]float64, q)
	for i := range a {
		a[i] *= 1e-9
	}
	b.Run("DotRows32", func(b *testing.B) {
		for b.Loop() {
			DotRows32(p, rows, y)
		}
	})
	b.Run("DotRows", func(b *testing.B) {
		for b.Loop() {
			DotRows(p, wide, y)
		}
	})
	b.Run("AddRows32", func(b *testing.B) {
		for b.Loop() {
			AddRows32(y, a, rows)
		}
	})
	b.Run("AddRows", func(b *testing.B) {
		for b.Loop() {
			AddRows(y, a, wide)
		}
	})
}
