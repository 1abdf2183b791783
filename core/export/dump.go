package export

import (
	"io"

	"tweedie/core/npz"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// WriteDump writes a run's arrays as an .npz archive, float32 arrays x_t,
// x0_hat, score_y and update of shape (S, d), row i being step i flattened
// as H×W×C with channels innermost; int64 t and float64 alpha_bar (S,); y;
// truth (d,); mask (d,) for inpainting operators, 1 where observed; final
// (d,) when the run completed; and int64 scalars height, width, channels.
// S is the number of steps recorded.
func WriteDump(w io.Writer, tr *run.Trajectory, prob *run.Problem, truth []float64) error {
	S, d := tr.Done, prob.Shape().Len()
	// rows stacks S rows of d values, stored as float32: exact, as the
	// trajectory keeps them in float32.
	rows := func(get func(dst []float64, i int) []float64) []float64 {
		out := make([]float64, 0, S*d)
		tmp := make([]float64, d)
		for i := range S {
			out = append(out, get(tmp, i)...)
		}
		return out
	}
	ts := make([]float64, S)
	alphaBar := make([]float64, S)
	for i, r := range tr.Records[:S] {
		ts[i], alphaBar[i] = float64(r.T), r.AlphaBar
	}
	shape := prob.Shape()
	zw := npz.NewWriter(w)
	zw.Write("x_t", npz.Float32, []int{S, d}, rows(tr.Xt))
	zw.Write("x0_hat", npz.Float32, []int{S, d}, rows(tr.X0Hat))
	zw.Write("score_y", npz.Float32, []int{S, d}, rows(tr.ScoreY))
	zw.Write("update", npz.Float32, []int{S, d}, rows(tr.Update))
	zw.Write("t", npz.Int64, []int{S}, ts)
	zw.Write("alpha_bar", npz.Float64, []int{S}, alphaBar)
	zw.Write("y", npz.Float64, []int{len(prob.Y)}, prob.Y)
	zw.Write("truth", npz.Float64, []int{len(truth)}, truth)
	zw.Write("height", npz.Int64, nil, []float64{float64(shape.H)})
	zw.Write("width", npz.Int64, nil, []float64{float64(shape.W)})
	zw.Write("channels", npz.Int64, nil, []float64{float64(shape.C)})
	if m, ok := prob.Op.(operator.Masker); ok {
		zw.Write("mask", npz.Float64, []int{d}, m.Mask())
	}
	if tr.Final != nil {
		zw.Write("final", npz.Float64, []int{d}, tr.Final)
	}
	return zw.Close()
}
