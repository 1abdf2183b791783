package main

import (
	"context"
	"io"

	"tweedie/core/budget"
	"tweedie/core/export"
	"tweedie/core/lab"
	"tweedie/core/report"
	"tweedie/core/worker"
	"tweedie/internal/cli"
)

// labNoExact is `tweedie lab` on a prior without an exact posterior (a
// served model): lab.RunNoExact's figures, as a table or JSON, and
// lab.json and lab.csv under --out.
func labNoExact(ctx context.Context, f *labFlags, setup *report.LabSetup, stdout io.Writer) error {
	pd := setup.Prior
	workers := f.workers
	if r, ok := pd.Model.(*worker.Remote); ok {
		workers = max(workers, r.Workers()) // every worker process busy
	}
	cfg := lab.NoExactConfig{Prior: pd.Model, Truth: pd.Truths[setup.Image].Image.Pix, Entries: setup.Plain(), Seeds: f.seeds,
		FirstSeed: f.firstSeed, Workers: workers, Budget: budget.Process}
	var out *export.Dir
	if f.out != "" {
		var err error
		if out, err = export.PrepareDir(f.out); err != nil {
			return cli.Usage(err)
		}
	}
	rep, err := lab.RunNoExact(ctx, cfg)
	if err != nil {
		return labFailed(ctx, err, out)
	}
	if err := labDone(report.NewNoExactLab(rep, setup), f.json, out, stdout); err != nil {
		return err
	}
	return failedRuns(rep.Results, f.seeds, func(r lab.NoExactResult) (int, string) { return r.Failed, r.Failure })
}
