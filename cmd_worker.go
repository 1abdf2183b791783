package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"tweedie/assets"
	"tweedie/core/export"
	"tweedie/internal/cli"
)

func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "worker [FILE.py]",
		Args: cli.RangeArgs(0, 1, "at most one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdout := cmd.OutOrStdout()
			if len(args) == 0 {
				_, err := io.WriteString(stdout, assets.WorkerPy)
				return err
			}
			err := export.AtomicFile(args[0], func(w io.Writer) error {
				_, err := io.WriteString(w, assets.WorkerPy)
				return err
			})
			if err == nil {
				err = os.Chmod(args[0], 0o755)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s (run it with --model …; see tweedie worker -h)\n", args[0])
			return nil
		},
	}
}
