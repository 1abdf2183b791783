package method

import (
	"context"
	"fmt"
)

// The oracle applies the exact likelihood score g* = ∇log p(y|x_t) of an
// exact prior as a score: the sampler steps from
//
//	x̂0 + (1−ᾱ_t)/sqrt(ᾱ_t)·g* = E[x0 | x_t, y],
//
// so its samples are exact posterior samples up to the sampler's
// discretisation: the reference every approximation is measured against.
func init() {
	Register(&Method{
		Name: "oracle", Label: "oracle", Order: 30,
		Summary: "the exact ∇log p(y|x_t) of the exact prior (needs an exact prior, a linear operator and σ > 0)",
		Needs:   func(Values) Cap { return Exact },
		Cost:    OneEval,
		Bind: func(p *Problem, _ Values) (Guide, error) {
			ms, err := newMeasurement(p)
			return &oracle{ms}, err
		},
		Covariance: func(Values) Cov { return CovExact },
		Formula: func(_ Values, f Frame) [2]string {
			return [2]string{
				"oracle  g* = ∇_{x_t} log p(y|x_t), exact for the Gaussian-mixture prior",
				fmt.Sprintf("    x̂0 ← x̂0 + (1−ᾱ_t)/√ᾱ_t · g* = E[x0 | x_t, y],   (1−ᾱ_t)/√ᾱ_t = %s, σ = %s",
					Fmt(TweedieShift(f.AlphaBarT)), Fmt(f.Sigma)),
			}
		},
	})
}

type oracle struct{ measurement }

func (g *oracle) Guide(_ context.Context, st *State, out *Output) error {
	copy(out.ScoreY, st.Exact)
	scaleTo(out.Corr, TweedieShift(st.AlphaBarT), st.Exact)
	out.Target, out.Residual = ToX0Hat, g.residual(st.X0Hat)
	return nil
}
