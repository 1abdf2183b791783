package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/finite"
	"tweedie/core/lab"
)

// NoExactLabReport is lab.json of a lab without an exact posterior (a
// served model): NaN as null.
type NoExactLabReport struct {
	Prior     string             `json:"prior"`
	Op        string             `json:"op"`
	Sigma     float64            `json:"sigma"`
	Image     string             `json:"image"`
	Seeds     int                `json:"seeds"`
	NoiseNorm finite.Float       `json:"noise_norm"`
	Results   []NoExactLabResult `json:"results"`
}

// NoExactLabResult is one entry's figures.
type NoExactLabResult struct {
	Label    string       `json:"label"`
	Method   string       `json:"method"`
	Steps    int          `json:"steps"`
	Runs     int          `json:"runs"`
	Failed   int          `json:"failed"`
	Failure  string       `json:"failure,omitempty"`
	Diverged finite.Float `json:"diverged_fraction"`
	PSNR     finite.Float `json:"mean_psnr"`
	Residual finite.Float `json:"mean_residual"`
	Spread   finite.Float `json:"pixel_spread"`
	NFE      finite.Float `json:"nfe"`
	VJPs     finite.Float `json:"vjps"`
}

// NewNoExactLab is lab.json of a lab's report without an exact posterior.
func NewNoExactLab(rep *lab.NoExactReport, setup *LabSetup) *NoExactLabReport {
	pd, entries := setup.Prior, setup.Entries
	s0 := entries[0].Settings
	out := &NoExactLabReport{Prior: pd.Spec, Op: s0.Op, Sigma: s0.Sigma, Image: pd.Truths[setup.Image].Name, Seeds: rep.Seeds,
		NoiseNorm: finite.Float(rep.NoiseNorm)}
	for i, r := range rep.Results {
		s := entries[i].Settings
		out.Results = append(out.Results, NoExactLabResult{Label: r.Label, Method: s.Method, Steps: s.Steps,
			Runs: r.Runs, Failed: r.Failed, Failure: r.Failure, Diverged: finite.Float(r.Diverged), PSNR: finite.Float(r.PSNR), Residual: finite.Float(r.Residual),
			Spread: finite.Float(r.Spread), NFE: finite.Float(r.NFE), VJPs: finite.Float(r.VJPs)})
	}
	return out
}

// Print writes the report as a table.
func (rep *NoExactLabReport) Print(w io.Writer) {
	fmt.Fprintf(w, "lab · %s · %s · σ = %g · %s · %d seeds · no exact posterior: no TV, SW or coverage\n",
		rep.Prior, rep.Op, rep.Sigma, rep.Image, rep.Seeds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\truns\tfailed\tdiv\tPSNR\t‖y−A(x)‖ (σ√m %s)\tspread\tNFE\tVJPs\t\n", fmtNum(rep.NoiseNorm, "%.3g"))
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Label, r.Runs, r.Failed, fmtNum(r.Diverged, "%.2f"),
			fmtNum(r.PSNR, "%.2f"), fmtNum(r.Residual, "%.3f"), fmtNum(r.Spread, "%.3f"), fmtNum(r.NFE, "%.0f"), fmtNum(r.VJPs, "%.0f"))
	}
	tw.Flush()
}

// WriteFiles writes lab.json and lab.csv into out.
func (rep *NoExactLabReport) WriteFiles(out *export.Dir) error {
	if err := out.Write("lab.json", func(w io.Writer) error { return export.WriteJSON(w, rep) }); err != nil {
		return err
	}
	return out.Write("lab.csv", rep.writeCSV)
}

// writeCSV writes lab.csv: one row per entry.
func (rep *NoExactLabReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"label", "method", "steps", "nfe", "vjps", "runs", "failed", "diverged_fraction", "mean_psnr", "mean_residual",
		"noise_norm", "pixel_spread"})
	for _, r := range rep.Results {
		cw.Write([]string{r.Label, r.Method, strconv.Itoa(r.Steps), export.CSVFloat(float64(r.NFE)), export.CSVFloat(float64(r.VJPs)),
			strconv.Itoa(r.Runs), strconv.Itoa(r.Failed), export.CSVFloat(float64(r.Diverged)), export.CSVFloat(float64(r.PSNR)),
			export.CSVFloat(float64(r.Residual)), export.CSVFloat(float64(rep.NoiseNorm)), export.CSVFloat(float64(r.Spread))})
	}
	cw.Flush()
	return cw.Error()
}
