package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/core/run"
)

// labJSON is the lab report as written: NaN (no converged run) as null.
type labJSON struct {
	Prior            string          `json:"prior"`
	Op               string          `json:"op"`
	Sigma            float64         `json:"sigma"`
	Image            string          `json:"image"`
	Seeds            int             `json:"seeds"`
	Projections      int             `json:"projections"`
	Resamples        int             `json:"resamples"`
	FloorDraws       int             `json:"floor_draws"`
	SWFloor          lab.Band        `json:"sw_floor"`
	TVFloor          lab.Band        `json:"tv_floor"`
	CoverageFloor    lab.Band        `json:"coverage_floor"`
	PSNRFloor        lab.Band        `json:"psnr_floor"`
	ResidualFloor    lab.Band        `json:"residual_floor"`
	ExpectedResidual export.Float    `json:"expected_residual"`
	Weights          []export.Float  `json:"posterior_weights"`
	Labels           []string        `json:"component_labels,omitempty"`
	Sweep            *labSweepJSON   `json:"sweep,omitempty"`
	Results          []labResultJSON `json:"results"`
	// Splits are the counterfactual splits (--counterfactual).
	Splits []lab.Split `json:"counterfactual_splits,omitempty"`
}

// labSweepJSON is the grid of a --sweep: results are placed in it by their
// Row and Column.
type labSweepJSON struct {
	Param  string    `json:"param"`
	Log    bool      `json:"log"`
	Values []float64 `json:"values"`
	Rows   []string  `json:"rows"`
}

type labResultJSON struct {
	Label  string        `json:"label"`
	Method string        `json:"method"`
	Steps  int           `json:"steps"`
	Eta    float64       `json:"eta"`
	Params method.Values `json:"params"`
	// Counterfactual is "plain" or the replacement of the method's update.
	Counterfactual string                     `json:"counterfactual"`
	Runs           int                        `json:"runs"`
	Diverged       export.Float               `json:"diverged_fraction"`
	TV             export.Float               `json:"tv"`
	TVCI           lab.Interval               `json:"tv_ci"`
	SW             export.Float               `json:"sliced_wasserstein"`
	SWCI           lab.Interval               `json:"sliced_wasserstein_ci"`
	PSNR           export.Float               `json:"mean_psnr"`
	PSNRCI         lab.Interval               `json:"mean_psnr_ci"`
	Coverage       export.Float               `json:"coverage"`
	CoverageCI     lab.Interval               `json:"coverage_ci"`
	TruthCoverage  export.Float               `json:"truth_coverage"`
	Residual       export.Float               `json:"residual"`
	ResidualCI     lab.Interval               `json:"residual_ci"`
	Frequencies    []export.Float             `json:"frequencies"`
	NFE            float64                    `json:"nfe"`
	VJPs           float64                    `json:"vjps"`
	Calibration    []lab.ComponentCalibration `json:"calibration"`
	Time           []lab.TimePoint            `json:"time,omitempty"`
	// Rank orders the results by their distance to the exact posterior
	// (SW, then TV), 1 the closest.
	Rank int `json:"rank"`
	// Row and Column place the result in the sweep's grid.
	Row    string `json:"sweep_row,omitempty"`
	Column int    `json:"sweep_column,omitempty"`
}

func newLabJSON(rep *lab.Report, prior *prior.Prior, f *labFlags, entries []labEntry, sw *lab.Sweep) *labJSON {
	n, _ := strconv.Atoi(f.image)
	s0 := entries[0].Settings
	out := &labJSON{Prior: f.prior, Op: s0.Op, Sigma: s0.Sigma, Image: prior.Truths[n].Name, Seeds: rep.Seeds,
		Projections: rep.Projections, Resamples: rep.Resamples, FloorDraws: rep.FloorDraws,
		SWFloor: rep.SWFloor, TVFloor: rep.TVFloor, CoverageFloor: rep.CoverageFloor, PSNRFloor: rep.PSNRFloor,
		ResidualFloor: rep.ResidualFloor, ExpectedResidual: export.Float(rep.ExpectedResidual),
		Weights: export.Floats(rep.Weights), Labels: prior.ComponentLabels}
	if sw != nil {
		out.Sweep = &labSweepJSON{Param: sw.Param, Log: sw.Log, Values: sw.Values}
		for _, e := range entries {
			if !slices.Contains(out.Sweep.Rows, e.row) {
				out.Sweep.Rows = append(out.Sweep.Rows, e.row)
			}
		}
	}
	for i, r := range rep.Results {
		s := entries[i].Settings
		out.Results = append(out.Results, labResultJSON{
			Label: r.Label, Method: s.Method, Steps: s.Steps, Eta: s.Eta, Params: entries[i].Values,
			Counterfactual: entries[i].Counterfactual.String(),
			Runs:           r.Runs, Diverged: export.Float(r.Diverged), TV: export.Float(r.TV), TVCI: r.TVCI,
			SW: export.Float(r.SW), SWCI: r.SWCI, PSNR: export.Float(r.PSNR), PSNRCI: r.PSNRCI,
			Coverage: export.Float(r.Coverage), CoverageCI: r.CoverageCI, TruthCoverage: export.Float(r.TruthCoverage),
			Residual: export.Float(r.Residual), ResidualCI: r.ResidualCI,
			Frequencies: export.Floats(r.Frequencies), NFE: r.NFE, VJPs: r.VJPs,
			Calibration: r.Calibration, Time: r.Time, Row: entries[i].row, Column: entries[i].col,
		})
	}
	for rank, i := range rep.Ranked() {
		out.Results[i].Rank = rank + 1
	}
	if f.counterfactual {
		plain := make([]lab.Entry, len(entries))
		for i, e := range entries {
			plain[i] = e.Entry
		}
		out.Splits = rep.Splits(plain)
	}
	return out
}

