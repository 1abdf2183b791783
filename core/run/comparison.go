package run

import (
	"slices"

	"tweedie/core/denoiser"
	"tweedie/core/method"
)

// Comparison fills in the comparison of recorded steps with the exact
// guidance away from the Runner: it has its own exact guidance and scratch,
// and works from a step's kept rows (immutable once written) and a copy of
// its record, so it may run on another goroutine while the Runner goes on.
// It computes what CompareExact computes, to the bit.
type Comparison struct {
	exact      denoiser.Exact
	xt, g, out []float64
}

// CompareInput is what a Comparison needs of one step: its record and its
// x_t and g rows, with u* = Shift·g* the exact update.
type CompareInput struct {
	Rec   Record
	Xt, G []float32
	Shift float64
}

// NewComparison returns a Comparison for the run's problem, or nil when
// the problem has no exact guidance.
func (r *Runner) NewComparison() (*Comparison, error) {
	if r.exact == nil {
		return nil, nil
	}
	ex, err := r.prob.newExact(r.prob.Op.Clone())
	if err != nil {
		return nil, err
	}
	d := r.prob.Shape().Len()
	return &Comparison{exact: ex, xt: make([]float64, d), g: make([]float64, d), out: make([]float64, d)}, nil
}

// CompareInput returns what a Comparison needs of step i, with ok false
// when the trajectory did not keep the step's rows (only the latest step's
// are then there, and they are copied). Call it between steps, on the
// Runner's goroutine.
func (r *Runner) CompareInput(i int) (in CompareInput, ok bool) {
	tr := r.traj
	rows, kept := tr.Rows(i)
	if !kept {
		if i != tr.Done-1 {
			return CompareInput{}, false
		}
		rows, _ = tr.Latest()
		rows.Xt, rows.ScoreY = slices.Clone(rows.Xt), slices.Clone(rows.ScoreY)
	}
	abT, _, co := r.coeffs(i)
	return CompareInput{Rec: tr.Records[i], Xt: rows.Xt, G: rows.ScoreY, Shift: co.A * method.TweedieShift(abT)}, true
}

// Compare returns the step's record with its comparison with the exact
// guidance filled in.
func (c *Comparison) Compare(in CompareInput) Record {
	widen(c.xt, in.Xt)
	widen(c.g, in.G)
	exact := c.exact.Guidance(c.out, c.xt, in.Rec.AlphaBar)
	rec := in.Rec
	compare(&rec, c.g, exact, in.Shift)
	return rec
}
