package run

import (
	"tweedie/core/denoiser"
	"tweedie/core/guidance"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// Settings describe a whole run declaratively: the operator by its spec, the
// measurement noise and its seed, the sampler and the guidance. The explorer
// edits Settings as keys are pressed and rebuilds; `tweedie run` fills them
// from flags.
type Settings struct {
	// Op is an operator spec such as "inpaint-box:size=14" (see operator.Parse).
	Op string
	// Sigma is the measurement noise σ; NoiseSeed fixes its draw z.
	Sigma     float64
	NoiseSeed uint64
	Sampler   sampler.Kind
	Eta       float64
	Steps     int
	Seed      uint64
	Guidance  guidance.Params
}

// DefaultSettings are the defaults of ../shared/notes/math.md: centre-box
// inpainting, σ = 0.05, DDPM with 1000 steps, ΠG with r auto and w = 1,
// ζ as published for the operator.
func DefaultSettings() Settings {
	return Settings{
		Op: "inpaint-box:size=14", Sigma: 0.05, NoiseSeed: 1,
		Sampler: sampler.DDPM, Eta: 1, Steps: 1000, Seed: 1,
		Guidance: guidance.Params{Method: guidance.PiG, Sigma: 0.05, RAuto: true, R: 0.1, Weight: 1, Zeta: 0.5},
	}
}

// Build makes the Problem and Config the settings describe, for a prior and
// a ground-truth image.
func (s Settings) Build(prior denoiser.Factory, truth []float64) (*Problem, Config, error) {
	op, err := operator.Parse(s.Op, prior.ImageShape())
	if err != nil {
		return nil, Config{}, err
	}
	prob, err := NewProblem(prior, op, truth, s.Sigma, s.NoiseSeed)
	if err != nil {
		return nil, Config{}, err
	}
	g := s.Guidance
	g.Sigma = s.Sigma
	return prob, Config{Sampler: s.Sampler, Eta: s.Eta, Steps: s.Steps, Seed: s.Seed, Guidance: g}, nil
}
