package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/reg"
)

// axpy writes y_v += Σ_r a[v][r]·x_r over count elements, each element of
// y_v a chain of fused multiply–adds in order of r: vec's axpyGo for
// r = 0, 1, … . The loops take blocks of sizes[0] elements, then of
// sizes[1], …, the last size 1; y is loaded and stored once a block for
// all rows.
func (b *builder) axpy(ys, xs []array, a [][]reg.VecVirtual, count reg.GPVirtual, sizes ...int) {
	i := b.counter()
	for _, size := range sizes {
		b.loop(i, count, size, func(s step) {
			acc := make([]block, len(ys))
			for v := range ys {
				acc[v] = s.load(ys[v])
			}
			for r := range xs {
				var x block
				if xs[r].size == 8 {
					x = s.mem(xs[r])
				} else {
					x = s.load(xs[r])
				}
				for v := range ys {
					s.fma(acc[v], s.splat(a[v][r]), x)
				}
			}
			for v := range ys {
				s.store(acc[v], ys[v])
			}
		})
	}
	b.VZEROUPPER()
	b.RET()
}

func (b *builder) axpyAsm() {
	b.kernel("axpyAsm", "func(a float64, x, y []float64)", avx2, "axpyAsm sets y += a·x, each element one fused multiply–add.")
	a := b.broadcast(addr(b.Param("a")))
	x, y := b.f64(b.Param("x").Base()), b.f64(b.Param("y").Base())
	b.axpy([]array{y}, []array{x}, [][]reg.VecVirtual{{a}}, b.gp(b.Param("x").Len()), 16, 1)
}

func (b *builder) axpy4Asm() {
	b.kernel("axpy4Asm", "func(y *float64, n int, a *[4]float64, x0, x1, x2, x3 *float64)", avx2,
		"axpy4Asm sets y += a[0]·x0, a[1]·x1, a[2]·x2, a[3]·x3 in turn over n",
		"elements, each a fused multiply–add as in axpyAsm, y loaded and stored",
		"once for the four.")
	y := b.f64(b.Param("y"))
	count := b.gp(b.Param("n"))
	a := b.coefficients("a", 4)
	xs := []array{b.f64(b.Param("x0")), b.f64(b.Param("x1")), b.f64(b.Param("x2")), b.f64(b.Param("x3"))}
	b.axpy([]array{y}, xs, [][]reg.VecVirtual{a}, count, 16, 1)
}

func (b *builder) axpy4f() {
	b.axpyRows32("axpy4f", 4, avx2, []int{16, 1},
		"axpy4f is axpy4Asm for the float32 rows x_r = x + r·stride, each",
		"widened exactly: axpyGo32's bits row after row.")
}

func (b *builder) axpy8f() {
	b.axpyRows32("axpy8f", 8, avx512, []int{64, 16, 1},
		"axpy8f is axpy4f for eight rows with AVX-512. Blocks of 64 elements",
		"first (eight independent chains of eight fused multiply–adds), then of",
		"16, then one element at a time.")
}

// axpyRows32 writes the kernel name, y += Σ_r a[r]·x_r over rows float32
// rows x + r·stride, written for s, in blocks of sizes.
func (b *builder) axpyRows32(name string, rows int, s isa, sizes []int, doc ...string) {
	b.kernel(name, fmt.Sprintf("func(y *float64, n int, a *[%d]float64, x *float32, stride int)", rows), s, doc...)
	y := b.f64(b.Param("y"))
	count := b.gp(b.Param("n"))
	a := b.coefficients("a", rows)
	b.axpy([]array{y}, b.f32rows("x", "stride", rows), [][]reg.VecVirtual{a}, count, sizes...)
}

func (b *builder) axpy4x4f() {
	b.kernel("axpy4x4f", "func(y *[4]*float64, n int, a *[16]float64, x *float32, stride int)", avx512,
		"axpy4x4f sets y_v += a[4v]·x_0, a[4v+1]·x_1, a[4v+2]·x_2, a[4v+3]·x_3",
		"in turn for the four vectors y_v and the float32 rows x_r = x +",
		"r·stride, with AVX-512: each block of the rows widened once for the",
		"four vectors. Each vector gets axpy4f's bits.")
	ys := b.f64s("y", 4)
	count := b.gp(b.Param("n"))
	flat := b.coefficients("a", 16)
	a := [][]reg.VecVirtual{flat[0:4], flat[4:8], flat[8:12], flat[12:16]}
	b.axpy(ys, b.f32rows("x", "stride", 4), a, count, 16, 1)
}
