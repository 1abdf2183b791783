package gmm

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/img"
)

// Random returns a synthetic mixture of K components of rank q over images
// of the given shape, for tests and benchmarks: means uniform in [-0.8, 0.8],
// orthonormal bases from Gram–Schmidt on Gaussian vectors, eigenvalues
// uniform in [0.05, 0.5], residual variances uniform in [0.005, 0.05], and
// weights uniform in [0.5, 1.5] then normalised. The same seed gives the
// same mixture.
func Random(shape img.Shape, K, q int, seed uint64) *Mixture {
	rng := rand.New(rand.NewPCG(seed, 0x6d697874757265))
	d := shape.Len()
	mix := &Mixture{Shape: shape, Components: make([]Component, K)}
	total := 0.0
	for k := range mix.Components {
		c := &mix.Components[k]
		c.Weight = 0.5 + rng.Float64()
		total += c.Weight
		c.Mean = make([]float64, d)
		for i := range c.Mean {
			c.Mean[i] = 1.6*rng.Float64() - 0.8
		}
		c.Basis = make([]float64, q*d)
		for i := range c.Basis {
			c.Basis[i] = rng.NormFloat64()
		}
		Orthonormalize(c.Basis, q, d)
		c.Eigen = make([]float64, q)
		for j := range c.Eigen {
			c.Eigen[j] = 0.05 + 0.45*rng.Float64()
		}
		c.Resid = 0.005 + 0.045*rng.Float64()
	}
	for k := range mix.Components {
		mix.Components[k].Weight /= total
	}
	return mix
}

// Orthonormalize makes the q rows of length d in basis orthonormal in place
// by modified Gram–Schmidt, applied twice for accuracy to rounding. It
// panics if len(basis) != q·d or the rows are linearly dependent.
func Orthonormalize(basis []float64, q, d int) {
	if len(basis) != q*d {
		panic("gmm: basis length mismatch")
	}
	for pass := 0; pass < 2; pass++ {
		for j := 0; j < q; j++ {
			uj := basis[j*d : (j+1)*d]
			for i := 0; i < j; i++ {
				ui := basis[i*d : (i+1)*d]
				floats.AddScaled(uj, -floats.Dot(ui, uj), ui)
			}
			n := floats.Norm(uj, 2)
			if !(n > 1e-12) || math.IsInf(n, 0) {
				panic("gmm: basis rows are linearly dependent")
			}
			floats.Scale(1/n, uj)
		}
	}
}
