package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// dot writes the dot products x_r·y_v of the rows xs with the vectors ys
// over count elements, each in the order of vec's dotGo: sixteen lanes of
// fused multiply–adds over the whole blocks of 16 elements, lane j taking
// the elements i ≡ j (mod 16), the lanes reduced as reduce says, then the
// tail added one element at a time. It returns the registers whose low
// lanes hold the products, sum[v][r].
func (b *builder) dot(xs, ys []array, count reg.GPVirtual) [][]reg.VecVirtual {
	lanes := 16 / int(b.isa.width)
	acc := make([][][]reg.VecVirtual, len(ys)) // acc[v][r][k]: lanes k·width … of x_r·y_v
	for v := range acc {
		acc[v] = make([][]reg.VecVirtual, len(xs))
		for r := range xs {
			for range lanes {
				a := b.vreg()
				b.zero(a)
				acc[v][r] = append(acc[v][r], a)
			}
		}
	}
	i := b.counter()
	b.loop(i, count, 16, func(s step) { s.dot(acc, xs, ys) })
	sum := make([][]reg.VecVirtual, len(ys))
	for v := range acc {
		for r := range xs {
			b.reduce(acc[v][r])
			sum[v] = append(sum[v], acc[v][r][0])
		}
	}
	b.loop(i, count, 1, func(s step) { s.dot(acc, xs, ys) })
	return sum
}

// dot adds the step's products x_r·y_v to acc[v][r]. The vectors' blocks
// are loaded once for all rows where they fit in registers beside the
// accumulators and a widened row; the rows are then used from memory
// (float64) or widened one at a time (float32), and otherwise the vectors
// are used from memory.
func (s step) dot(acc [][][]reg.VecVirtual, xs, ys []array) {
	widened := 0
	if xs[0].size == 4 {
		widened = s.n
	}
	yInRegs := len(ys)*len(xs)*s.n+len(ys)*s.n+widened <= s.b.isa.regs
	y := make([]block, len(ys))
	for v := range ys {
		if yInRegs {
			y[v] = s.load(ys[v])
		} else {
			y[v] = s.mem(ys[v])
		}
	}
	for r := range xs {
		var x block
		if yInRegs && xs[r].size == 8 {
			x = s.mem(xs[r])
		} else {
			x = s.load(xs[r])
		}
		for v := range ys {
			s.fma(s.regs(acc[v][r]), x, y[v])
		}
	}
}

// reduce leaves the sum of the sixteen lanes of acc (acc[k] holds lanes
// k·width …) in the low lane of acc[0], in the order of dotGo: with the
// quarters q_m = lanes 4m … 4m+3, l = (q0 + q1) + (q2 + q3) lane by lane,
// then (l0 + l2) + (l1 + l3).
func (b *builder) reduce(acc []reg.VecVirtual) {
	if b.isa.width == zmm {
		for _, a := range acc {
			b.fold(a, 8) // acc[k] holds q(2k) | q(2k+1): now q(2k) + q(2k+1)
		}
	}
	for len(acc) > 1 {
		var sums []reg.VecVirtual
		for k := 0; k < len(acc); k += 2 {
			b.VADDPD(b.wide(acc[k+1]), b.wide(acc[k]), b.wide(acc[k]))
			sums = append(sums, acc[k])
		}
		acc = sums
	}
	b.fold(acc[0], 4)
	b.fold(acc[0], 2)
}

