package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"tweedie/core/export"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/tui/progress"
)

// runFlags are `tweedie run`'s flags beyond the problem's.
type runFlags struct {
	prior    *string
	out      *string
	json     *bool
	dump     *string
	gifEvery *int
	noExact  *bool
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie run")
	pf := addProblemFlags(fs)
	rf := runFlags{
		prior:    addPriorFlag(fs),
		out:      fs.String("out", "", "write images, trajectory.gif, steps.csv, gradnorm.png and summary.json to `DIR`"),
		json:     fs.Bool("json", false, "print summary.json to stdout instead of the text summary"),
		dump:     fs.String("dump", "", "write every step's arrays to `FILE.npz`"),
		gifEvery: fs.Int("gif-every", 0, "a trajectory.gif frame every `K` steps (default: about 50 frames, ceil(steps/50))"),
		noExact:  fs.Bool("no-exact", false, "skip the exact guidance at every step (faster; no cos_to_exact)"),
	}
	if status, done := parseNoArgs(fs, args, "run", helpText("run"), stdout, stderr); done {
		return status
	}
	return doRun(pf, rf, stdout, stderr)
}

func doRun(pf *problemFlags, rf runFlags, stdout, stderr io.Writer) int {
	st, err := setupProblem(pf, *rf.prior)
	if err != nil {
		return fail(stderr, "run", err)
	}
	c := &st.Case
	c.Config.NoExact = *rf.noExact
	if *rf.dump != "" {
		c.Config.KeepBytes = -1 // the dump holds every step: 16·d bytes each
	}
	// Build the Runner before anything is written: run.New refuses methods
	// that cannot serve the problem.
	runner, err := run.New(c.Prob, c.Config)
	if err != nil {
		return fail(stderr, "run", usageError{err})
	}
	if err := runner.ExactErr(); err != nil && c.Prob.HasExact() && !*rf.noExact {
		fmt.Fprintf(stderr, "tweedie run: warning: no comparison with the exact guidance: %v\n", err)
	}
	gifEvery := *rf.gifEvery
	switch {
	case gifEvery < 0:
		return fail(stderr, "run", usagef("--gif-every %d: want K ≥ 1 (or 0 for about 50 frames)", gifEvery))
	case gifEvery == 0:
		gifEvery = max(1, (c.Config.Steps+49)/50)
	}
	if *rf.dump != "" {
		if err := export.CheckDest("--dump", *rf.dump); err != nil {
			return fail(stderr, "run", usageError{err})
		}
	}
	var od *export.Dir
	if *rf.out != "" {
		if od, err = export.PrepareDir(*rf.out); err != nil {
			return fail(stderr, "run", usageError{err})
		}
	}
	abort := func() {
		if od != nil {
			od.Abort()
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := progress.New(stderr, "sampling", c.Config.Steps)
	start := time.Now()
	tr, err := runner.Run(ctx, bar.Update)
	elapsed := time.Since(start) - bar.DrawTime() // sampler compute only
	bar.Finish()
	var diverged *run.DivergedError
	switch {
	case ctx.Err() != nil:
		abort()
		fmt.Fprintln(stderr, "tweedie run: interrupted; nothing written")
		return exitInterrupt
	case errors.As(err, &diverged):
	case err != nil:
		abort()
		return fail(stderr, "run", err)
	}
	if tr.Done == 0 {
		abort()
		return fail(stderr, "run", errors.New("no step was recorded"))
	}
	res := report.NewRun(c, tr, diverged, elapsed, gifEvery, runner.Values())
	sum := res.Summary()

	if od != nil {
		if err := res.WriteFiles(od, sum); err != nil {
			abort()
			return fail(stderr, "run", fmt.Errorf("--out %s: %w", *rf.out, err))
		}
	}
	if *rf.dump != "" {
		if err := export.AtomicFile(*rf.dump, func(w io.Writer) error { return export.WriteDump(w, tr, c.Prob, c.Truth) }); err != nil {
			abort()
			return fail(stderr, "run", fmt.Errorf("--dump %s: %w", *rf.dump, err))
		}
	}
	if od != nil {
		if err := od.Commit(); err != nil {
			abort()
			if *rf.dump != "" {
				os.Remove(*rf.dump)
			}
			return fail(stderr, "run", fmt.Errorf("--out %s: %w", *rf.out, err))
		}
	}

	if *rf.json {
		if err := export.WriteJSON(stdout, sum); err != nil {
			return fail(stderr, "run", err)
		}
	} else {
		sum.Print(stdout, *rf.out, *rf.dump)
	}
	if diverged != nil {
		wrote := ""
		if od != nil || *rf.dump != "" {
			wrote = "outputs written with "
		}
		fmt.Fprintf(stderr, "tweedie run: %v; %sdiverged_at = %d (the step index, from 0)\n", diverged, wrote, diverged.Step)
		return exitFailure
	}
	return exitOK
}