func fmtNum(v export.Float, format string) string {
	if math.IsNaN(float64(v)) {
		return "—"
	}
	return fmt.Sprintf(format, float64(v))
}

// fmtCI is an interval as "lo–hi".
func fmtCI(iv lab.Interval, format string) string {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return "—"
	}
	return fmt.Sprintf(format+"–"+format, iv.Lo, iv.Hi)
}

// ranked returns the results from rank 1.
func (rep *labJSON) ranked() []labResultJSON {
	out := make([]labResultJSON, len(rep.Results))
	for _, r := range rep.Results {
		out[r.Rank-1] = r
	}
	return out
}

// componentName is a component's label (a digit for MNIST) or number.
func (rep *labJSON) componentName(k int) string {
	if rep.Labels != nil {
		return rep.Labels[k]
	}
	return strconv.Itoa(k)
}

// printLab writes the report as aligned tables: the figures, the
// calibration per component, the mode TV over time and the sweep's grid.
func printLab(w io.Writer, rep *labJSON) {
	fmt.Fprintf(w, "lab · %s · %s · σ = %g · %s · %d seeds · SW to the exact posterior over %d projections · 90%% intervals: bootstrap (%d)\n",
		rep.Prior, rep.Op, rep.Sigma, rep.Image, rep.Seeds, rep.Projections, rep.Resamples)
	fmt.Fprint(w, "exact posterior weights:")
	for k, p := range rep.Weights {
		if p >= 0.001 {
			fmt.Fprintf(w, "  %s: %.3f", rep.componentName(k), float64(p))
		}
	}
	fmt.Fprintf(w, " · expected residual %s\n", fmtNum(rep.ExpectedResidual, "%.4g"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tmethod\truns\tdiv\tTV\tTV 90%\tSW\tSW 90%\tPSNR\tcover\tcover 90%\ttruth\tresid\tNFE\tVJPs\t")
	for _, r := range rep.ranked() {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t\n", r.Rank, r.Label, r.Runs,
			fmtNum(r.Diverged, "%.2f"), fmtNum(r.TV, "%.3f"), fmtCI(r.TVCI, "%.3f"), fmtNum(r.SW, "%.3f"), fmtCI(r.SWCI, "%.3f"),
			fmtNum(r.PSNR, "%.2f"), fmtNum(r.Coverage, "%.3f"), fmtCI(r.CoverageCI, "%.3f"), fmtNum(r.TruthCoverage, "%.3f"),
			fmtNum(r.Residual, "%.4g"), r.NFE, r.VJPs)
	}
	fmt.Fprintf(tw, "\texact (floor band, %d draws)\t%d\t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s\t\t\t\n", rep.FloorDraws, rep.Seeds,
		fmtNum(export.Float(rep.TVFloor.Median), "%.3f"), fmtCI(rep.TVFloor.Interval, "%.3f"),
		fmtNum(export.Float(rep.SWFloor.Median), "%.3f"), fmtCI(rep.SWFloor.Interval, "%.3f"),
		fmtNum(export.Float(rep.PSNRFloor.Median), "%.2f"),
		fmtNum(export.Float(rep.CoverageFloor.Median), "%.3f"), fmtCI(rep.CoverageFloor.Interval, "%.3f"),
		fmtNum(export.Float(rep.ResidualFloor.Median), "%.4g"))
	tw.Flush()
	printCalibration(w, rep)
	printTime(w, rep)
	printSweep(w, rep)
	printSplits(w, rep.Splits)
}

// printSplits writes the counterfactual splits: per method, the share of
// its distance above the floor that each replacement of its update removes.
func printSplits(w io.Writer, splits []lab.Split) {
	if len(splits) == 0 {
		return
	}
	fmt.Fprintln(w, "\ncounterfactual split: the share of the distance above the floor's median (TV / SW) each change of the update removes")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "method\tTV\tSW\t")
	for _, c := range run.Counterfactuals {
		fmt.Fprintf(tw, "%s\t", c.Describe())
	}
	fmt.Fprintln(tw)
	for _, s := range splits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t", s.Label, fmtNum(s.TV, "%.3f"), fmtNum(s.SW, "%.3f"))
		for _, r := range s.Rows {
			fmt.Fprintf(tw, "%s / %s\t", fmtNum(r.TVRemoved, "%+.2f"), fmtNum(r.SWRemoved, "%+.2f"))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// calibrationShown: rows of components with a weight or frequency this
// small are left out of the printed table (not of lab.json or the CSV).
const calibrationShown = 0.01

func printCalibration(w io.Writer, rep *labJSON) {
	fmt.Fprintln(w, "\nwithin-mode calibration (samples assigned by argmax p(k|x0); exact: π', m', Σ' of the component)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tcomp\tπ'\tf\tn\t‖x̄−m'‖\t/√trΣ'\ttrĈ/trΣ'\tvar along A\texact\tcover\t")
	for _, r := range rep.ranked() {
		for _, c := range r.Calibration {
			if c.Weight < calibrationShown && c.Frequency < calibrationShown {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Label, rep.componentName(c.Component),
				c.Weight, c.Frequency, c.Samples, fmtNum(export.Float(c.MeanError), "%.3f"), fmtNum(export.Float(c.MeanErrorRel), "%.3f"),
				fmtNum(export.Float(c.TraceRatio), "%.3f"), fmtNum(export.Float(c.VarA), "%.4f"),
				fmtNum(export.Float(c.VarAExact), "%.4f"), fmtNum(export.Float(c.Coverage), "%.3f"))
		}
	}
	tw.Flush()
}

// timeColumns are the fractions of the way from t = T to t = 0 the
// printed mode-TV table shows.
var timeColumns = []float64{0, 0.25, 0.5, 0.75, 0.9, 1}

// nearestPoint is the scored step of pts nearest to the fraction f of the run.
func nearestPoint(pts []lab.TimePoint, f float64) lab.TimePoint {
	return pts[int(math.Round(f*float64(len(pts)-1)))]
}

func printTime(w io.Writer, rep *labJSON) {
	if len(rep.Results) == 0 || len(rep.Results[0].Time) == 0 {
		return
	}
	fmt.Fprintln(w, "\nmode TV over time: TV_t = ½Σ|mean p(k|x_t,y) − π'_k| over the seeds (0 for an exact sampler at every t)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "method\t")
	for _, f := range timeColumns {
		fmt.Fprintf(tw, "%.0f%%\t", 100*f)
	}
	fmt.Fprintln(tw, "NLL_0\texact NLL_0\t")
	for _, r := range rep.ranked() {
		if len(r.Time) == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t", r.Label)
		for _, f := range timeColumns {
			p := nearestPoint(r.Time, f)
			fmt.Fprintf(tw, "%s\t", fmtNum(export.Float(p.TV), "%.3f"))
		}
		last := r.Time[len(r.Time)-1]
		fmt.Fprintf(tw, "%s\t%s\t\n", fmtNum(export.Float(last.NLL), "%.4g"), fmtNum(export.Float(last.NLLExact), "%.4g"))
	}
	ref := rep.Results[0].Time
	fmt.Fprint(tw, "exact (95% bound)\t")
	for _, f := range timeColumns {
		fmt.Fprintf(tw, "%s\t", fmtNum(export.Float(nearestPoint(ref, f).TVExactCI.Hi), "%.3f"))
	}
	fmt.Fprintln(tw, "\t\t")
	tw.Flush()
}

// sweepGrid returns the sweep's SW per row and column (NaN where no result).
func sweepGrid(rep *labJSON, value func(r labResultJSON) float64) [][]float64 {
	z := make([][]float64, len(rep.Sweep.Rows))
	for i := range z {
		z[i] = make([]float64, len(rep.Sweep.Values))
		for j := range z[i] {
			z[i][j] = math.NaN()
		}
	}
	for _, r := range rep.Results {
		if i := slices.Index(rep.Sweep.Rows, r.Row); i >= 0 && r.Column >= 0 && r.Column < len(rep.Sweep.Values) {
			z[i][r.Column] = value(r)
		}
	}
	return z
}

func sweepTicks(rep *labJSON) []string {
	var ticks []string
	for _, v := range rep.Sweep.Values {
		ticks = append(ticks, strconv.FormatFloat(v, 'g', 3, 64))
	}
	return ticks
}

func printSweep(w io.Writer, rep *labJSON) {
	if rep.Sweep == nil {
		return
	}
	fmt.Fprintf(w, "\nsweep of %s: SW to the exact posterior (floor band %s–%s)\n", rep.Sweep.Param,
		fmtNum(export.Float(rep.SWFloor.Lo), "%.3f"), fmtNum(export.Float(rep.SWFloor.Hi), "%.3f"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t%s\t\n", rep.Sweep.Param, strings.Join(sweepTicks(rep), "\t"))
	z := sweepGrid(rep, func(r labResultJSON) float64 { return float64(r.SW) })
	for i, row := range rep.Sweep.Rows {
		fmt.Fprintf(tw, "%s\t", row)
		for _, v := range z[i] {
			fmt.Fprintf(tw, "%s\t", fmtNum(export.Float(v), "%.3f"))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
