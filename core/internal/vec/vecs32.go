package vec

// DotRows32Vecs sets out[b][j] = x_j·ys[b] for every vector ys[b] and the
// rows x_j of a float32 matrix, d = len(ys[b]): DotRows32 for each vector,
// with its bits. With AVX-512, four vectors at a time share each widened
// block of two rows, so a basis is read once for four vectors. It panics
// if the lengths differ.
func DotRows32Vecs(out [][]float64, rows []float32, ys [][]float64) {
	if len(out) != len(ys) {
		panic("vec: length mismatch")
	}
	b := 0
	if useAVX512 && len(ys) >= 4 && len(ys[0]) > 0 {
		d := len(ys[0])
		q := len(rows) / d
		for ; b+4 <= len(ys); b += 4 {
			y := fourVecs(ys[b:b+4], out[b:b+4], d, q, len(rows))
			var o [8]float64
			j := 0
			for ; j+2 <= q; j += 2 {
				dot2x4f(&rows[j*d], d, &y, d, &o)
				for i := range 4 {
					out[b+i][j], out[b+i][j+1] = o[2*i], o[2*i+1]
				}
			}
			if j < q {
				for i := b; i < b+4; i++ {
					DotRows32(out[i][j:], rows[j*d:], ys[i])
				}
			}
		}
	}
	for ; b < len(ys); b++ {
		DotRows32(out[b], rows, ys[b])
	}
}

// AddRows32Vecs sets ys[b] += Σ_j as[b][j]·x_j for every vector: AddRows32
// for each, with its bits. With AVX-512, four vectors at a time share each
// widened block of four rows. It panics if the lengths differ.
func AddRows32Vecs(ys [][]float64, as [][]float64, rows []float32) {
	if len(as) != len(ys) {
		panic("vec: length mismatch")
	}
	b := 0
	if useAVX512 && len(ys) >= 4 && len(ys[0]) > 0 {
		d := len(ys[0])
		q := len(rows) / d
		for ; b+4 <= len(ys); b += 4 {
			y := fourVecs(ys[b:b+4], as[b:b+4], d, q, len(rows))
			var a [16]float64
			j := 0
			for ; j+4 <= q; j += 4 {
				for i := range 4 {
					copy(a[4*i:4*i+4], as[b+i][j:j+4])
				}
				axpy4x4f(&y, d, &a, &rows[j*d], d)
			}
			if j < q {
				for i := b; i < b+4; i++ {
					AddRows32(ys[i], as[i][j:], rows[j*d:])
				}
			}
		}
	}
	for ; b < len(ys); b++ {
		AddRows32(ys[b], as[b], rows)
	}
}

// fourVecs checks that the four vectors ys have length d, the four per-row
// slices perRow length q and the rows q·d numbers, and returns the
// vectors' first elements for the kernels. It panics if not.
func fourVecs(ys, perRow [][]float64, d, q, rows int) [4]*float64 {
	for i := range 4 {
		if len(ys[i]) != d || len(perRow[i]) != q || rows != q*d {
			panic("vec: length mismatch")
		}
	}
	return [4]*float64{&ys[0][0], &ys[1][0], &ys[2][0], &ys[3][0]}
}
