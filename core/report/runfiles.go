package report

import (
	"fmt"
	"io"
	"strings"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/core/run"
)

// WriteFiles writes the run's files into od: final.png, x0hat.png,
// truth.png, measurement.png, trajectory.gif, steps.csv, gradnorm.png and
// summary.json (sum, from Summary).
func (r *Run) WriteFiles(od *export.Dir, sum *RunSummary) error {
	c, tr := r.Case, r.Traj
	shape := c.Prob.Shape()
	image := func(pix []float64) img.Image { return img.Image{Shape: shape, Pix: pix} }
	if err := writeImages(od, []namedImage{
		{"final.png", image(r.Final)},
		{"x0hat.png", image(tr.X0Hat(nil, tr.Done-1))},
		{"truth.png", image(c.Truth)},
		{"measurement.png", c.Prob.Op.Display(c.Prob.Y)},
	}); err != nil {
		return err
	}
	if err := od.Write("trajectory.gif", func(w io.Writer) error {
		steps := r.gifFrames()
		xt, x0 := make([]float64, shape.Len()), make([]float64, shape.Len())
		return imgio.WriteGIF(w, len(steps), func(f int) []img.Image {
			return []img.Image{image(tr.Xt(xt, steps[f])), image(tr.X0Hat(x0, steps[f]))}
		}, imgio.ViewScale(shape), 8)
	}); err != nil {
		return err
	}
	if err := od.Write("steps.csv", func(w io.Writer) error { return WriteStepsCSV(w, tr) }); err != nil {
		return err
	}
	if err := od.Write("gradnorm.png", func(w io.Writer) error { return export.WriteGradNormPlot(w, tr, sum.Method) }); err != nil {
		return err
	}
	return od.Write("summary.json", func(w io.Writer) error { return export.WriteJSON(w, sum) })
}

// StepsCSVHeader is the header of steps.csv.
const StepsCSVHeader = "index,t,alpha_bar,residual,psnr,g_norm,g_exact_norm,g_ratio,g_cos,update_norm,update_exact_norm,update_ratio"

// ParticlesCSVHeader are the columns steps.csv adds for a particle method
// (MCGdiff, TDS): N, the ESS of the weights the step resampled by, whether
// it resampled (0/1) and how many particles kept offspring.
const ParticlesCSVHeader = ",particles,ess,resampled,distinct"

// WriteStepsCSV writes steps.csv: one row per recorded step.
func WriteStepsCSV(w io.Writer, tr *run.Trajectory) error {
	header := StepsCSVHeader
	if tr.HasParticles() {
		header += ParticlesCSVHeader
	}
	if _, err := fmt.Fprintln(w, header); err != nil {
		return err
	}
	for _, r := range tr.Records[:tr.Done] {
		part := ""
		if p, ok := tr.Particle(r.Index); ok {
			resampled := 0
			if p.Resampled {
				resampled = 1
			}
			part = fmt.Sprintf(",%d,%s,%d,%d", p.N, export.CSVFloat(p.ESS), resampled, p.Distinct)
		}
		_, err := fmt.Fprintf(w, "%d,%d,%s%s\n", r.Index, r.T, strings.Join([]string{export.CSVFloat(r.AlphaBar),
			export.CSVFloat(r.Residual), export.CSVFloat(r.PSNR), export.CSVFloat(r.GNorm), export.CSVFloat(r.GExactNorm), export.CSVFloat(r.GRatio),
			export.CSVFloat(r.GCos), export.CSVFloat(r.UpdateNorm), export.CSVFloat(r.UpdateExactNorm), export.CSVFloat(r.UpdateRatio)}, ","), part)
		if err != nil {
			return err
		}
	}
	return nil
}
