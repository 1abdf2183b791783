package main

import (
	"log"

	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

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
