// Package gmm is the exact Gaussian-mixture prior: a mixture of
// probabilistic-PCA components, its exact denoiser E[x0|x_t] with the
// vector–Jacobian product of second-order Tweedie, and (for linear
// measurements) the exact posterior and exact guidance.
//
// Component k has weight π_k, mean μ_k and covariance
//
//	Σ_k = U_k·diag(λ_k)·U_kᵀ + s_k²·(I − U_k·U_kᵀ),
//
// U_k ∈ R^{d×q} with orthonormal columns. A single exact Gaussian is the
// case K = 1.
package gmm

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"tweedie/core/img"
	"tweedie/core/schedule"
)

// Component is one probabilistic-PCA Gaussian.
type Component struct {
	// Weight is the mixing weight π_k (weights of a Mixture sum to 1).
	Weight float64
	// Mean is μ_k, length d.
	Mean []float64
	// Basis holds the q orthonormal directions of U_k row by row:
	// Basis[j*d:(j+1)*d] is the j-th column u_j of U_k. Length q·d.
	Basis []float64
	// Eigen holds λ_kj, the variance along u_j. Length q.
	Eigen []float64
	// Resid is s_k², the variance in every direction orthogonal to U_k.
	Resid float64
}

// Rank returns q, the number of principal directions.
func (c *Component) Rank() int { return len(c.Eigen) }

// Mixture is a Gaussian-mixture prior over images of one shape.
type Mixture struct {
	Shape      img.Shape
	Components []Component
	// Sched is the noise schedule of the diffusion over the prior; nil
	// means schedule.Default() (T = 1000, β linear from 1e-4 to 0.02).
	Sched *schedule.Schedule

	// Float32Bases makes the hot loops (x̂0, Jᵀv, the exact guidance, all
	// through project and expand) read each basis rounded to float32: half
	// the bytes, and for a large prior the bytes are the cost of a step
	// (the embedded MNIST prior: a 1000-step DPS run 370 → 210 ms). Set it
	// for priors whose bases were stored in float32, as the embedded one
	// was; results then differ from float64 bases by about that rounding
	// (x̂0 by ≤ 1e-7 relative along whole MNIST runs,
	// TestFloat32BasesTrajectory). Closed forms on dense matrices (the
	// posterior, its covariance, A·U_k) keep the float64 Basis.
	Float32Bases bool

	hot struct {
		once  sync.Once
		bases []basis
	}
}

// bases returns what project and expand read of each component's basis,
// built on the first call; the mixture must not change after it.
func (m *Mixture) bases() []basis {
	m.hot.once.Do(func() {
		m.hot.bases = make([]basis, len(m.Components))
		for k := range m.Components {
			m.hot.bases[k] = newBasis(m.Components[k].Basis, m.Float32Bases)
		}
	})
	return m.hot.bases
}

// Schedule returns the mixture's noise schedule.
func (m *Mixture) Schedule() *schedule.Schedule {
	if m.Sched == nil {
		return schedule.Default()
	}
	return m.Sched
}

// ImageShape returns the shape of the images the prior is over.
func (m *Mixture) ImageShape() img.Shape { return m.Shape }

// Dim returns d, the length of a flattened image.
func (m *Mixture) Dim() int { return m.Shape.Len() }

// Validate checks lengths, positivity, finite means, normalised weights and
// (to 1e-6) orthonormal bases (so no NaN or infinity passes).
func (m *Mixture) Validate() error {
	if !m.Shape.Valid() {
		return fmt.Errorf("gmm: invalid shape %v", m.Shape)
	}
	if len(m.Components) == 0 {
		return errors.New("gmm: mixture has no components")
	}
	d := m.Dim()
	sum := 0.0
	for k := range m.Components {
		c := &m.Components[k]
		q := c.Rank()
		switch {
		case !(c.Weight > 0) || math.IsInf(c.Weight, 0):
			return fmt.Errorf("gmm: component %d: weight %v is not positive", k, c.Weight)
		case len(c.Mean) != d:
			return fmt.Errorf("gmm: component %d: mean has length %d, want %d", k, len(c.Mean), d)
		case len(c.Basis) != q*d:
			return fmt.Errorf("gmm: component %d: basis has length %d, want q·d = %d", k, len(c.Basis), q*d)
		case !(c.Resid > 0) || math.IsInf(c.Resid, 0):
			return fmt.Errorf("gmm: component %d: residual variance %v is not positive", k, c.Resid)
		case q > d:
			return fmt.Errorf("gmm: component %d: rank %d exceeds dimension %d", k, q, d)
		}
		for i, v := range c.Mean {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("gmm: component %d: mean value %d is %v, not finite", k, i, v)
			}
		}
		for j, l := range c.Eigen {
			if !(l > 0) || math.IsInf(l, 0) {
				return fmt.Errorf("gmm: component %d: eigenvalue %d is %v, not positive", k, j, l)
			}
		}
		for i := 0; i < q; i++ {
			ui := c.Basis[i*d : (i+1)*d]
			for j := 0; j <= i; j++ {
				uj := c.Basis[j*d : (j+1)*d]
				dot := 0.0
				for n := range ui {
					dot += ui[n] * uj[n]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if !(math.Abs(dot-want) <= 1e-6) { // NaN fails too
					return fmt.Errorf("gmm: component %d: basis not orthonormal (u%d·u%d = %v)", k, i, j, dot)
				}
			}
		}
		sum += c.Weight
	}
	if !(math.Abs(sum-1) <= 1e-6) {
		return fmt.Errorf("gmm: weights sum to %v, not 1", sum)
	}
	return nil
}

// Classify returns the component most likely to have produced x0,
// argmax_k π_k·N(x0; μ_k, Σ_k), and its responsibility p(k | x0). For a
// posterior sample this is also argmax_k p(k | x0, y): y depends on k only
// through x0.
func (m *Mixture) Classify(x0 []float64) (int, float64) {
	d := m.Dim()
	r := make([]float64, d)
	p := make([]float64, 0, 64)
	logW := make([]float64, len(m.Components))
	best := 0
	bases := m.bases()
	for k := range m.Components {
		c := &m.Components[k]
		residualTo(r, x0, c.Mean, 1)
		if cap(p) < c.Rank() {
			p = make([]float64, c.Rank())
		}
		logW[k] = logComponent(c, newLevel(c, 1, d), 1, r, project(p, bases[k], r))
		if logW[k] > logW[best] {
			best = k
		}
	}
	normalizeLog(logW)
	return best, math.Exp(logW[best])
}
