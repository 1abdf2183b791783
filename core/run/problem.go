package run

import (
	"errors"
	"fmt"
	"math"

	"tweedie/core/denoiser"
	"tweedie/core/guidance"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// Problem is an inverse problem with a known ground truth: y = A(x0) + σ·z.
type Problem struct {
	Prior denoiser.Factory
	Op    operator.Operator
	// Truth is the ground truth x0, length d.
	Truth []float64
	// Sigma is the measurement noise σ ≥ 0.
	Sigma float64
	// Y is the measurement A(Truth) + σ·z.
	Y []float64
}

// NewProblem measures truth through op with noise σ·z, z drawn from noiseSeed.
// The same noiseSeed gives the same z for every σ, so changing σ rescales
// one fixed noise draw.
func NewProblem(prior denoiser.Factory, op operator.Operator, truth []float64, sigma float64, noiseSeed uint64) (*Problem, error) {
	d := op.InShape().Len()
	switch {
	case prior == nil:
		return nil, errors.New("no prior")
	case math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma < 0:
		return nil, fmt.Errorf("σ = %v: want a finite number ≥ 0", sigma)
	case len(truth) != d:
		return nil, fmt.Errorf("ground truth has %d values, operator %s takes %v = %d", len(truth), op.Name(), op.InShape(), d)
	}
	if dn := prior.NewDenoiser(); dn.Dim() != d {
		return nil, fmt.Errorf("prior has dimension %d, operator %s takes %v = %d", dn.Dim(), op.Name(), op.InShape(), d)
	}
	y := op.Apply(make([]float64, op.OutLen()), truth)
	z := sampler.NewNoise(noiseSeed).Fill(make([]float64, len(y)))
	for i := range y {
		y[i] += sigma * z[i]
	}
	return &Problem{Prior: prior, Op: op, Truth: truth, Sigma: sigma, Y: y}, nil
}

// Shape is the shape of the images the problem is about.
func (p *Problem) Shape() img.Shape { return p.Op.InShape() }

// exactGuidance returns the exact guidance when the prior is exact and the
// operator linear with σ > 0, and nil otherwise.
func (p *Problem) exactGuidance() guidance.Exact {
	ep, ok := p.Prior.(guidance.ExactPrior)
	lin, isLin := p.Op.(operator.Linear)
	if !ok || !isLin || !p.Op.Linear() || p.Sigma <= 0 {
		return nil
	}
	eg, err := ep.NewExactGuidance(lin, p.Y, p.Sigma)
	if err != nil {
		return nil
	}
	return eg
}
