package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"tweedie/core/export"
	"tweedie/core/report"
	"tweedie/internal/cli"
)

func newPosteriorCmd() *cobra.Command {
	var (
		pf      *problemFlags
		out     string
		samples int
		json    bool
	)
	cmd := &cobra.Command{
		Use:  "posterior",
		Args: cli.NoArgs,
	}
	pf = addProblemFlags(cmd)
	fs := cmd.Flags()
	fs.IntVar(&samples, "samples", 8, "number `N` of exact posterior samples in samples.png (0 for none)")
	cli.SetGroup(fs, groupOutputs, "samples")
	addOutFlag(cmd, &out, "mean.png, std.png, samples.png, weights.csv and posterior.json")
	addJSONFlag(cmd, &json, "print posterior.json to stdout instead of the table")
	// --seed seeds the samples; the other sampler and method flags do not
	// apply: hidden, and refused on the command line.
	fs.Lookup("seed").Usage = "the `SEED` of the exact posterior samples"
	cli.SetGroup(fs, groupOutputs, "seed")
	unused := func(f *pflag.Flag) bool { g := cli.GroupOf(f); return g == groupSampler || g == groupParams }
	fs.VisitAll(func(f *pflag.Flag) { f.Hidden = f.Hidden || unused(f) })
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var given error
		fs.Visit(func(f *pflag.Flag) {
			if unused(f) && given == nil {
				given = cli.Usagef("--%s: tweedie posterior runs no sampler and no method (--seed seeds its samples)", f.Name)
			}
		})
		if given != nil {
			return given
		}
		if samples < 0 || samples > report.MaxPosteriorSamples {
			return cli.Usagef("--samples %d: want 0 ≤ N ≤ %d", samples, report.MaxPosteriorSamples)
		}
		st, err := setupProblem(pf)
		if err != nil {
			return err
		}
		post, err := report.NewPosterior(cmd.Context(), &st.Case, samples)
		if err != nil {
			return cli.Usage(err)
		}
		if out != "" {
			od, err := export.PrepareDir(out)
			if err != nil {
				return cli.Usage(err)
			}
			if err := post.WriteFiles(od); err != nil {
				od.Abort()
				return fmt.Errorf("--out %s: %w", out, err)
			}
			if err := od.Commit(); err != nil {
				od.Abort()
				return fmt.Errorf("--out %s: %w", out, err)
			}
		}
		stdout := cmd.OutOrStdout()
		if json {
			return export.WriteJSON(stdout, post.Summary)
		}
		post.Summary.Print(stdout)
		if out != "" {
			fmt.Fprintf(stdout, "wrote %s\n", out)
		}
		return nil
	}
	return cmd
}
