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

// checkStrided compares DotStrided with Dot on each row's leading block,
// bit for bit.
func checkStrided(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(2, 9))
	for _, c := range rowsCases {
		q, d := c[0], c[1]
		stride := d + q%3
		rows, y := randVec(rng, max(0, (q-1)*stride+d)), randVec(rng, d)
		out := make([]float64, q)
		DotStrided(out, rows, stride, y)
		for i := range out {
			if want := Dot(rows[i*stride:i*stride+d], y); math.Float64bits(out[i]) != math.Float64bits(want) {
				t.Fatalf("%s q=%d d=%d: DotStrided[%d] = %v, Dot %v", path, q, d, i, out[i], want)
			}
		}
	}
}

func TestStridedMatchesSingle(t *testing.T) { checkStrided(t, "this machine") }

// checkVecs compares DotRows32Vecs and AddRows32Vecs, on whatever path the
// machine takes now, with Dot and AddScaled on the widened rows for each
// vector, bit for bit, for 0 to 9 vectors (groups of four and the rest).
func checkVecs(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(6, 8))
	for _, c := range rowsCases {
		q, d := c[0], c[1]
		rows := randRows32(rng, q*d)
		wide := widen(rows)
		for _, nv := range []int{0, 1, 3, 4, 5, 8, 9} {
			ys, as, out := make([][]float64, nv), make([][]float64, nv), make([][]float64, nv)
			for b := range ys {
				ys[b], as[b], out[b] = randVec(rng, d), randVec(rng, q), make([]float64, q)
			}
			DotRows32Vecs(out, rows, ys)
			want := make([][]float64, nv)
			for b := range ys {
				for j := range q {
					if w := Dot(wide[j*d:(j+1)*d], ys[b]); math.Float64bits(out[b][j]) != math.Float64bits(w) {
						t.Fatalf("%s q=%d d=%d vectors=%d: DotRows32Vecs[%d][%d] = %v, Dot %v", path, q, d, nv, b, j, out[b][j], w)
					}
				}
				want[b] = append([]float64(nil), ys[b]...)
				for j := range q {
					AddScaled(want[b], as[b][j], wide[j*d:(j+1)*d])
				}
			}
			AddRows32Vecs(ys, as, rows)
			for b := range ys {
				for i := range want[b] {
					if math.Float64bits(ys[b][i]) != math.Float64bits(want[b][i]) {
						t.Fatalf("%s q=%d d=%d vectors=%d: AddRows32Vecs differs in vector %d at %d", path, q, d, nv, b, i)
					}
				}
			}
		}
	}
}

func TestVecsMatchSingle(t *testing.T) { checkVecs(t, "this machine") }

func TestRowsLengthMismatchPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"DotRows32": func() { DotRows32(make([]float64, 2), make([]float32, 5), make([]float64, 3)) },
		"AddRows32": func() { AddRows32(make([]float64, 3), make([]float64, 2), make([]float32, 7)) },
		"DotRows":   func() { DotRows(make([]float64, 2), make([]float64, 5), make([]float64, 3)) },
		"DotRows32Vecs": func() {
			DotRows32Vecs(make([][]float64, 4), make([]float32, 6), [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3), make([]float64, 2)})
		},
		"AddRows32Vecs": func() {
			AddRows32Vecs([][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3), make([]float64, 3)}, make([][]float64, 4), make([]float32, 6))
		},
		"AddRows": func() { AddRows(make([]float64, 3), make([]float64, 2), make([]float64, 7)) },
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

// BenchmarkRows is one pass over a q = 120, d = 784 basis: projecting a
// vector (DotRows32) and adding a combination of the rows (AddRows32); the
// float64 rows (DotRows, AddRows) beside them.
func BenchmarkRows(b *testing.B) { benchRows(b) }

// BenchmarkRowsAVX2 is BenchmarkRows with the AVX-512 kernels switched off,
// on a machine that has them: the AVX2 kernels' figures.
func BenchmarkRowsAVX2(b *testing.B) {
	if !useAsm {
		b.Skip("no AVX2+FMA here")
	}
	avx512 := useAVX512
	defer func() { useAVX512 = avx512 }()
	useAVX512 = false
	benchRows(b)
}

func benchRows(b *testing.B) {
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
	ys := [][]float64{randVec(rng, d), randVec(rng, d), randVec(rng, d), randVec(rng, d)}
	ps := [][]float64{make([]float64, q), make([]float64, q), make([]float64, q), make([]float64, q)}
	as := [][]float64{a, a, a, a}
	b.Run("DotRows32Vecs/4", func(b *testing.B) {
		for b.Loop() {
			DotRows32Vecs(ps, rows, ys)
		}
	})
	b.Run("AddRows32Vecs/4", func(b *testing.B) {
		for b.Loop() {
			AddRows32Vecs(ys, as, rows)
		}
	})
	b.Run("AddRows", func(b *testing.B) {
		for b.Loop() {
			AddRows(y, a, wide)
		}
	})
}
