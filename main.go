// Command tweedie explores diffusion-model posterior samplers in the
// terminal: with no subcommand it opens the explorer, which steps through
// a guided reverse-diffusion trajectory (ΠG, DPS and every other
// registered method) on the embedded MNIST prior or another of the prior
// registry. The subcommands run, lab and posterior measure headless;
// commands.go lists them all.
package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	_ "tweedie/assets" // registers the prior "mnist" and the MNIST test digits
	"tweedie/internal/cli"
	"tweedie/tui"
)

func main() {
	limitHeap()
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// startExplorer opens the explorer; tests replace it.
var startExplorer = tui.Run

// realMain runs the command args select and returns the exit status.
func realMain(args []string, stdout, stderr io.Writer) int {
	defer closePriors()
	root := newRoot()
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		showParamsOnLine(root, args[1:])
	}
	return program(root, stdout, stderr, os.Environ()).Execute(context.Background(), args)
}

// newRoot is the command tree: the explorer at the root, the commands of
// commands.go below it.
func newRoot() *cobra.Command {
	var ef explorerFlags
	root := &cobra.Command{
		Use:   "tweedie",
		Short: "a terminal explorer for diffusion-model posterior samplers",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ef.open(cmd, nil)
		},
	}
	ef.add(root)
	addConfigFlag(root)
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	if err := helpTexts.Apply(root); err != nil {
		panic(err) // the texts are embedded; TestHelpGolden reads every one
	}
	return root
}

// explorerFlags are the flags of the explorer (and of the tour and serve):
// the problem and the display.
type explorerFlags struct {
	pf    *problemFlags
	df    *displayFlags
	theme string
}

func (ef *explorerFlags) add(cmd *cobra.Command) {
	ef.pf = addProblemFlags(cmd)
	ef.df = addDisplayFlags(cmd)
	addThemeFlag(cmd, &ef.theme)
}

// open builds the explorer's options from the flags, sets tour (when not
// nil) on them and runs the explorer until it quits.
func (ef *explorerFlags) open(cmd *cobra.Command, tour *tui.TourOptions) error {
	opts, err := ef.options()
	if err != nil {
		return err
	}
	if opts.Graphics, opts.Cell, opts.Profile, err = ef.df.parse(); err != nil {
		return cli.Usage(err)
	}
	if tour != nil {
		opts.Tour = *tour
	}
	if err := startExplorer(opts); err != nil {
		var se *tui.SignalError
		if errors.As(err, &se) {
			return &cli.SignalError{Signal: se.Signal} // exits as a shell reports the signal
		}
		return err
	}
	return nil
}

// options are the explorer's starting options from the problem flags and
// --theme, refused as the explorer would refuse them before its screen
// opens. `tweedie serve` starts every session from them.
func (ef *explorerFlags) options() (tui.Options, error) {
	st, err := setupProblem(ef.pf)
	if err != nil {
		return tui.Options{}, err
	}
	opts := tui.Options{Settings: st.Settings, Prior: st.Case.Prior, Images: st.Truths, Image: st.Image}
	if opts.Theme, err = tui.ParseTheme(ef.theme); err != nil {
		return tui.Options{}, cli.Usage(err)
	}
	if _, err := tui.New(opts); err != nil {
		return tui.Options{}, cli.Usage(err)
	}
	return opts, nil
}
