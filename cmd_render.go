package main

import (
	"fmt"
	"math"
	"os"

	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"tweedie/core/imgio"
	"tweedie/internal/cli"
	"tweedie/tui/gfx"
	"tweedie/tui/kitty"
	"tweedie/tui/termcaps"
)

// parse returns the parsed mode, cell size and colour profile.
func (d *displayFlags) parse() (termcaps.Mode, termcaps.Size, colorprofile.Profile, error) {
	mode, cell, err := termcaps.ParseMode(d.graphics)
	if err != nil {
		return 0, cell, 0, fmt.Errorf("--graphics: %w", err)
	}
	p, err := termcaps.ParseProfile(d.color)
	if err != nil {
		return 0, cell, 0, fmt.Errorf("--color: %w", err)
	}
	return mode, cell, p, nil
}

// probeTerminal asks the terminal what it can draw; tests replace it.
var probeTerminal = termcaps.Probe

func newRenderCmd() *cobra.Command {
	var width int
	var df *displayFlags
	cmd := &cobra.Command{
		Use:  "render IMAGE...",
		Args: cli.RangeArgs(1, math.MaxInt, "an IMAGE or more (no image given)"),
		RunE: func(cmd *cobra.Command, files []string) error { return renderImages(cmd, df, width, files) },
	}
	df = addDisplayFlags(cmd)
	cmd.Flags().IntVar(&width, "width", 0, "width in `COLS` (0: on a terminal, the image fitted to its window, like chafa; elsewhere its width in pixels, at most 80)")
	cli.SetGroup(cmd.Flags(), groupDisplay, "width")
	return cmd
}

// renderImages prints the images, reporting each one it cannot draw and going
// on with the next.
func renderImages(cmd *cobra.Command, df *displayFlags, width int, files []string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	mode, cell, profile, err := df.parse()
	if err != nil {
		return cli.Usage(err)
	}
	if width < 0 || width > kitty.MaxCells*4 {
		return cli.Usagef("--width %d: want 0 (automatic) or 1…%d columns", width, kitty.MaxCells*4)
	}
	pr := gfx.NewPrinter(gfx.PrintOptions{Mode: mode, Cell: cell, Profile: profile, Out: stdout, Environ: os.Environ(), Probe: probeTerminal})
	status := 0
	report := func(err error) { status = max(status, cli.PrintError(stderr, cmd.CommandPath(), err)) }
	for i, path := range files {
		im, err := imgio.Decode(path)
		if err != nil {
			report(err)
			continue
		}
		cols := width
		if cols == 0 {
			cols = pr.Width(im.Bounds())
		}
		if w, h := pr.DrawSize(im.Bounds(), cols); w > gfx.MaxDrawSide || h > gfx.MaxDrawSide || w*h > gfx.MaxDrawPixels {
			report(cli.Usagef("%s: drawn in %d columns it would be %d×%d pixels, more than %d on a side or %d in all",
				path, cols, w, h, gfx.MaxDrawSide, gfx.MaxDrawPixels))
			continue
		}
		out, err := pr.Append(nil, im, cols, i)
		if err != nil {
			report(fmt.Errorf("%s: %w", path, err))
			continue
		}
		if _, err := stdout.Write(out); err != nil {
			return err
		}
	}
	if status != 0 {
		return &cli.ExitError{Code: status}
	}
	return nil
}
