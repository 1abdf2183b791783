package method

import "context"

// none samples unconditionally: y is ignored (the baseline).
func init() {
	Register(&Method{
		Name: "none", Label: "none", Order: 100, Baseline: true,
		Summary: "unconditional sampling: y is ignored",
		Needs:   func(Values) Cap { return 0 },
		Cost:    OneEval,
		Bind: func(p *Problem, _ Values) (Guide, error) {
			ms, err := newMeasurement(p)
			return &none{ms}, err
		},
		Formula: func(Values, Frame) [2]string {
			return [2]string{"none  x_{t−1} ~ p(x_{t−1} | x_t): unconditional, y is ignored", ""}
		},
	})
}

type none struct{ measurement }

func (g *none) Guide(_ context.Context, st *State, out *Output) error {
	clear(out.ScoreY)
	clear(out.Corr)
	out.Target, out.Residual = NoCorrection, g.residual(st.X0Hat)
	return nil
}
