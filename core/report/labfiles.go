package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"tweedie/core/export"
	"tweedie/core/finite"
	"tweedie/core/lab"
)

// WriteFiles writes the report's files into out: lab.json, lab.csv,
// calibration.csv, and with the time-resolved figures time.csv and
// time.png, with a sweep sweep.csv and sweep.png.
func (rep *LabReport) WriteFiles(out *export.Dir) error {
	files := []struct {
		name  string
		write func(io.Writer) error
		when  bool
	}{
		{"lab.json", func(w io.Writer) error { return export.WriteJSON(w, rep) }, true},
		{"lab.csv", func(w io.Writer) error { return writeLabCSV(w, rep) }, true},
		{"calibration.csv", func(w io.Writer) error { return writeCalibrationCSV(w, rep) }, true},
		{"time.csv", func(w io.Writer) error { return writeTimeCSV(w, rep) }, hasTime(rep)},
		{"time.png", func(w io.Writer) error { return writeTimePNG(w, rep) }, hasTime(rep)},
		{"sweep.csv", func(w io.Writer) error { return writeSweepCSV(w, rep) }, rep.Sweep != nil},
		{"sweep.png", func(w io.Writer) error { return writeSweepPNG(w, rep) }, rep.Sweep != nil},
	}
	for _, f := range files {
		if !f.when {
			continue
		}
		if err := out.Write(f.name, f.write); err != nil {
			return err
		}
	}
	return nil
}

func hasTime(rep *LabReport) bool { return len(rep.Results) > 0 && len(rep.Results[0].Time) > 0 }

func csvF(v float64) string { return export.CSVFloat(v) }

