package run

import (
	"tweedie/core/denoiser"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// Settings describe a whole run declaratively: the operator by its spec, the
// measurement noise and its seed, the sampler and the guidance method with
// the parameter values set explicitly. The explorer edits Settings as keys
// are pressed and rebuilds; `tweedie run` fills them from flags.
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
	// Method is a registered method's name.
	Method string
	// Params are the parameter values set explicitly (by flags or keys),
	// shared by every method with a parameter of that name; the others take
	// their method's default for the operator.
	Params method.Values
}

// DefaultSettings: centre-box inpainting, σ = 0.05, DDPM with 1000 steps,
// ΠG with its defaults (r auto, w = 1).
func DefaultSettings() Settings {
	return Settings{
		Op: "inpaint-box:size=14", Sigma: 0.05, NoiseSeed: 1,
		Sampler: sampler.DDPM, Eta: 1, Steps: 1000, Seed: 1,
		Method: "pig",
	}
}

// Problem makes the problem the settings describe, for a prior and a
// ground-truth image.
func (s Settings) Problem(prior denoiser.Prior, truth []float64) (*Problem, error) {
	op, err := operator.Parse(s.Op, prior.ImageShape())
	if err != nil {
		return nil, err
	}
	return NewProblem(prior, op, truth, s.Sigma, s.NoiseSeed)
}

// Config is the sampler and guidance the settings describe.
func (s Settings) Config() (Config, error) {
	m, err := method.Lookup(s.Method)
	if err != nil {
		return Config{}, err
	}
	return Config{Sampler: s.Sampler, Eta: s.Eta, Steps: s.Steps, Seed: s.Seed, Method: m, Params: s.Params}, nil
}

// Build makes the Problem and Config the settings describe.
func (s Settings) Build(prior denoiser.Prior, truth []float64) (*Problem, Config, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, Config{}, err
	}
	prob, err := s.Problem(prior, truth)
	if err != nil {
		return nil, Config{}, err
	}
	return prob, cfg, nil
}
