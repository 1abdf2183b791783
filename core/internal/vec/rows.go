package vec

// DotRows sets out[j] = x_j·y for the len(out) rows x_j = rows[j·d:(j+1)·d]
// of a float64 matrix, d = len(y), each with the bits of Dot: DotStrided
// with the rows packed, stride d. It panics if len(rows) ≠ len(out)·len(y).
func DotRows(out []float64, rows []float64, y []float64) {
	if len(rows) != len(out)*len(y) {
		panic("vec: length mismatch")
	}
	DotStrided(out, rows, len(y), y)
}

// DotStrided sets out[i] = x_i·y for the rows x_i = rows[i·stride :
// i·stride+len(y)] of a matrix with row stride stride ≥ len(y) (a leading
// block of each row: the rows of a triangular factor, say), each with the
// bits of Dot, three at a time through AVX2 where the machine has it, y
// read once for the three (a dot product alone is bound by its two loads
// per multiply–add). It panics if rows is too short.
func DotStrided(out []float64, rows []float64, stride int, y []float64) {
	d := len(y)
	if len(out) > 0 && (stride < d || len(rows) < (len(out)-1)*stride+d) {
		panic("vec: length mismatch")
	}
	i := 0
	if useAsm && d > 0 {
		var o [3]float64
		for ; i+3 <= len(out); i += 3 {
			dot3Asm(&rows[i*stride], &rows[(i+1)*stride], &rows[(i+2)*stride], &y[0], d, &o)
			copy(out[i:i+3], o[:])
		}
	}
	for ; i < len(out); i++ {
		out[i] = dotGo(rows[i*stride:i*stride+d], y)
	}
}

// AddRows sets y += Σ_j a_j·x_j over the len(a) rows x_j =
// rows[j·d:(j+1)·d], d = len(y), with the bits of AddScaled for j = 0, 1,
// …: rows go four at a time through AVX2, y loaded and stored once for the
// four. It panics if len(rows) ≠ len(a)·len(y).
func AddRows(y []float64, a []float64, rows []float64) {
	d := len(y)
	if len(rows) != len(a)*d {
		panic("vec: length mismatch")
	}
	j := 0
	if useAsm && d > 0 {
		for ; j+4 <= len(a); j += 4 {
			axpy4Asm(&y[0], d, (*[4]float64)(a[j:j+4]), &rows[j*d], &rows[(j+1)*d], &rows[(j+2)*d], &rows[(j+3)*d])
		}
	}
	for ; j < len(a); j++ {
		axpyGo(a[j], rows[j*d:(j+1)*d], y)
	}
}
