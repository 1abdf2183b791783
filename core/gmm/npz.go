package gmm

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"tweedie/core/img"
	"tweedie/core/npz"
)

// NPZ array names written by WriteNPZ. numpy.load exposes each entry
// "name.npy" under the key "name".
const (
	npzWeights  = "weights"
	npzMeans    = "means"
	npzBases    = "bases"
	npzEigen    = "eigenvalues"
	npzResid    = "residual_variance"
	npzHeight   = "height"
	npzWidth    = "width"
	npzChannels = "channels"
)

// WriteNPZ writes m as a NumPy .npz archive of float64 arrays, for use
// from Python:
//
//	weights            (K,)       π_k
//	means              (K, d)     μ_k
//	bases              (K, d, q)  U_k, column j is u_kj
//	eigenvalues        (K, q)     λ_kj
//	residual_variance  (K,)       s_k²
//	height, width, channels       int64 scalars
//
// so that Σ_k = bases[k] @ diag(eigenvalues[k]) @ bases[k].T +
// residual_variance[k]·(I − bases[k] @ bases[k].T). Shapes are written in
// full, so a mixture of rank q = 0 has bases of shape (K, d, 0). Every
// component must have the same rank q; m must Validate.
func WriteNPZ(w io.Writer, m *Mixture) error {
	if m == nil {
		return errors.New("gmm: nil mixture")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	K, d, q := len(m.Components), m.Dim(), m.Components[0].Rank()
	weights := make([]float64, K)
	resid := make([]float64, K)
	means := make([]float64, 0, K*d)
	eigen := make([]float64, 0, K*q)
	bases := make([]float64, K*d*q) // [k][i][j] = u_kj[i]
	for k := range m.Components {
		c := &m.Components[k]
		if c.Rank() != q {
			return fmt.Errorf("gmm: npz export needs equal ranks: component %d has rank %d, component 0 has %d", k, c.Rank(), q)
		}
		weights[k], resid[k] = c.Weight, c.Resid
		means = append(means, c.Mean...)
		eigen = append(eigen, c.Eigen...)
		for j := 0; j < q; j++ {
			for i, u := range c.Basis[j*d : (j+1)*d] {
				bases[(k*d+i)*q+j] = u
			}
		}
	}
	zw := npz.NewWriter(w)
	zw.Write(npzWeights, npz.Float64, []int{K}, weights)
	zw.Write(npzMeans, npz.Float64, []int{K, d}, means)
	zw.Write(npzBases, npz.Float64, []int{K, d, q}, bases)
	zw.Write(npzEigen, npz.Float64, []int{K, q}, eigen)
	zw.Write(npzResid, npz.Float64, []int{K}, resid)
	zw.Write(npzHeight, npz.Int64, nil, []float64{float64(m.Shape.H)})
	zw.Write(npzWidth, npz.Int64, nil, []float64{float64(m.Shape.W)})
	zw.Write(npzChannels, npz.Int64, nil, []float64{float64(m.Shape.C)})
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gmm: %w", err)
	}
	return nil
}

// MaxNPZValues bounds the float64 values of a mixture ReadNPZ reads
// (512 MiB), and maxNPZWork the K·q²·d of checking its bases orthonormal:
// both are checked from the array headers before any array is read.
const (
	MaxNPZValues = 1 << 26
	maxNPZWork   = 1 << 34
)

// maxNPZSide bounds the height, width and channels of an npz mixture.
const maxNPZSide = 1 << 14

