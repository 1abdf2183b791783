package vec

// SubScaled sets dst_i = x_i − a·y_i, the product rounded before the
// difference (no fused multiply–add: the bits of the plain Go loop on
// amd64). It panics if the lengths differ.
func SubScaled(dst, x []float64, a float64, y []float64) {
	if len(x) != len(dst) || len(y) != len(dst) {
		panic("vec: length mismatch")
	}
	if useAsm && len(dst) > 0 {
		subScaledAsm(&dst[0], &x[0], a, &y[0], len(dst))
		return
	}
	subScaledGo(dst, x, a, y)
}

// Shrink sets dst_i = mu_i + c·(x_i − a·mu_i), each operation rounded in
// that order (the bits of the plain Go loop on amd64): the part of a
// component's posterior mean off its basis. It panics if the lengths
// differ.
func Shrink(dst, mu []float64, c float64, x []float64, a float64) {
	if len(x) != len(dst) || len(mu) != len(dst) {
		panic("vec: length mismatch")
	}
	if useAsm && len(dst) > 0 {
		shrinkAsm(&dst[0], &mu[0], c, &x[0], a, len(dst))
		return
	}
	shrinkGo(dst, mu, c, x, a)
}

// AddScaledDiff sets y_i += a·(m_i − x_i), each operation rounded in that
// order (the bits of the plain Go loop on amd64). It panics if the lengths
// differ.
func AddScaledDiff(y []float64, a float64, m, x []float64) {
	if len(m) != len(y) || len(x) != len(y) {
		panic("vec: length mismatch")
	}
	if useAsm && len(y) > 0 {
		addScaledDiffAsm(&y[0], a, &m[0], &x[0], len(y))
		return
	}
	addScaledDiffGo(y, a, m, x)
}

// The explicit conversions round each product, so no compiler fuses them.
func subScaledGo(dst, x []float64, a float64, y []float64) {
	for i := range dst {
		dst[i] = x[i] - float64(a*y[i])
	}
}

func shrinkGo(dst, mu []float64, c float64, x []float64, a float64) {
	for i := range dst {
		dst[i] = mu[i] + float64(c*(x[i]-float64(a*mu[i])))
	}
}

func addScaledDiffGo(y []float64, a float64, m, x []float64) {
	for i := range y {
		y[i] += float64(a * (m[i] - x[i]))
	}
}
