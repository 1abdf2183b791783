package gmm

import (
	"fmt"
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
		for pass := 0; pass < 2; pass++ { // Gaussian rows start far from orthogonal
			if err := Orthonormalize(c.Basis, q, d, math.Inf(1)); err != nil {
				panic(err) // independent with probability 1
			}
		}
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
// by one pass of modified Gram–Schmidt:
//
//	u_i ← u_i − Σ_{j<i} (u_i·u_j)·u_j,   u_i ← u_i/‖u_i‖.
//
// tol bounds how far from orthonormal the rows may be to begin with: every
// projection u_i·u_j and every ‖u_i‖² − 1 met during the pass (a check for
// corrupted bases); math.Inf(1) accepts any rows. It returns an error,
// leaving basis partly changed, for a length mismatch, rows beyond tol, or
// rows that are dependent or not finite. A second pass brings rows that
// started far from orthogonal to rounding error.
func Orthonormalize(basis []float64, q, d int, tol float64) error {
	if len(basis) != q*d {
		return fmt.Errorf("basis has length %d, want q·d = %d", len(basis), q*d)
	}
	for i := 0; i < q; i++ {
		ui := basis[i*d : (i+1)*d]
		for j := 0; j < i; j++ {
			uj := basis[j*d : (j+1)*d]
			dot := floats.Dot(ui, uj)
			if !(math.Abs(dot) <= tol) {
				return fmt.Errorf("basis directions %d and %d are not orthogonal (dot %v)", i, j, dot)
			}
			floats.AddScaled(ui, -dot, uj)
		}
		nrm2 := floats.Dot(ui, ui)
		if !(math.Abs(nrm2-1) <= tol) || !(nrm2 > 1e-24) || math.IsInf(nrm2, 0) {
			return fmt.Errorf("basis direction %d has squared norm %v", i, nrm2)
		}
		floats.Scale(1/math.Sqrt(nrm2), ui)
	}
	return nil
}
