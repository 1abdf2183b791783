package main

import (
	"fmt"
	"io"

	"tweedie/core/export"
	"tweedie/core/report"
)

const posteriorHelp = `tweedie posterior — the exact posterior p(x0|y) of a problem

Usage:
  tweedie posterior [flags]

For an exact Gaussian-mixture prior, a linear operator and σ > 0 the
posterior is again a mixture, p(x0|y) = Σ_k π'_k·N(m'_k, Σ'_k). This prints
each component's prior and posterior weight (with the class it models when
the prior has one component per class, found from labelled data), the PSNR
of the posterior mean, and the spread of the posterior standard deviation.
The problem flags are the explorer's and tweedie run's; the sampler and
guidance flags are accepted and ignored, --seed seeds the samples.

Files in --out DIR (all-or-nothing, as for tweedie run):
  mean.png        E[x0|y]
  std.png         the per-pixel posterior standard deviation, black = 0,
                  white = its maximum (std_max in posterior.json)
  samples.png     --samples exact posterior samples in a grid, 8 a row
  truth.png, measurement.png
  weights.csv     component,label,prior_weight,posterior_weight
  posterior.json  the same numbers, the samples' components, PSNRs

Examples:
  tweedie posterior                                  digit 0, centre box, σ = 0.05
  tweedie posterior --image 42 --op inpaint-half --out post42
  tweedie posterior --op sr:factor=4 --sigma 0.1 --samples 16 --out sr4post
  tweedie posterior --json | jq '.weights'

`

func cmdPosterior(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie posterior")
	pf := addProblemFlags(fs)
	prior := addPriorFlag(fs)
	out := fs.String("out", "", "write mean.png, std.png, samples.png, weights.csv and posterior.json to `DIR`")
	samples := fs.Int("samples", 8, "number `N` of exact posterior samples in samples.png (0 for none)")
	jsonOut := fs.Bool("json", false, "print posterior.json to stdout instead of the table")
	if status, done := parseNoArgs(fs, args, "posterior", posteriorHelp, stdout, stderr); done {
		return status
	}
	if *samples < 0 || *samples > report.MaxPosteriorSamples {
		return fail(stderr, "posterior", usagef("--samples %d: want 0 ≤ N ≤ %d", *samples, report.MaxPosteriorSamples))
	}
	st, err := setupProblem(pf, *prior)
	if err != nil {
		return fail(stderr, "posterior", err)
	}
	post, err := report.NewPosterior(&st.Case, *samples)
	if err != nil {
		return fail(stderr, "posterior", usageError{err})
	}
	sum := post.Summary
	if *out != "" {
		od, err := export.PrepareDir(*out)
		if err != nil {
			return fail(stderr, "posterior", usageError{err})
		}
		if err := post.WriteFiles(od); err != nil {
			od.Abort()
			return fail(stderr, "posterior", fmt.Errorf("--out %s: %w", *out, err))
		}
		if err := od.Commit(); err != nil {
			od.Abort()
			return fail(stderr, "posterior", fmt.Errorf("--out %s: %w", *out, err))
		}
	}
	if *jsonOut {
		if err := export.WriteJSON(stdout, sum); err != nil {
			return fail(stderr, "posterior", err)
		}
		return exitOK
	}
	sum.Print(stdout)
	if *out != "" {
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	return exitOK
}