// writeLabCSV writes one row per method, with the intervals and floor bands.
func writeLabCSV(w io.Writer, rep *LabReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rank", "label", "method", "counterfactual", "steps", "eta", "params", "nfe", "vjps", "runs", "failed", "diverged_fraction",
		"tv", "tv_lo", "tv_hi", "tv_floor", "tv_floor_lo", "tv_floor_hi",
		"sliced_wasserstein", "sw_lo", "sw_hi", "sw_floor", "sw_floor_lo", "sw_floor_hi",
		"mean_psnr", "psnr_lo", "psnr_hi",
		"coverage", "coverage_lo", "coverage_hi", "coverage_floor", "coverage_floor_lo", "coverage_floor_hi",
		"truth_coverage", "residual", "residual_lo", "residual_hi", "expected_residual"})
	band := func(b lab.Band) []string { return []string{csvF(b.Median), csvF(b.Lo), csvF(b.Hi)} }
	ci := func(v finite.Float, iv lab.Interval) []string {
		return []string{csvF(float64(v)), csvF(iv.Lo), csvF(iv.Hi)}
	}
	for _, r := range rep.Results {
		row := []string{strconv.Itoa(r.Rank), r.Label, r.Method, r.Counterfactual, strconv.Itoa(r.Steps), csvF(r.Eta), formatParams(r.Params),
			csvF(r.NFE), csvF(r.VJPs), strconv.Itoa(r.Runs), strconv.Itoa(r.Failed), csvF(float64(r.Diverged))}
		row = append(row, ci(r.TV, r.TVCI)...)
		row = append(row, band(rep.TVFloor)...)
		row = append(row, ci(r.SW, r.SWCI)...)
		row = append(row, band(rep.SWFloor)...)
		row = append(row, ci(r.PSNR, r.PSNRCI)...)
		row = append(row, ci(r.Coverage, r.CoverageCI)...)
		row = append(row, band(rep.CoverageFloor)...)
		row = append(row, csvF(float64(r.TruthCoverage)))
		row = append(row, ci(r.Residual, r.ResidualCI)...)
		row = append(row, csvF(float64(rep.ExpectedResidual)))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// writeCalibrationCSV writes one row per method and posterior component.
func writeCalibrationCSV(w io.Writer, rep *LabReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"label", "component", "component_label", "weight", "frequency", "samples", "mean_error", "mean_error_rel",
		"trace_ratio", "var_a", "var_a_exact", "coverage"})
	for _, r := range rep.Results {
		for _, c := range r.Calibration {
			cw.Write([]string{r.Label, strconv.Itoa(c.Component), rep.componentName(c.Component), csvF(c.Weight), csvF(c.Frequency),
				strconv.Itoa(c.Samples), csvF(c.MeanError), csvF(c.MeanErrorRel), csvF(c.TraceRatio), csvF(c.VarA),
				csvF(c.VarAExact), csvF(c.Coverage)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeTimeCSV writes one row per method and scored step.
func writeTimeCSV(w io.Writer, rep *LabReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"label", "step", "t", "alpha_bar", "tv", "tv_exact", "tv_exact_lo", "tv_exact_hi",
		"nll", "nll_exact", "nll_exact_lo", "nll_exact_hi"})
	for _, r := range rep.Results {
		for _, p := range r.Time {
			cw.Write([]string{r.Label, strconv.Itoa(p.Step), strconv.Itoa(p.T), csvF(p.AlphaBar), csvF(p.TV), csvF(p.TVExact),
				csvF(p.TVExactCI.Lo), csvF(p.TVExactCI.Hi), csvF(p.NLL), csvF(p.NLLExact), csvF(p.NLLExactCI.Lo), csvF(p.NLLExactCI.Hi)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// timeSeries extracts a figure of the results' time points as chart series,
// the exact reference (of the first result's grid) last, in grey with its band.
func timeSeries(rep *LabReport, fig func(lab.TimePoint) float64, exact func(lab.TimePoint) (v, lo, hi float64)) []export.Series {
	var ss []export.Series
	for _, r := range rep.ranked() {
		s := export.Series{Name: r.Label}
		for _, p := range r.Time {
			s.X = append(s.X, float64(p.T))
			s.Y = append(s.Y, fig(p))
		}
		ss = append(ss, s)
	}
	ref := export.Series{Name: "exact sampler (90% band)", Grey: true}
	for _, p := range rep.Results[0].Time {
		v, lo, hi := exact(p)
		ref.X = append(ref.X, float64(p.T))
		ref.Y, ref.Lo, ref.Hi = append(ref.Y, v), append(ref.Lo, lo), append(ref.Hi, hi)
	}
	return append(ss, ref)
}

// writeTimePNG charts TV_t and the excess NLL_t − NLL_t(exact) over t.
func writeTimePNG(w io.Writer, rep *LabReport) error {
	tv := timeSeries(rep, func(p lab.TimePoint) float64 { return p.TV },
		func(p lab.TimePoint) (float64, float64, float64) { return p.TVExact, p.TVExactCI.Lo, p.TVExactCI.Hi })
	nll := timeSeries(rep, func(p lab.TimePoint) float64 { return p.NLL - p.NLLExact },
		func(p lab.TimePoint) (float64, float64, float64) {
			return 0, p.NLLExactCI.Lo - p.NLLExact, p.NLLExactCI.Hi - p.NLLExact
		})
	title := fmt.Sprintf("%s · %s · σ = %g · %d seeds", rep.Prior, rep.Op, rep.Sigma, rep.Seeds)
	return export.WritePanelsPNG(w, 9*vg.Inch, 4*vg.Inch, []export.LinePanel{
		{Title: "mode TV over time: ½Σ|mean p(k|x_t,y) − π'_k| · " + title, XLabel: "t (sampling runs right to left)",
			YLabel: "TV_t", InvertX: true, Series: tv},
		{Title: "excess NLL: −mean log p_t(x_t|y) minus an exact sampler's", XLabel: "t", YLabel: "NLL_t − exact",
			InvertX: true, Series: nll},
	})
}

// writeSweepCSV writes one row per grid cell.
func writeSweepCSV(w io.Writer, rep *LabReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"param", "value", "row", "label", "sliced_wasserstein", "sw_lo", "sw_hi", "tv", "tv_lo", "tv_hi",
		"coverage", "diverged_fraction", "sw_floor", "sw_floor_lo", "sw_floor_hi"})
	for _, r := range rep.Results {
		v := math.NaN()
		if r.Column >= 0 && r.Column < len(rep.Sweep.Values) {
			v = rep.Sweep.Values[r.Column]
		}
		cw.Write([]string{rep.Sweep.Param, csvF(v), r.Row, r.Label, csvF(float64(r.SW)), csvF(r.SWCI.Lo), csvF(r.SWCI.Hi),
			csvF(float64(r.TV)), csvF(r.TVCI.Lo), csvF(r.TVCI.Hi), csvF(float64(r.Coverage)), csvF(float64(r.Diverged)),
			csvF(rep.SWFloor.Median), csvF(rep.SWFloor.Lo), csvF(rep.SWFloor.Hi)})
	}
	cw.Flush()
	return cw.Error()
}

// writeSweepPNG draws the heat map of SW over the grid (log colours).
func writeSweepPNG(w io.Writer, rep *LabReport) error {
	hm := export.HeatMap{
		Title: fmt.Sprintf("SW to the exact posterior · %s · %s · σ = %g · %d seeds · exact sampler %.3g–%.3g",
			rep.Prior, rep.Op, rep.Sigma, rep.Seeds, rep.SWFloor.Lo, rep.SWFloor.Hi),
		XLabel: rep.Sweep.Param, ZLabel: "SW", XTicks: sweepTicks(rep), Rows: rep.Sweep.Rows,
		Z: sweepGrid(rep, func(r LabResult) float64 { return float64(r.SW) }), Log: true,
	}
	height := vg.Length(2.2+0.5*float64(len(hm.Rows))) * vg.Inch
	return export.WriteHeatMapPNG(w, 10*vg.Inch, height, hm)
}

// formatParams is parameter values as "name=value" pairs, sorted.
func formatParams(v map[string]string) string {
	var kv []string
	for k, x := range v {
		kv = append(kv, k+"="+x)
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}
