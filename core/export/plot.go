package export

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"tweedie/core/run"
)

// plotSeries is one line of gradnorm.png.
type plotSeries struct {
	name   string
	colour color.Color
	dashed bool
	value  func(run.Record) float64
}

// WriteGradNormPlot draws ‖update‖ (the guidance applied), ‖g‖ (the
// method's likelihood score) and the residual ‖y − A(x̂0)‖ per step on a log
// scale, as a PNG. Non-positive and non-finite values cannot go on a log
// scale: they break the line (a series with none left is listed in the
// legend as "(no positive values)").
func WriteGradNormPlot(w io.Writer, tr *run.Trajectory, method string) error {
	p, err := GradNormPlot(tr.Records[:tr.Done], tr.Steps(), method, 0)
	if err != nil {
		return err
	}
	wt, err := p.WriterTo(8*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// GradNormPlot is gradnorm.png's plot of the records of a run of steps
// steps; noise > 0 adds the level σ·√m the residual is expected to reach.
func GradNormPlot(records []run.Record, steps int, method string, noise float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("guidance per step (%s)", method)
	p.X.Label.Text = "step"
	p.Y.Label.Text = "norm (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	series := []plotSeries{
		{"‖update‖ (guidance applied)", color.RGBA{R: 200, G: 40, B: 40, A: 255}, false, func(r run.Record) float64 { return r.UpdateNorm }},
		{"‖g‖ (its likelihood score)", color.RGBA{R: 40, G: 80, B: 200, A: 255}, true, func(r run.Record) float64 { return r.GNorm }},
		{"‖g*‖ (exact likelihood score)", color.RGBA{R: 120, G: 120, B: 120, A: 255}, true, func(r run.Record) float64 { return r.GExactNorm }},
		{"residual ‖y − A(x̂0)‖", color.RGBA{R: 30, G: 140, B: 60, A: 255}, false, func(r run.Record) float64 { return r.Residual }},
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		var segs []plotter.XYs
		var cur plotter.XYs
		for _, r := range records {
			v := s.value(r)
			if !(v > 0) || math.IsInf(v, 0) {
				if len(cur) > 0 {
					segs, cur = append(segs, cur), nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: float64(r.Index), Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if len(cur) > 0 {
			segs = append(segs, cur)
		}
		if len(segs) == 0 {
			// An invisible line keeps the legend entry.
			l := &plotter.Line{}
			l.Color = s.colour
			p.Legend.Add(s.name+" (no positive values)", l)
			continue
		}
		for j, seg := range segs {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return nil, err
			}
			l.Color = s.colour
			l.Width = vg.Points(1.2)
			if s.dashed {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			if len(seg) == 1 {
				sc, err := plotter.NewScatter(seg)
				if err != nil {
					return nil, err
				}
				sc.Color = s.colour
				p.Add(sc)
			}
			p.Add(l)
			if j == 0 {
				p.Legend.Add(s.name, l)
			}
		}
	}
	if noise > 0 && !math.IsInf(noise, 0) {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: noise}, {X: math.Max(1, float64(steps-1)), Y: noise}})
		if err != nil {
			return nil, err
		}
		l.Color = color.RGBA{R: 30, G: 140, B: 60, A: 255}
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("σ√m = %.3g (the noise's norm)", noise), l)
		lo, hi = math.Min(lo, noise), math.Max(hi, noise)
	}
	if math.IsInf(lo, 1) { // nothing to draw
		lo, hi = 0.1, 1
	}
	if hi <= lo {
		lo, hi = lo/2, hi*2
	}
	p.Y.Min, p.Y.Max = lo, hi*20 // headroom for the legend
	p.X.Min, p.X.Max = 0, math.Max(1, float64(steps-1))
	return p, nil
}
