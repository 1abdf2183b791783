package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"tweedie/core/export"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/internal/cli"
	"tweedie/tui/progress"
)

// runFlags are `tweedie run`'s flags beyond the problem's.
type runFlags struct {
	out, dump     string
	json, noExact bool
	gifEvery      int
}

func newRunCmd() *cobra.Command {
	var rf runFlags
	var pf *problemFlags
	cmd := &cobra.Command{
		Use:  "run",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return doRun(cmd, pf, rf) },
	}
	pf = addProblemFlags(cmd)
	fs := cmd.Flags()
	addOutFlag(cmd, &rf.out, "images, trajectory.gif, steps.csv, gradnorm.png and summary.json")
	addJSONFlag(cmd, &rf.json, "print summary.json to stdout instead of the text summary")
	fs.StringVar(&rf.dump, "dump", "", "write every step's arrays to `FILE.npz`")
	fs.IntVar(&rf.gifEvery, "gif-every", 0, "a trajectory.gif frame every `K` steps (0: about 50 frames, ceil(steps/50))")
	fs.BoolVar(&rf.noExact, "no-exact", false, "skip the exact guidance at every step (faster; no cos_to_exact)")
	cli.SetGroup(fs, groupOutputs, "dump", "gif-every", "no-exact")
	return cmd
}

func doRun(cmd *cobra.Command, pf *problemFlags, rf runFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx, stop := signalContext(cmd.Context())
	defer stop()
	st, err := setupProblemContext(ctx, pf)
	switch {
	case ctx.Err() != nil:
		return interrupted(ctx)
	case err != nil:
		return err
	}
	c := &st.Case
	c.Config.NoExact = rf.noExact
	if rf.dump != "" {
		c.Config.KeepBytes = -1 // the dump holds every step: 16·d bytes each
	}
	// The run's share of the memory budget (its trajectory's bound comes
	// down to what is free), and the Runner, before anything is written:
	// run.New refuses methods that cannot serve the problem.
	mem, err := reserveRun(c)
	if err != nil {
		return err
	}
	defer mem.release()
	runner, err := run.New(c.Prob, c.Config)
	if err != nil {
		return cli.Usage(err)
	}
	if err := runner.ExactErr(); err != nil && c.Prob.HasExact() && !rf.noExact {
		fmt.Fprintf(stderr, "tweedie run: warning: no comparison with the exact guidance: %v\n", err)
	}
	gifEvery := rf.gifEvery
	switch {
	case gifEvery < 0:
		return cli.Usagef("--gif-every %d: want K ≥ 1 (or 0 for about 50 frames)", gifEvery)
	case gifEvery == 0:
		gifEvery = max(1, (c.Config.Steps+49)/50)
	}
	if rf.dump != "" {
		if err := export.CheckDest("--dump", rf.dump); err != nil {
			return cli.Usage(err)
		}
	}
	var od *export.Dir
	if rf.out != "" {
		if od, err = export.PrepareDir(rf.out); err != nil {
			return cli.Usage(err)
		}
	}
	abort := func() {
		if od != nil {
			od.Abort()
		}
	}

	bar := progress.New(stderr, "sampling", c.Config.Steps)
	start := time.Now()
	tr, err := runner.Run(ctx, bar.Update)
	elapsed := time.Since(start) - bar.DrawTime() // sampler compute only
	bar.Finish()
	var diverged *run.DivergedError
	var failure error
	switch {
	case ctx.Err() != nil:
		abort()
		return interrupted(ctx)
	case errors.As(err, &diverged):
	case err != nil && tr.Done > 0:
		failure = err // write the steps made, marked
	case err != nil:
		abort()
		return err
	}
	if tr.Done == 0 {
		abort()
		return errors.New("no step was recorded")
	}
	res := report.NewRun(c, tr, diverged, elapsed, gifEvery, runner.Values())
	res.Failure = failure
	// The Runner is no longer used: its vectors' share goes to the outputs.
	if err := mem.outputs(c, res.GIFFrames()); err != nil {
		abort()
		return err
	}
	sum := res.Summary()

	if od != nil {
		if err := res.WriteFiles(od, sum); err != nil {
			abort()
			return fmt.Errorf("--out %s: %w", rf.out, err)
		}
	}
	if rf.dump != "" {
		if err := export.AtomicFile(rf.dump, func(w io.Writer) error { return export.WriteDump(w, tr, c.Prob, c.Truth) }); err != nil {
			abort()
			return fmt.Errorf("--dump %s: %w", rf.dump, err)
		}
	}
	if od != nil {
		if err := od.Commit(); err != nil {
			abort()
			if rf.dump != "" {
				os.Remove(rf.dump)
			}
			return fmt.Errorf("--out %s: %w", rf.out, err)
		}
	}

	if rf.json {
		if err := export.WriteJSON(stdout, sum); err != nil {
			return err
		}
	} else {
		sum.Print(stdout, rf.out, rf.dump)
	}
	wrote := ""
	if od != nil || rf.dump != "" {
		wrote = "outputs written with "
	}
	switch {
	case diverged != nil:
		return fmt.Errorf("%v; %sdiverged_at = %d (the step index, from 0)", diverged, wrote, diverged.Step)
	case failure != nil:
		return fmt.Errorf("%w; incomplete: %sthe %d steps before it, failed_at = %d (the step index, from 0)", failure, wrote, tr.Done, tr.Done)
	}
	return nil
}
