package export

import (
	"io"

	"codeberg.org/sbinet/npyio/npz"

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
	rows := func(get func(dst []float64, i int) []float64) [][]float32 {
		buf := make([]float32, S*d)
		out := make([][]float32, S)
		tmp := make([]float64, d)
		for i := range out {
			row := buf[i*d : (i+1)*d : (i+1)*d]
			for j, v := range get(tmp, i) {
				row[j] = float32(v) // stored as float32: exact
			}
			out[i] = row
		}
		return out
	}
	ts := make([]int64, S)
	alphaBar := make([]float64, S)
	for i, r := range tr.Records[:S] {
		ts[i], alphaBar[i] = int64(r.T), r.AlphaBar
	}
	shape := prob.Shape()
	arrays := []struct {
		name string
		v    any
	}{
		{"x_t", rows(tr.Xt)},
		{"x0_hat", rows(tr.X0Hat)},
		{"score_y", rows(tr.ScoreY)},
		{"update", rows(tr.Update)},
		{"t", ts},
		{"alpha_bar", alphaBar},
		{"y", prob.Y},
		{"truth", truth},
		{"height", int64(shape.H)},
		{"width", int64(shape.W)},
		{"channels", int64(shape.C)},
	}
	if m, ok := prob.Op.(operator.Masker); ok {
		arrays = append(arrays, struct {
			name string
			v    any
		}{"mask", m.Mask()})
	}
	if tr.Final != nil {
		arrays = append(arrays, struct {
			name string
			v    any
		}{"final", tr.Final})
	}
	zw := npz.NewWriter(w)
	for _, a := range arrays {
		if err := zw.Write(a.name+".npy", a.v); err != nil {
			zw.Close()
			return err
		}
	}
	return zw.Close()
}
