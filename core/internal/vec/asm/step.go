package main

import (
	"fmt"
	"log"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A builder writes kernels into an avo context for one instruction set at
// a time.
type builder struct {
	*build.Context
	isa isa
}

// An isa is the instruction set a kernel is written for: its widest
// registers and how many there are.
type isa struct {
	width width
	regs  int
}

var (
	avx2   = isa{width: ymm, regs: 16} // AVX2 and FMA (vec's useAsm)
	avx512 = isa{width: zmm, regs: 32} // AVX-512F alone (vec's useAVX512)
)

// A width is how many float64 lanes an instruction works on: 1 (the low
// lane of an X register), 4 (a Y register) or 8 (a Z register).
type width int

const (
	scalar width = 1
	ymm    width = 4
	zmm    width = 8
)

// of is v seen at width w.
func (w width) of(v reg.VecVirtual) reg.Register {
	switch w {
	case scalar:
		return v.AsX()
	case ymm:
		return v.AsY()
	}
	return v.AsZ()
}

// kernel starts the function name with Go signature sig, written for s.
func (b *builder) kernel(name, sig string, s isa, doc ...string) {
	b.Function(name)
	b.Attributes(attr.NOSPLIT)
	b.SignatureExpr(sig)
	b.Doc(doc...)
	b.Pragma("noescape")
	b.isa = s
}

// vreg is a new vector register as wide as the instruction set's.
func (b *builder) vreg() reg.VecVirtual {
	if b.isa.width == zmm {
		return b.ZMM()
	}
	return b.YMM()
}

// wide is v seen at the instruction set's width.
func (b *builder) wide(v reg.VecVirtual) reg.Register { return b.isa.width.of(v) }

// zero sets v to zero.
func (b *builder) zero(v reg.VecVirtual) {
	if b.isa.width == zmm {
		b.VPXORQ(v.AsZ(), v.AsZ(), v.AsZ()) // VXORPD on Z needs AVX512DQ
		return
	}
	b.VXORPD(v.AsY(), v.AsY(), v.AsY())
}

// gp loads the argument c (a pointer or an int) into a new register.
func (b *builder) gp(c gotypes.Component) reg.GPVirtual {
	r := b.GP64()
	b.Load(c, r)
	return r
}

// addr is the address of the argument c on the stack.
func addr(c gotypes.Component) operand.Mem {
	v, err := c.Resolve()
	if err != nil {
		log.Fatal(err)
	}
	return v.Addr
}

// broadcast sets every lane of a new register to the float64 at m.
func (b *builder) broadcast(m operand.Mem) reg.VecVirtual {
	v := b.vreg()
	b.VBROADCASTSD(m, b.wide(v))
	return v
}

// coefficients broadcasts each float64 of the argument name, a *[n]float64.
func (b *builder) coefficients(name string, n int) []reg.VecVirtual {
	p := b.gp(b.Param(name))
	a := make([]reg.VecVirtual, n)
	for j := range a {
		a[j] = b.broadcast(operand.Mem{Base: p, Disp: 8 * j})
	}
	return a
}

// An array is float64s (size 8) or float32s (size 4) from base on,
// indexed by a loop counter.
type array struct {
	base reg.GPVirtual
	size int
}

// f64 is the array the argument c points to (a *float64 or a slice).
func (b *builder) f64(c gotypes.Component) array { return array{b.gp(c), 8} }

// f64s are the n arrays the argument name, a *[n]*float64, points to.
func (b *builder) f64s(name string, n int) []array {
	p := b.gp(b.Param(name))
	xs := make([]array, n)
	for j := range xs {
		xs[j] = array{b.GP64(), 8}
		b.MOVQ(operand.Mem{Base: p, Disp: 8 * j}, xs[j].base)
	}
	return xs
}

// f32rows are the n rows x + j·stride, j = 0 … n−1, of a float32 matrix,
// x and stride (in elements) the arguments named.
func (b *builder) f32rows(x, stride string, n int) []array {
	rows := []array{{b.gp(b.Param(x)), 4}}
	bytes := b.gp(b.Param(stride))
	b.SHLQ(operand.U8(2), bytes)
	for len(rows) < n {
		r := array{b.GP64(), 4}
		b.LEAQ(operand.Mem{Base: rows[len(rows)-1].base, Index: bytes, Scale: 1}, r.base)
		rows = append(rows, r)
	}
	return rows
}

// counter is a new loop counter set to 0.
func (b *builder) counter() reg.GPVirtual {
	i := b.GP64()
	b.XORQ(i, i)
	return i
}

// A step is one pass of a loop: the n·w elements from the counter i on,
// as n operands of width w.
type step struct {
	b *builder
	w width
	n int
	i reg.GPVirtual
}

// loop runs body over blocks of size elements from i on while a whole
// block is left (i < count rounded down to a multiple of size; size
// divides the i it starts from), at the instruction set's width, or at
// width 1 for size 1.
func (b *builder) loop(i, count reg.GPVirtual, size int, body func(s step)) {
	s := step{b: b, w: b.isa.width, n: size / int(b.isa.width), i: i}
	if size == 1 {
		s.w, s.n = scalar, 1
	}
	end := count
	if size > 1 {
		end = b.GP64()
		b.MOVQ(count, end)
		b.ANDQ(operand.I32(-size), end)
	}
	top, done := fmt.Sprintf("by%d", size), fmt.Sprintf("by%dDone", size)
	b.CMPQ(i, end)
	b.JGE(operand.LabelRef(done))
	b.Label(top)
	body(s)
	b.ADDQ(operand.I32(size), i)
	b.CMPQ(i, end)
	b.JLT(operand.LabelRef(top))
	b.Label(done)
}

// A block is a step's elements of one array, as the step's n operands:
// registers, or float64s in memory.
type block []operand.Op

// at is the k-th operand of a in this step, in memory.
func (s step) at(a array, k int) operand.Mem {
	return operand.Mem{Base: a.base, Index: s.i, Scale: uint8(a.size), Disp: k * int(s.w) * a.size}
}

// mem is the block of a float64 array left in memory.
func (s step) mem(a array) block {
	if a.size != 8 {
		log.Fatal("float32s are widened before use")
	}
	x := make(block, s.n)
	for k := range x {
		x[k] = s.at(a, k)
	}
	return x
}

// load brings the block of a into registers, float32s widened exactly.
func (s step) load(a array) block {
	x := make(block, s.n)
	for k := range x {
		v := s.b.vreg()
		r, m := s.w.of(v), s.at(a, k)
		switch {
		case a.size == 8 && s.w == scalar:
			s.b.VMOVSD(m, r)
		case a.size == 8:
			s.b.VMOVUPD(m, r)
		case s.w == scalar:
			// VMOVSS clears the rest of r, so the conversion, which keeps
			// r's upper lane, depends on nothing before it.
			s.b.VMOVSS(m, r)
			s.b.VCVTSS2SD(r, r, r)
		default:
			s.b.VCVTPS2PD(m, r)
		}
		x[k] = r
	}
	return x
}

// regs is the block held in the first n of the registers vs.
func (s step) regs(vs []reg.VecVirtual) block {
	x := make(block, s.n)
	for k := range x {
		x[k] = s.w.of(vs[k])
	}
	return x
}

// splat is the block each of whose operands is v, every lane the same.
func (s step) splat(v reg.VecVirtual) block {
	x := make(block, s.n)
	for k := range x {
		x[k] = s.w.of(v)
	}
	return x
}

// store writes the registers of x to the block of a.
func (s step) store(x block, a array) {
	for k, r := range x {
		if s.w == scalar {
			s.b.VMOVSD(r, s.at(a, k))
		} else {
			s.b.VMOVUPD(r, s.at(a, k))
		}
	}
}

// fma sets acc += x·y with one fused multiply–add an operand; one of x, y
// may be in memory.
func (s step) fma(acc, x, y block) {
	for k := range acc {
		xk, yk := x[k], y[k]
		if operand.IsMem(xk) {
			xk, yk = yk, xk
		}
		if s.w == scalar {
			s.b.VFMADD231SD(yk, xk, acc[k])
		} else {
			s.b.VFMADD231PD(yk, xk, acc[k])
		}
	}
}

// add, sub and mul return x + y, x − y and x·y, each rounded, in new
// registers; y may be in memory.
func (s step) add(x, y block) block { return s.arith(s.b.VADDPD, s.b.VADDSD, x, y) }
func (s step) sub(x, y block) block { return s.arith(s.b.VSUBPD, s.b.VSUBSD, x, y) }
func (s step) mul(x, y block) block { return s.arith(s.b.VMULPD, s.b.VMULSD, x, y) }

// arith applies an instruction of the form dst = x ∘ y, written
// `op y, x, dst` in Go's assembler, operand by operand.
func (s step) arith(packed, single func(...operand.Op), x, y block) block {
	op := packed
	if s.w == scalar {
		op = single
	}
	z := make(block, s.n)
	for k := range z {
		z[k] = s.w.of(s.b.vreg())
		op(y[k], x[k], z[k])
	}
	return z
}
