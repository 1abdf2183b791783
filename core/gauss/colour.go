package gauss

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ImageNet's pixel statistics in [0, 1], as fb.resnet.torch's
// datasets/imagenet.lua states them (see the package doc).
var (
	imagenetMean = [3]float64{0.485, 0.456, 0.406}
	imagenetStd  = [3]float64{0.229, 0.224, 0.225}
	// imagenetPCA is the colour covariance V·diag(eigval)·Vᵀ of the same
	// file's pca table; only its correlation is used.
	imagenetEigval = [3]float64{0.2175, 0.0188, 0.0045}
	imagenetEigvec = [3][3]float64{ // rows R, G, B; columns the eigenvectors
		{-0.5675, 0.7192, 0.4009},
		{-0.5808, -0.0045, -0.8140},
		{-0.5836, -0.6948, 0.4203},
	}
)

// colour is the colour covariance K (C×C) of a prior with C channels, its
// eigen-decomposition K = Q·diag(κ)·Qᵀ and the mean colour μ_c, all in
// [−1, 1] units.
type colour struct {
	c     int
	cov   []float64 // K, C×C row-major
	q     []float64 // Q, C×C row-major: q[c·C+k] is channel c of eigenvector k
	kappa []float64 // κ_k > 0, in the order of Q's columns
	mean  []float64 // μ_c
}

// rgbCovariance returns K = D·R·D for RGB in [−1, 1]: R the correlation
// of the PCA covariance and D = diag(2·std) (see the package doc).
func rgbCovariance() [3][3]float64 {
	var pca, k [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for e := range 3 {
				pca[i][j] += imagenetEigvec[i][e] * imagenetEigval[e] * imagenetEigvec[j][e]
			}
		}
	}
	for i := range 3 {
		for j := range 3 {
			corr := pca[i][j] / math.Sqrt(pca[i][i]*pca[j][j])
			k[i][j] = corr * (2 * imagenetStd[i]) * (2 * imagenetStd[j])
		}
	}
	return k
}

// newColour returns the colour statistics of a prior with c = 1 or 3
// channels: RGB, or their mean (R + G + B)/3 for grey.
func newColour(c int) (*colour, error) {
	rgb := rgbCovariance()
	col := &colour{c: c}
	switch c {
	case 3:
		for i := range 3 {
			col.cov = append(col.cov, rgb[i][:]...)
			col.mean = append(col.mean, 2*imagenetMean[i]-1)
		}
	case 1:
		v, m := 0.0, 0.0
		for i := range 3 {
			for j := range 3 {
				v += rgb[i][j] / 9
			}
			m += (2*imagenetMean[i] - 1) / 3
		}
		col.cov, col.mean = []float64{v}, []float64{m}
	default:
		return nil, fmt.Errorf("gauss: %d channels, want 1 or 3", c)
	}
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(c, append([]float64(nil), col.cov...)), true) {
		return nil, fmt.Errorf("gauss: the colour covariance's eigen-decomposition failed")
	}
	col.kappa = eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	col.q = make([]float64, c*c)
	for i := range c {
		for k := range c {
			col.q[i*c+k] = vecs.At(i, k)
		}
	}
	for _, kv := range col.kappa {
		if !(kv > 0) {
			return nil, fmt.Errorf("gauss: the colour covariance is not positive definite (eigenvalue %v)", kv)
		}
	}
	return col, nil
}

// ColourCovariance returns the colour covariance K (C×C, row-major), in [−1, 1]
// units.
func (p *Prior) ColourCovariance() []float64 { return append([]float64(nil), p.col.cov...) }

// ColourMean returns the mean colour μ_c, in [−1, 1] units.
func (p *Prior) ColourMean() []float64 { return append([]float64(nil), p.col.mean...) }
