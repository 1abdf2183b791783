package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"tweedie/core/export"
	"tweedie/core/gmm"
	"tweedie/core/prior"
	"tweedie/internal/cli"
)

func newPriorCmd() *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use: "prior",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cli.Usagef("want a subcommand: export FILE.npz or list")
			}
			return cli.Usagef("unknown subcommand %q (want export or list)", args[0])
		},
	}
	addPriorFlag(cmd.PersistentFlags(), &spec)
	completePriors(cmd)
	export := &cobra.Command{
		Use:  "export FILE.npz",
		Args: cli.RangeArgs(1, 1, "one FILE.npz"),
		RunE: func(cmd *cobra.Command, args []string) error { return exportPrior(cmd.OutOrStdout(), spec, args[0]) },
	}
	_ = export.MarkFlagFilename("", "npz")
	list := &cobra.Command{
		Use:  "list",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), prior.Help())
			return err
		},
	}
	cmd.AddCommand(export, list)
	return cmd
}

// exportPrior writes the mixture of prior spec to path as .npz.
func exportPrior(stdout io.Writer, spec, path string) error {
	if err := export.CheckDest("export", path); err != nil {
		return cli.Usage(err)
	}
	p, err := loadPrior(spec)
	if err != nil {
		return err
	}
	if p.Mixture == nil {
		return cli.Usagef("prior %s is not a Gaussian mixture: nothing to export", p.Spec)
	}
	if err := export.AtomicFile(path, func(w io.Writer) error { return gmm.WriteNPZ(w, p.Mixture) }); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	m := p.Mixture
	fmt.Fprintf(stdout, "wrote %s: %s prior, K = %d components, d = %d (%v), q = %d\n",
		path, p.Spec, len(m.Components), m.Dim(), m.Shape, m.Components[0].Rank())
	return nil
}
