package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"tweedie/core/finite"
	"tweedie/core/lab"
	"tweedie/core/run"
)

// fmtNum formats a figure, "—" when it is missing (NaN).
func fmtNum(v finite.Float, format string) string {
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
func (rep *LabReport) ranked() []LabResult {
	out := make([]LabResult, len(rep.Results))
	for _, r := range rep.Results {
		out[r.Rank-1] = r
	}
	return out
}

// componentName is a component's label (a digit for MNIST) or number.
func (rep *LabReport) componentName(k int) string {
	if rep.Labels != nil {
		return rep.Labels[k]
	}
	return strconv.Itoa(k)
}

// Print writes the report as aligned tables: the figures, the
// calibration per component, the mode TV over time and the sweep's grid.
func (rep *LabReport) Print(w io.Writer) {
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
	fmt.Fprintln(tw, "rank\tmethod\truns\tfailed\tdiv\tTV\tTV 90%\tSW\tSW 90%\tPSNR\tcover\tcover 90%\ttruth\tresid\tNFE\tVJPs\t")
	for _, r := range rep.ranked() {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t\n", r.Rank, r.Label, r.Runs, r.Failed,
			fmtNum(r.Diverged, "%.2f"), fmtNum(r.TV, "%.3f"), fmtCI(r.TVCI, "%.3f"), fmtNum(r.SW, "%.3f"), fmtCI(r.SWCI, "%.3f"),
			fmtNum(r.PSNR, "%.2f"), fmtNum(r.Coverage, "%.3f"), fmtCI(r.CoverageCI, "%.3f"), fmtNum(r.TruthCoverage, "%.3f"),
			fmtNum(r.Residual, "%.4g"), r.NFE, r.VJPs)
	}
	fmt.Fprintf(tw, "\texact (floor band, %d draws)\t%d\t\t\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s\t\t\t\n", rep.FloorDraws, rep.Seeds,
		fmtNum(finite.Float(rep.TVFloor.Median), "%.3f"), fmtCI(rep.TVFloor.Interval, "%.3f"),
		fmtNum(finite.Float(rep.SWFloor.Median), "%.3f"), fmtCI(rep.SWFloor.Interval, "%.3f"),
		fmtNum(finite.Float(rep.PSNRFloor.Median), "%.2f"),
		fmtNum(finite.Float(rep.CoverageFloor.Median), "%.3f"), fmtCI(rep.CoverageFloor.Interval, "%.3f"),
		fmtNum(finite.Float(rep.ResidualFloor.Median), "%.4g"))
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

func printCalibration(w io.Writer, rep *LabReport) {
	fmt.Fprintln(w, "\nwithin-mode calibration (samples assigned by argmax p(k|x0); exact: π', m', Σ' of the component)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tcomp\tπ'\tf\tn\t‖x̄−m'‖\t/√trΣ'\ttrĈ/trΣ'\tvar along A\texact\tcover\t")
	for _, r := range rep.ranked() {
		for _, c := range r.Calibration {
			if c.Weight < calibrationShown && c.Frequency < calibrationShown {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Label, rep.componentName(c.Component),
				c.Weight, c.Frequency, c.Samples, fmtNum(finite.Float(c.MeanError), "%.3f"), fmtNum(finite.Float(c.MeanErrorRel), "%.3f"),
				fmtNum(finite.Float(c.TraceRatio), "%.3f"), fmtNum(finite.Float(c.VarA), "%.4f"),
				fmtNum(finite.Float(c.VarAExact), "%.4f"), fmtNum(finite.Float(c.Coverage), "%.3f"))
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

func printTime(w io.Writer, rep *LabReport) {
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
			fmt.Fprintf(tw, "%s\t", fmtNum(finite.Float(p.TV), "%.3f"))
		}
		last := r.Time[len(r.Time)-1]
		fmt.Fprintf(tw, "%s\t%s\t\n", fmtNum(finite.Float(last.NLL), "%.4g"), fmtNum(finite.Float(last.NLLExact), "%.4g"))
	}
	ref := rep.Results[0].Time
	fmt.Fprint(tw, "exact (95% bound)\t")
	for _, f := range timeColumns {
		fmt.Fprintf(tw, "%s\t", fmtNum(finite.Float(nearestPoint(ref, f).TVExactCI.Hi), "%.3f"))
	}
	fmt.Fprintln(tw, "\t\t")
	tw.Flush()
}

// sweepGrid returns the sweep's SW per row and column (NaN where no result).
func sweepGrid(rep *LabReport, value func(r LabResult) float64) [][]float64 {
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

func sweepTicks(rep *LabReport) []string {
	var ticks []string
	for _, v := range rep.Sweep.Values {
		ticks = append(ticks, strconv.FormatFloat(v, 'g', 3, 64))
	}
	return ticks
}

func printSweep(w io.Writer, rep *LabReport) {
	if rep.Sweep == nil {
		return
	}
	fmt.Fprintf(w, "\nsweep of %s: SW to the exact posterior (floor band %s–%s)\n", rep.Sweep.Param,
		fmtNum(finite.Float(rep.SWFloor.Lo), "%.3f"), fmtNum(finite.Float(rep.SWFloor.Hi), "%.3f"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t%s\t\n", rep.Sweep.Param, strings.Join(sweepTicks(rep), "\t"))
	z := sweepGrid(rep, func(r LabResult) float64 { return float64(r.SW) })
	for i, row := range rep.Sweep.Rows {
		fmt.Fprintf(tw, "%s\t", row)
		for _, v := range z[i] {
			fmt.Fprintf(tw, "%s\t", fmtNum(finite.Float(v), "%.3f"))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
