package main

import (
	"fmt"
	"log"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

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

// fma sets acc += x·y, one fused multiply–add per operand; one of x, y
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
