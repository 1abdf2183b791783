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
)

const runHelp = `tweedie run — one guided reverse-diffusion run, headless, with exports

Usage:
  tweedie run [flags]

Runs the sampler on the problem the flags describe (the same flags as the
explorer) and prints a summary; --out writes the files below, --json prints
summary.json to stdout, --dump writes every step's arrays.

Files in --out DIR (written to a temporary directory beside DIR and moved
into place at the end, so a failure leaves nothing behind):
  final.png        the sample x_0 (for a diverged run: x̂0 of the last step)
  x0hat.png        the last step's Tweedie estimate x̂0
  truth.png        the ground truth x0
  measurement.png  the measurement y as an image (unobserved pixels magenta)
  trajectory.gif   x_t (left) and x̂0 (right) at steps 0, K, 2K, … and the
                   last step: ceil(S/K) frames, one more when the last step
                   is not a multiple of K (K = --gif-every)
  steps.csv        one row per step: index,t,alpha_bar,residual,psnr,
                   g_norm,g_exact_norm,g_ratio,g_cos,
                   update_norm,update_exact_norm,update_ratio
                   (NaN where a value does not exist; see below); particle
                   methods add particles,ess,resampled,distinct
  gradnorm.png     ‖update‖, ‖g‖, ‖g*‖ and the residual per step, log scale
  summary.json     settings and results (non-finite numbers are null)
g is the method's estimate of the likelihood score ∇log p(y|x_t) and g*
the exact one (exact priors only): g_ratio = ‖g‖/‖g*‖, g_cos = cos∠(g, g*).
update is what the guidance changed in x_{t−1}, and update* what the exact
guidance would change from the same x_t (the oracle's update):
update_ratio = ‖update‖/‖update*‖ is how much of the exact correction the
method applies. (DPS's default step never applies g = h/σ² itself, so
g_ratio and update_ratio differ for it.)
Images in [-1, 1] are 8-bit gray, upscaled by an integer factor (8× for
28×28) with nearest neighbour.

--dump FILE.npz holds float32 arrays x_t, x0_hat, score_y and update of
shape (S, d), row i being step i flattened as H×W×C with channels innermost
(x_t.reshape(S, H, W, C) gives images); int64 t and float64 alpha_bar (S,);
y, the operator's output vector; truth (d,); mask (d,) for inpainting
operators, 1 where observed; final (d,) when the run completed; and int64
scalars height, width, channels. S is the number of steps recorded.

Examples:
  tweedie run                                      ΠG on digit 0, centre box, 1000 DDPM steps
  tweedie run --method dps --steps 1000 --json     DPS, summary as JSON on stdout
  tweedie run --op sr:factor=4 --image 42 --out sr4
  tweedie run --image-file my.png --op inpaint-half --sampler ddim --steps 100 --out half
  tweedie run --method oracle --steps 200 --dump oracle.npz
  tweedie run --method dps --steps 50 --json | jq .psnr

`

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
	if status, done := parseNoArgs(fs, args, "run", runHelp, stdout, stderr); done {
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
	bar := newProgressBar(stderr, "sampling", c.Config.Steps)
	start := time.Now()
	tr, err := runner.Run(ctx, bar.update)
	elapsed := time.Since(start) - bar.drawTime() // sampler compute only
	bar.finish()
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
