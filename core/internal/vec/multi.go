package vec

import "math"

// Dot3 returns x0·y, x1·y and x2·y, each with the bits of Dot: three dot
// products against one shared y, which is loaded once for the three (a dot
// product alone is bound by its two loads per multiply–add). It panics if
// the lengths differ.
func Dot3(x0, x1, x2, y []float64) (float64, float64, float64) {
	n := len(y)
	if len(x0) != n || len(x1) != n || len(x2) != n {
		panic("vec: length mismatch")
	}
	if useAsm && n > 0 {
		var out [3]float64
		dot3Asm(&x0[0], &x1[0], &x2[0], &y[0], n, &out)
		return out[0], out[1], out[2]
	}
	return dotGo(x0, y), dotGo(x1, y), dotGo(x2, y)
}

// AddScaled4 sets y_i += a0·x0_i, then a1·x1_i, a2·x2_i and a3·x3_i: the bits
// of four AddScaled in that order, with y loaded and stored once for the
// four. It panics if the lengths differ.
func AddScaled4(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64) {
	n := len(y)
	if len(x0) != n || len(x1) != n || len(x2) != n || len(x3) != n {
		panic("vec: length mismatch")
	}
	if useAsm && n > 0 {
		a := [4]float64{a0, a1, a2, a3}
		axpy4Asm(&y[0], n, &a, &x0[0], &x1[0], &x2[0], &x3[0])
		return
	}
	axpy4Go(y, a0, a1, a2, a3, x0, x1, x2, x3)
}

func axpy4Go(y []float64, a0, a1, a2, a3 float64, x0, x1, x2, x3 []float64) {
	for i := range y {
		v := math.FMA(a0, x0[i], y[i])
		v = math.FMA(a1, x1[i], v)
		v = math.FMA(a2, x2[i], v)
		y[i] = math.FMA(a3, x3[i], v)
	}
}
