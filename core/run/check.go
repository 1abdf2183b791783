package run

import (
	"fmt"
	"math"

	"tweedie/core/denoiser"
	"tweedie/core/method"
	"tweedie/core/operator"
)

// Check returns the settings in canonical form for a prior — the
// operator by its name, the method by its registered name, parameter
// values as their method parses them — or the first setting a run cannot
// take: an operator that does not parse for the prior's images, σ not
// finite or negative, an unknown method, a parameter value it does not
// take, steps outside 1…T (T the prior's), η outside [0, 1]. Errors name
// the setting as its command-line flag does ("--steps 0: …").
func (s Settings) Check(prior denoiser.Prior) (Settings, error) {
	op, err := operator.Parse(s.Op, prior.ImageShape())
	if err != nil {
		return s, fmt.Errorf("--op: %w", err)
	}
	s.Op = op.Name()
	if !finite(s.Sigma) || s.Sigma < 0 {
		return s, fmt.Errorf("--sigma %v: want a finite number ≥ 0", s.Sigma)
	}
	m, err := method.Lookup(s.Method)
	if err != nil {
		return s, fmt.Errorf("--method: %w", err)
	}
	s.Method = m.Name
	params := method.Values{}
	for _, prm := range method.Params() {
		if text, ok := s.Params[prm.Name]; ok {
			if params[prm.Name], err = prm.Parse(text); err != nil {
				return s, fmt.Errorf("--%s %w", prm.Name, err)
			}
		}
	}
	for name := range s.Params {
		if _, ok := params[name]; !ok {
			return s, fmt.Errorf("--%s: no method has this parameter", name)
		}
	}
	s.Params = params
	if _, err := m.Resolve(s.Params, op); err != nil {
		return s, err
	}
	if T := prior.Schedule().T(); s.Steps < 1 || s.Steps > T {
		return s, fmt.Errorf("--steps %d: want 1 ≤ steps ≤ %d", s.Steps, T)
	}
	if !finite(s.Eta) || s.Eta < 0 || s.Eta > 1 {
		return s, fmt.Errorf("--eta %v: want a number in [0, 1]", s.Eta)
	}
	return s, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