// ReadNPZ reads a mixture written by WriteNPZ (entry names with or without
// the ".npy" suffix; arrays '<f8' and scalars '<i8', as numpy writes them
// on little-endian machines). The result must Validate. Malformed or
// oversized input gives an error: it never panics and allocates only what
// the bounds above allow.
func ReadNPZ(r io.ReaderAt, size int64) (*Mixture, error) {
	m, err := readNPZ(r, size)
	if err != nil {
		return nil, fmt.Errorf("gmm: npz: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func readNPZ(r io.ReaderAt, size int64) (*Mixture, error) {
	zr, err := npz.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	// header reads an array's header, which must have the dtype and,
	// unless want is nil, the shape want.
	header := func(name string, dt npz.DType, want []int) (npz.Header, error) {
		h, err := zr.Header(name)
		switch {
		case err != nil:
			return h, err
		case h.DType != dt:
			err = fmt.Errorf("dtype %q, want %q", h.DType, dt)
		case want != nil && !slices.Equal(h.Shape, want):
			err = fmt.Errorf("shape %v, want %v", h.Shape, want)
		}
		if err != nil {
			return h, fmt.Errorf("array %q: %w", name, err)
		}
		return h, nil
	}
	// read reads a float64 array of the given shape, whose size the
	// caller has bounded.
	read := func(name string, shape ...int) ([]float64, error) {
		if _, err := header(name, npz.Float64, shape); err != nil {
			return nil, err
		}
		a, err := zr.Read(name, MaxNPZValues)
		return a.Data, err
	}
	// dims reads the shape of a float64 array of the given rank from its header.
	dims := func(name string, rank int) ([]int, error) {
		h, err := header(name, npz.Float64, nil)
		if err != nil {
			return nil, err
		}
		if len(h.Shape) != rank {
			return nil, fmt.Errorf("array %q has shape %v, want %d dimensions", name, h.Shape, rank)
		}
		return h.Shape, nil
	}

	var hwc [3]int
	for i, name := range []string{npzHeight, npzWidth, npzChannels} {
		if _, err := header(name, npz.Int64, []int{}); err != nil {
			return nil, err
		}
		a, err := zr.Read(name, 1)
		if err != nil {
			return nil, err
		}
		if n := a.Data[0]; n < 1 || n > maxNPZSide {
			return nil, fmt.Errorf("%s = %v, want 1 to %d", name, n, maxNPZSide)
		}
		hwc[i] = int(a.Data[0])
	}
	shape := img.Shape{H: hwc[0], W: hwc[1], C: hwc[2]}
	d := shape.Len() // ≤ 2^42: no overflow
	ws, err := dims(npzWeights, 1)
	if err != nil {
		return nil, err
	}
	es, err := dims(npzEigen, 2)
	if err != nil {
		return nil, err
	}
	K, q := ws[0], es[1]
	if K < 1 {
		return nil, errors.New("no components")
	}
	if q > d {
		return nil, fmt.Errorf("rank %d exceeds dimension %d", q, d)
	}
	if d > MaxNPZValues {
		return nil, fmt.Errorf("dimension %d: more than %d values", d, MaxNPZValues)
	}
	if per := 2 + d + q + d*q; K > MaxNPZValues/per { // values per component: d, q ≤ 2^26
		return nil, fmt.Errorf("%d components of %d values each: more than %d values", K, per, MaxNPZValues)
	}
	if q > 0 && K*q > maxNPZWork/q/d {
		return nil, fmt.Errorf("K·q²·d = %d·%d²·%d is beyond the limit %d", K, q, d, int64(maxNPZWork))
	}
	weights, err := read(npzWeights, K)
	if err != nil {
		return nil, err
	}
	eigen, err := read(npzEigen, K, q)
	if err != nil {
		return nil, err
	}
	resid, err := read(npzResid, K)
	if err != nil {
		return nil, err
	}
	means, err := read(npzMeans, K, d)
	if err != nil {
		return nil, err
	}
	bases, err := read(npzBases, K, d, q)
	if err != nil {
		return nil, err
	}
	m := &Mixture{Shape: shape, Components: make([]Component, K)}
	for k := range m.Components {
		c := &m.Components[k]
		c.Weight = weights[k]
		c.Resid = resid[k]
		c.Mean = means[k*d : (k+1)*d : (k+1)*d]
		c.Eigen = eigen[k*q : (k+1)*q : (k+1)*q]
		c.Basis = make([]float64, q*d)
		b := bases[k*d*q : (k+1)*d*q]
		for i := 0; i < d; i++ {
			for j := 0; j < q; j++ {
				c.Basis[j*d+i] = b[i*q+j]
			}
		}
	}
	return m, nil
}
