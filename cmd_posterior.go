package main

import (
	"fmt"
	"io"

	"tweedie/core/export"
	"tweedie/core/report"
)

func cmdPosterior(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie posterior")
	pf := addProblemFlags(fs)
	prior := addPriorFlag(fs)
	out := fs.String("out", "", "write mean.png, std.png, samples.png, weights.csv and posterior.json to `DIR`")
	samples := fs.Int("samples", 8, "number `N` of exact posterior samples in samples.png (0 for none)")
	jsonOut := fs.Bool("json", false, "print posterior.json to stdout instead of the table")
	if status, done := parseNoArgs(fs, args, "posterior", helpText("posterior"), stdout, stderr); done {
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
