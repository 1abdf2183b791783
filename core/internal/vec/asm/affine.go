package main

// The kernels of vec's affine.go: no fused multiply–add, every operation
// rounded in the order of the Go loop.

// elementwise runs body over blocks of size elements, then one at a time.
func (b *builder) elementwise(count string, size int, body func(s step)) {
	n := b.gp(b.Param(count))
	i := b.counter()
	b.loop(i, n, size, body)
	b.loop(i, n, 1, body)
	b.VZEROUPPER()
	b.RET()
}

func (b *builder) subScaledAsm() {
	b.kernel("subScaledAsm", "func(dst, x *float64, a float64, y *float64, n int)", avx2,
		"subScaledAsm sets dst = x − a·y over n elements, the product rounded.")
	dst, x, y := b.f64(b.Param("dst")), b.f64(b.Param("x")), b.f64(b.Param("y"))
	a := b.broadcast(addr(b.Param("a")))
	b.elementwise("n", 16, func(s step) {
		s.store(s.sub(s.load(x), s.mul(s.splat(a), s.mem(y))), dst)
	})
}

func (b *builder) shrinkAsm() {
	b.kernel("shrinkAsm", "func(dst, mu *float64, c float64, x *float64, a float64, n int)", avx2,
		"shrinkAsm sets dst = mu + c·(x − a·mu) over n elements, each",
		"operation rounded in that order.")
	dst, mu, x := b.f64(b.Param("dst")), b.f64(b.Param("mu")), b.f64(b.Param("x"))
	c, a := b.broadcast(addr(b.Param("c"))), b.broadcast(addr(b.Param("a")))
	b.elementwise("n", 8, func(s step) {
		m := s.load(mu)
		d := s.sub(s.load(x), s.mul(s.splat(a), m))
		s.store(s.add(m, s.mul(s.splat(c), d)), dst)
	})
}

func (b *builder) addScaledDiffAsm() {
	b.kernel("addScaledDiffAsm", "func(y *float64, a float64, m, x *float64, n int)", avx2,
		"addScaledDiffAsm sets y += a·(m − x) over n elements, each operation",
		"rounded in that order.")
	y, m, x := b.f64(b.Param("y")), b.f64(b.Param("m")), b.f64(b.Param("x"))
	a := b.broadcast(addr(b.Param("a")))
	b.elementwise("n", 8, func(s step) {
		d := s.sub(s.load(m), s.mem(x))
		s.store(s.add(s.mul(s.splat(a), d), s.mem(y)), y)
	})
}