// fold adds the upper half of the low n lanes of a to their lower half:
// a_j += a_{j+n/2}. With AVX-512 it works on whole Z registers, so that it
// needs AVX512F alone whatever registers avo picks; the lanes above n/2
// are then left with whatever the sum gives.
func (b *builder) fold(a reg.VecVirtual, n int) {
	t := b.vreg()
	switch {
	case n == 2 && b.isa.width == zmm:
		b.VPERMILPD(operand.U8(1), a.AsZ(), t.AsZ())
		b.VADDSD(t.AsX(), a.AsX(), a.AsX())
	case n == 2:
		b.VPERMILPD(operand.U8(1), a.AsX(), t.AsX())
		b.VADDSD(t.AsX(), a.AsX(), a.AsX())
	case b.isa.width == zmm:
		// The 128-bit quarters of a moved to (2 3 0 1) for n = 8, (1 0 3 2)
		// for n = 4.
		imm := map[int]uint8{8: 0x4e, 4: 0xb1}[n]
		b.VSHUFF64X2(operand.U8(imm), a.AsZ(), a.AsZ(), t.AsZ())
		b.VADDPD(t.AsZ(), a.AsZ(), a.AsZ())
	default: // n = 4 of a Y register
		b.VEXTRACTF128(operand.U8(1), a.AsY(), t.AsX())
		b.VADDPD(t.AsX(), a.AsX(), a.AsX())
	}
}

// storeSums writes sum[v][r] to out[v·len(sum[v]) + r], out a *[…]float64
// argument, and leaves the vector unit clean for SSE code.
func (b *builder) storeSums(sum [][]reg.VecVirtual) {
	out := b.gp(b.Param("out"))
	for v := range sum {
		for r, x := range sum[v] {
			b.VMOVSD(x.AsX(), operand.Mem{Base: out, Disp: 8 * (v*len(sum[v]) + r)})
		}
	}
	b.VZEROUPPER()
	b.RET()
}

func (b *builder) dotAsm() {
	b.kernel("dotAsm", "func(x, y []float64) float64", avx2, "dotAsm returns x·y in the order of dotGo.")
	x, y := b.f64(b.Param("x").Base()), b.f64(b.Param("y").Base())
	sum := b.dot([]array{x}, []array{y}, b.gp(b.Param("x").Len()))
	b.VZEROUPPER()
	b.Store(sum[0][0].AsX(), b.ReturnIndex(0))
	b.RET()
}

func (b *builder) dot3Asm() {
	b.kernel("dot3Asm", "func(x0, x1, x2, y *float64, n int, out *[3]float64)", avx2,
		"dot3Asm sets out[r] = x_r·y over n elements, each in the order of",
		"dotGo, y read once for the three rows.")
	xs := []array{b.f64(b.Param("x0")), b.f64(b.Param("x1")), b.f64(b.Param("x2"))}
	y := b.f64(b.Param("y"))
	b.storeSums(b.dot(xs, []array{y}, b.gp(b.Param("n"))))
}

func (b *builder) dot3f() {
	b.dotRows32("dot3f", 3, avx2,
		"dot3f sets out[r] = x_r·y over n elements for the float32 rows x_r =",
		"x + r·stride, r = 0, 1, 2, each widened exactly: dotGo32's bits.")
}

func (b *builder) dot6f() {
	b.dotRows32("dot6f", 6, avx512, "dot6f is dot3f for six rows with AVX-512.")
}

// dotRows32 writes the kernel name, the dot products of y with rows float32
// rows x + r·stride, written for s.
func (b *builder) dotRows32(name string, rows int, s isa, doc ...string) {
	b.kernel(name, fmt.Sprintf("func(x *float32, stride int, y *float64, n int, out *[%d]float64)", rows), s, doc...)
	xs := b.f32rows("x", "stride", rows)
	y := b.f64(b.Param("y"))
	b.storeSums(b.dot(xs, []array{y}, b.gp(b.Param("n"))))
}

func (b *builder) dot2x4f() {
	b.kernel("dot2x4f", "func(x *float32, stride int, y *[4]*float64, n int, out *[8]float64)", avx512,
		"dot2x4f sets out[2v+r] = x_r·y_v over n elements for the float32 rows",
		"x_0 = x, x_1 = x + stride and the four vectors y_v, with AVX-512: each",
		"block of the rows widened once for the four vectors, which turns a",
		"pass bound by the bytes of the rows into one bound by the",
		"multiply–adds. Each product has dotGo32's bits.")
	rows := b.f32rows("x", "stride", 2)
	ys := b.f64s("y", 4)
	b.storeSums(b.dot(rows, ys, b.gp(b.Param("n"))))
}
