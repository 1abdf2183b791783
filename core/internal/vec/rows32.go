package vec

import "math"

// DotRows32 sets out[j] = x_j·y for the len(out) rows x_j =
// rows[j·d:(j+1)·d] of a float32 matrix, d = len(y): each row widened
// exactly to float64 and summed in the order of Dot, so out[j] has the bits
// of Dot(float64(x_j), y). Rows go six at a time through AVX-512 or three
// at a time through AVX2 where the machine has them, y read once for the
// group; a basis in float32 is half the bytes of one in float64, and on
// the hot path of tweedie the bytes are the cost. It panics if len(rows)
// ≠ len(out)·len(y).
func DotRows32(out []float64, rows []float32, y []float64) {
	d := len(y)
	if len(rows) != len(out)*d {
		panic("vec: length mismatch")
	}
	j := 0
	if d > 0 {
		if useAVX512 {
			var o [6]float64
			for ; j+6 <= len(out); j += 6 {
				dot6f(&rows[j*d], d, &y[0], d, &o)
				copy(out[j:j+6], o[:])
			}
		}
		if useAsm {
			var o [3]float64
			for ; j+3 <= len(out); j += 3 {
				dot3f(&rows[j*d], d, &y[0], d, &o)
				copy(out[j:j+3], o[:])
			}
		}
	}
	for ; j < len(out); j++ {
		out[j] = dotGo32(rows[j*d:(j+1)*d], y)
	}
}

// AddRows32 sets y += Σ_j a_j·x_j over the len(a) rows x_j =
// rows[j·d:(j+1)·d], d = len(y), in order of j: each element a chain of
// fused multiply–adds of the widened row entries, the bits of AddScaled
// with float64(x_j) for j = 0, 1, …. Rows go eight at a time (AVX-512) or
// four at a time (AVX2), y loaded and stored once for the group. It panics
// if len(rows) ≠ len(a)·len(y).
func AddRows32(y []float64, a []float64, rows []float32) {
	d := len(y)
	if len(rows) != len(a)*d {
		panic("vec: length mismatch")
	}
	j := 0
	if d > 0 {
		if useAVX512 {
			for ; j+8 <= len(a); j += 8 {
				axpy8f(&y[0], d, (*[8]float64)(a[j:j+8]), &rows[j*d], d)
			}
		}
		if useAsm {
			for ; j+4 <= len(a); j += 4 {
				axpy4f(&y[0], d, (*[4]float64)(a[j:j+4]), &rows[j*d], d)
			}
		}
	}
	for ; j < len(a); j++ {
		axpyGo32(a[j], rows[j*d:(j+1)*d], y)
	}
}

// dotGo32 is dotGo over a float32 x, widened.
func dotGo32(x []float32, y []float64) float64 {
	var acc [16]float64
	n := len(x) &^ 15
	for i := 0; i < n; i += 16 {
		for j := 0; j < 16; j++ {
			acc[j] = math.FMA(float64(x[i+j]), y[i+j], acc[j])
		}
	}
	var l [4]float64
	for j := 0; j < 4; j++ {
		l[j] = (acc[j] + acc[4+j]) + (acc[8+j] + acc[12+j])
	}
	s := (l[0] + l[2]) + (l[1] + l[3])
	for i := n; i < len(x); i++ {
		s = math.FMA(float64(x[i]), y[i], s)
	}
	return s
}

func axpyGo32(a float64, x []float32, y []float64) {
	for i, v := range x {
		y[i] = math.FMA(a, float64(v), y[i])
	}
}
