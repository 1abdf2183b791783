package main

import (
	"io"

	"codeberg.org/sbinet/npyio/npz"

	"tweedie/core/operator"
)

// writeDump writes a run's arrays as an .npz archive (see runHelp for the
// names and shapes).
func writeDump(w io.Writer, res *runResult) error {
	st, tr := res.setup, res.traj
	S, d := tr.Done, st.Prob.Shape().Len()
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
	shape := st.Prob.Shape()
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
		{"y", st.Prob.Y},
		{"truth", st.Truth},
		{"height", int64(shape.H)},
		{"width", int64(shape.W)},
		{"channels", int64(shape.C)},
	}
	if m, ok := st.Prob.Op.(operator.Masker); ok {
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
