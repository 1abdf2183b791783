package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/lab"
	"tweedie/core/prior"
	"tweedie/core/worker"
)

// labNoExact is `tweedie lab` on a prior without an exact posterior (a
// served model): lab.RunNoExact's figures, as a table or JSON, and
// lab.json and lab.csv under --out.
func labNoExact(f *labFlags, pd *prior.Prior, entries []lab.Entry, stdout, stderr io.Writer) int {
	n, _ := strconv.Atoi(f.image) // checked by the caller
	workers := f.workers
	if r, ok := pd.Model.(*worker.Remote); ok {
		workers = max(workers, r.Workers()) // every worker process busy
	}
	cfg := lab.NoExactConfig{Prior: pd.Model, Truth: pd.Truths[n].Image.Pix, Entries: entries, Seeds: f.seeds,
		FirstSeed: f.firstSeed, Workers: workers}
	var out *export.Dir
	if f.out != "" {
		var err error
		if out, err = export.PrepareDir(f.out); err != nil {
			return fail(stderr, "lab", usageError{err})
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := lab.RunNoExact(ctx, cfg)
	if err != nil {
		return labFailed(ctx, err, out, stderr)
	}
	js := newLabNoExactJSON(rep, pd, f, entries)
	if f.json {
		if err := export.WriteJSON(stdout, js); err != nil {
			return fail(stderr, "lab", err)
		}
	} else {
		printLabNoExact(stdout, js)
	}
	if out != nil {
		err := out.Write("lab.json", func(w io.Writer) error { return export.WriteJSON(w, js) })
		if err == nil {
			err = out.Write("lab.csv", func(w io.Writer) error { return writeLabNoExactCSV(w, js) })
		}
		if err == nil {
			err = out.Commit()
		}
		if err != nil {
			out.Abort()
			return fail(stderr, "lab", err)
		}
	}
	return exitOK
}

// labNoExactJSON is the report as written: NaN as null.
type labNoExactJSON struct {
	Prior     string                 `json:"prior"`
	Op        string                 `json:"op"`
	Sigma     float64                `json:"sigma"`
	Image     string                 `json:"image"`
	Seeds     int                    `json:"seeds"`
	NoiseNorm export.Float           `json:"noise_norm"`
	Results   []labNoExactResultJSON `json:"results"`
}

type labNoExactResultJSON struct {
	Label    string       `json:"label"`
	Method   string       `json:"method"`
	Steps    int          `json:"steps"`
	Runs     int          `json:"runs"`
	Diverged export.Float `json:"diverged_fraction"`
	PSNR     export.Float `json:"mean_psnr"`
	Residual export.Float `json:"mean_residual"`
	Spread   export.Float `json:"pixel_spread"`
	NFE      float64      `json:"nfe"`
	VJPs     float64      `json:"vjps"`
}

func newLabNoExactJSON(rep *lab.NoExactReport, pd *prior.Prior, f *labFlags, entries []lab.Entry) *labNoExactJSON {
	n, _ := strconv.Atoi(f.image)
	s0 := entries[0].Settings
	out := &labNoExactJSON{Prior: f.prior, Op: s0.Op, Sigma: s0.Sigma, Image: pd.Truths[n].Name, Seeds: rep.Seeds,
		NoiseNorm: export.Float(rep.NoiseNorm)}
	for i, r := range rep.Results {
		s := entries[i].Settings
		out.Results = append(out.Results, labNoExactResultJSON{Label: r.Label, Method: s.Method, Steps: s.Steps,
			Runs: r.Runs, Diverged: export.Float(r.Diverged), PSNR: export.Float(r.PSNR), Residual: export.Float(r.Residual),
			Spread: export.Float(r.Spread), NFE: r.NFE, VJPs: r.VJPs})
	}
	return out
}

func printLabNoExact(w io.Writer, rep *labNoExactJSON) {
	fmt.Fprintf(w, "lab · %s · %s · σ = %g · %s · %d seeds · no exact posterior: no TV, SW or coverage\n",
		rep.Prior, rep.Op, rep.Sigma, rep.Image, rep.Seeds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\truns\tdiv\tPSNR\t‖y−A(x)‖ (σ√m %s)\tspread\tNFE\tVJPs\t\n", fmtNum(rep.NoiseNorm, "%.3g"))
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t\n", r.Label, r.Runs, fmtNum(r.Diverged, "%.2f"),
			fmtNum(r.PSNR, "%.2f"), fmtNum(r.Residual, "%.3f"), fmtNum(r.Spread, "%.3f"), r.NFE, r.VJPs)
	}
	tw.Flush()
}

func writeLabNoExactCSV(w io.Writer, rep *labNoExactJSON) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"label", "method", "steps", "nfe", "vjps", "runs", "diverged_fraction", "mean_psnr", "mean_residual",
		"noise_norm", "pixel_spread"})
	for _, r := range rep.Results {
		cw.Write([]string{r.Label, r.Method, strconv.Itoa(r.Steps), export.CSVFloat(r.NFE), export.CSVFloat(r.VJPs),
			strconv.Itoa(r.Runs), export.CSVFloat(float64(r.Diverged)), export.CSVFloat(float64(r.PSNR)),
			export.CSVFloat(float64(r.Residual)), export.CSVFloat(float64(rep.NoiseNorm)), export.CSVFloat(float64(r.Spread))})
	}
	cw.Flush()
	return cw.Error()
}
