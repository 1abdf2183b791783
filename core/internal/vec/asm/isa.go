package main

import (
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
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
