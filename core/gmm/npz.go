package gmm

import (
	"errors"
	"fmt"
	"io"
	"math"

	"codeberg.org/sbinet/npyio/npz"

	"tweedie/core/img"
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
// residual_variance[k]·(I − bases[k] @ bases[k].T). Every component must have
// the same rank q; m must Validate.
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
	means := make([][]float64, K)
	eigen := make([][]float64, K)
	bases := make([][][]float64, K)
	for k := range m.Components {
		c := &m.Components[k]
		if c.Rank() != q {
			return fmt.Errorf("gmm: npz export needs equal ranks: component %d has rank %d, component 0 has %d", k, c.Rank(), q)
		}
		weights[k], resid[k] = c.Weight, c.Resid
		means[k] = c.Mean
		eigen[k] = c.Eigen
		bases[k] = make([][]float64, d)
		for i := range bases[k] {
			row := make([]float64, q)
			for j := range row {
				row[j] = c.Basis[j*d+i]
			}
			bases[k][i] = row
		}
	}
	zw := npz.NewWriter(w)
	for _, e := range []struct {
		name string
		v    any
	}{
		{npzWeights, weights},
		{npzMeans, means},
		{npzBases, bases},
		{npzEigen, eigen},
		{npzResid, resid},
		{npzHeight, int64(m.Shape.H)},
		{npzWidth, int64(m.Shape.W)},
		{npzChannels, int64(m.Shape.C)},
	} {
		if err := zw.Write(e.name+".npy", e.v); err != nil {
			zw.Close()
			return fmt.Errorf("gmm: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gmm: %w", err)
	}
	return nil
}

// ReadNPZ reads a mixture written by WriteNPZ (entry names with or without
// the ".npy" suffix). The result must Validate.
func ReadNPZ(r io.ReaderAt, size int64) (*Mixture, error) {
	zr, err := npz.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("gmm: %w", err)
	}
	defer zr.Close()
	names := make(map[string]string)
	for _, key := range zr.Keys() {
		names[key] = key
		if len(key) > 4 && key[len(key)-4:] == ".npy" {
			names[key[:len(key)-4]] = key
		}
	}
	shapeOf := func(name string) ([]int, error) {
		key, ok := names[name]
		if !ok {
			return nil, fmt.Errorf("gmm: npz has no array %q", name)
		}
		h := zr.Header(key)
		if h == nil {
			return nil, fmt.Errorf("gmm: npz array %q has no header", name)
		}
		return h.Descr.Shape, nil
	}
	read := func(name string, want []int, ptr any) error {
		shape, err := shapeOf(name)
		if err != nil {
			return err
		}
		if !equalInts(shape, want) {
			return fmt.Errorf("gmm: npz array %q has shape %v, want %v", name, shape, want)
		}
		if err := zr.Read(names[name], ptr); err != nil {
			return fmt.Errorf("gmm: %w", err)
		}
		return nil
	}

	var hwc [3]int64
	for i, name := range []string{npzHeight, npzWidth, npzChannels} {
		if err := read(name, nil, &hwc[i]); err != nil {
			return nil, err
		}
		if hwc[i] <= 0 || hwc[i] > math.MaxInt32 {
			return nil, fmt.Errorf("gmm: npz %s = %d", name, hwc[i])
		}
	}
	shape := img.Shape{H: int(hwc[0]), W: int(hwc[1]), C: int(hwc[2])}
	d := shape.Len()
	ws, err := shapeOf(npzWeights)
	if err != nil {
		return nil, err
	}
	es, err := shapeOf(npzEigen)
	if err != nil {
		return nil, err
	}
	if len(ws) != 1 || len(es) != 2 {
		return nil, fmt.Errorf("gmm: npz weights shape %v, eigenvalues shape %v", ws, es)
	}
	K, q := ws[0], es[1]
	var weights, means, bases, eigen, resid []float64
	for _, a := range []struct {
		name  string
		shape []int
		dst   *[]float64
	}{
		{npzWeights, []int{K}, &weights},
		{npzMeans, []int{K, d}, &means},
		{npzBases, []int{K, d, q}, &bases},
		{npzEigen, []int{K, q}, &eigen},
		{npzResid, []int{K}, &resid},
	} {
		if err := read(a.name, a.shape, a.dst); err != nil {
			return nil, err
		}
		n := 1
		for _, s := range a.shape {
			n *= s
		}
		if len(*a.dst) != n {
			return nil, fmt.Errorf("gmm: npz array %q has %d values, want %d", a.name, len(*a.dst), n)
		}
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
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
