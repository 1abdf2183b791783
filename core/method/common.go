package method

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/operator"
)

// measurement holds the operator, y and the scratch the methods share.
type measurement struct {
	op   operator.Operator
	y    []float64
	ax   []float64 // A(x̂0), length m
	res  []float64 // y − A(x̂0), length m
	back []float64 // a length-d vector pulled back through A
}

func newMeasurement(p *Problem) (measurement, error) {
	m, d := p.Op.OutLen(), p.Op.InShape().Len()
	if len(p.Y) != m {
		return measurement{}, fmt.Errorf("measurement has length %d, operator %s gives %d", len(p.Y), p.Op.Name(), m)
	}
	return measurement{op: p.Op, y: p.Y, ax: make([]float64, m), res: make([]float64, m), back: make([]float64, d)}, nil
}

// residual writes y − A(x̂0) into b.res and returns its norm.
func (b *measurement) residual(x0Hat []float64) float64 {
	b.op.Apply(b.ax, x0Hat)
	n := 0.0
	for i := range b.res {
		b.res[i] = b.y[i] - b.ax[i]
		n += b.res[i] * b.res[i]
	}
	return math.Sqrt(n)
}

// TweedieShift is (1−ᾱ_t)/sqrt(ᾱ_t): a score g shifts x̂0 by this times g
// (Tweedie's formula), so a correction to x̂0 of TweedieShift·g applies g
// as a score.
func TweedieShift(alphaBarT float64) float64 {
	return (1 - alphaBarT) / math.Sqrt(alphaBarT)
}

// asScore pulls u (a length-m vector) back to g = Jᵀ·Aᵀ·u and applies g as
// a score, scaled: x̂0 ← x̂0 + shift·g. back is length-d scratch.
func asScore(ctx context.Context, st *State, out *Output, lin operator.Linear, u, back []float64, shift float64) error {
	lin.Adjoint(back, u)
	if err := st.Point.VJP(ctx, out.ScoreY, back); err != nil {
		return err
	}
	scaleTo(out.Corr, shift, out.ScoreY)
	out.Target = ToX0Hat
	return nil
}

// renoise makes the step from an estimate x0 of x0 itself: x_s =
// √ᾱ_s·x0 + √(1−ᾱ_s)·z with the step's noise z, reporting g as the move of
// x̂0 to x0 read as a score, (x0 − x̂0)/((1−ᾱ_t)/√ᾱ_t).
func renoise(st *State, out *Output, x0 []float64) {
	as, bs := math.Sqrt(st.AlphaBarS), math.Sqrt(1-st.AlphaBarS)
	shift := TweedieShift(st.AlphaBarT)
	for j := range out.Xs {
		out.Xs[j] = as*x0[j] + bs*st.Z[j]
		out.ScoreY[j] = (x0[j] - st.X0Hat[j]) / shift
	}
	clear(out.Corr)
	out.Target = Replace
}

func scaleTo(dst []float64, a float64, x []float64) {
	for i := range dst {
		dst[i] = a * x[i]
	}
}

// Fmt formats a value for a formula panel: three significant digits, "–"
// for NaN (no step yet).
func Fmt(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3g", x)
}
