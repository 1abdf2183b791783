package run

import (
	"errors"
	"fmt"
	"math"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// Problem is an inverse problem with a known ground truth: y = A(x0) + σ·z.
// It is immutable once made, so one Problem serves every run of a setting
// (each Runner clones the operator, which keeps scratch buffers).
type Problem struct {
	Prior denoiser.Prior
	Op    operator.Operator
	// Truth is the ground truth x0, length d.
	Truth []float64
	// Sigma is the measurement noise σ ≥ 0: the one copy of it.
	Sigma float64
	// Y is the measurement A(Truth) + σ·z.
	Y []float64
	// Offer is what the problem offers the methods, decided once here.
	Offer method.Offer
}

// NewProblem measures truth through op with noise σ·z, z drawn from noiseSeed.
// The same noiseSeed gives the same z for every σ, so changing σ rescales
// one fixed noise draw.
func NewProblem(prior denoiser.Prior, op operator.Operator, truth []float64, sigma float64, noiseSeed uint64) (*Problem, error) {
	d := op.InShape().Len()
	switch {
	case prior == nil:
		return nil, errors.New("no prior")
	case math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma < 0:
		return nil, fmt.Errorf("σ = %v: want a finite number ≥ 0", sigma)
	case len(truth) != d:
		return nil, fmt.Errorf("ground truth has %d values, operator %s takes %v = %d", len(truth), op.Name(), op.InShape(), d)
	case prior.ImageShape() != op.InShape():
		return nil, fmt.Errorf("prior's images are %v, operator %s takes %v", prior.ImageShape(), op.Name(), op.InShape())
	}
	y := op.Apply(make([]float64, op.OutLen()), truth)
	z := sampler.NewNoise(noiseSeed).Fill(make([]float64, len(y)))
	for i := range y {
		y[i] += sigma * z[i]
	}
	return &Problem{Prior: prior, Op: op, Truth: truth, Sigma: sigma, Y: y, Offer: offer(prior, op, sigma)}, nil
}

// offer states what a problem offers: the one place that decides it.
func offer(prior denoiser.Prior, op operator.Operator, sigma float64) method.Offer {
	// Particles: the runner steps particle methods (their guides keep the population).
	o := method.Offer{Op: op.Name(), Caps: method.Particles}
	if denoiser.CanVJP(prior) {
		o.Caps |= method.VJP
	}
	_, isLin := op.(operator.Linear)
	linear := isLin && op.Linear()
	if linear {
		o.Caps |= method.Linear | method.PseudoInverse
		if _, ok := op.(operator.Spectral); ok {
			o.Caps |= method.Spectral
		}
	} else if _, ok := op.(operator.PseudoInverter); ok {
		o.Caps |= method.PseudoInverse
	}
	if sigma > 0 {
		o.Caps |= method.PositiveSigma
	}
	_, exact := prior.(denoiser.ExactPrior)
	switch {
	case !exact:
		o.NoExact = "the exact guidance needs an exact prior"
	case !linear:
		o.NoExact = fmt.Sprintf("the exact guidance needs a linear operator (%s is nonlinear)", op.Name())
	case sigma <= 0:
		o.NoExact = "the exact guidance needs σ > 0"
	default:
		o.Caps |= method.Exact
	}
	return o
}

// Shape is the shape of the images the problem is about.
func (p *Problem) Shape() img.Shape { return p.Op.InShape() }

// Residual is ‖y − A(x)‖, how far a sample x is from explaining the
// measurement. It applies a clone of the operator, so it is safe on any
// goroutine.
func (p *Problem) Residual(x []float64) float64 {
	ax := p.Op.Clone().Apply(make([]float64, len(p.Y)), x)
	s := 0.0
	for i, v := range p.Y {
		d := v - ax[i]
		s += d * d
	}
	return math.Sqrt(s)
}

// HasExact reports whether the problem has an exact posterior and exact guidance.
func (p *Problem) HasExact() bool { return p.Offer.Has(method.Exact) }

// newExact returns the exact guidance for a runner's own operator, or nil
// and the reason there is none.
func (p *Problem) newExact(op operator.Operator) (denoiser.Exact, error) {
	if !p.HasExact() {
		return nil, errors.New(p.Offer.NoExact)
	}
	eg, err := p.Prior.(denoiser.ExactPrior).NewExactGuidance(op.(operator.Linear), p.Y, p.Sigma)
	if err != nil {
		return nil, fmt.Errorf("exact guidance: %w", err)
	}
	return eg, nil
}
