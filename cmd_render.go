package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/colorprofile"

	"tweedie/core/imgio"
	"tweedie/tui/gfx"
	"tweedie/tui/kitty"
	"tweedie/tui/termcaps"
)

// displayFlags are the flags that say how images are drawn: the
// explorer's and render's.
type displayFlags struct {
	graphics, color string
}

func addDisplayFlags(fs *flag.FlagSet) *displayFlags {
	d := &displayFlags{}
	fs.StringVar(&d.graphics, "graphics", "auto", "images as `MODE`: auto, kitty, sixel, halfblock or ascii; sixel:WxH also sets the cell size in pixels (when the terminal does not report it)")
	fs.StringVar(&d.color, "color", "auto", "colour `PROFILE`: auto, truecolor, 256, 16 or none (over SSH only TERM reaches the program, so auto may under-report)")
	return d
}

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

// renderCommand is `tweedie render`.
var renderCommand = command{
	summary: "print images in the terminal (kitty, sixel, half-blocks or characters)",
	run: func(args []string, stdout, stderr io.Writer) int {
		return runRender(args, stdout, stderr, termcaps.Probe)
	},
}

// prober asks the terminal what it can draw (termcaps.Probe); tests
// replace it.
type prober = func(env termcaps.Env) (caps termcaps.Caps, cols int, cell termcaps.Size, err error)

func runRender(args []string, stdout, stderr io.Writer, probe prober) int {
	fs := newFlagSet("tweedie render")
	df := addDisplayFlags(fs)
	width := fs.Int("width", 0, "width in `COLS` (default: on a terminal, the image fitted to its window, like chafa; elsewhere its width in pixels, at most 80)")
	files, err := parseFlags(fs, args) // flags may follow the images
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, helpText("render"))
		return exitOK
	}
	if err != nil {
		return fail(stderr, "render", usageError{err})
	}
	mode, cell, profile, err := df.parse()
	if err != nil {
		return fail(stderr, "render", usageError{err})
	}
	if len(files) == 0 {
		return fail(stderr, "render", usagef("no image given"))
	}
	if *width < 0 || *width > kitty.MaxCells*4 {
		return fail(stderr, "render", usagef("--width %d: want 0 (automatic) or 1…%d columns", *width, kitty.MaxCells*4))
	}
	pr := gfx.NewPrinter(gfx.PrintOptions{Mode: mode, Cell: cell, Profile: profile, Out: stdout, Environ: os.Environ(), Probe: probe})
	status := 0
	for i, path := range files {
		im, err := imgio.Decode(path)
		if err != nil {
			status = max(status, fail(stderr, "render", err))
			continue
		}
		cols := *width
		if cols == 0 {
			cols = pr.Width(im.Bounds())
		}
		if w, h := pr.DrawSize(im.Bounds(), cols); w > gfx.MaxDrawSide || h > gfx.MaxDrawSide || w*h > gfx.MaxDrawPixels {
			status = max(status, fail(stderr, "render", usagef("%s: drawn in %d columns it would be %d×%d pixels, more than %d on a side or %d in all",
				path, cols, w, h, gfx.MaxDrawSide, gfx.MaxDrawPixels)))
			continue
		}
		out, err := pr.Append(nil, im, cols, i)
		if err != nil {
			status = max(status, fail(stderr, "render", fmt.Errorf("%s: %w", path, err)))
			continue
		}
		if _, err := stdout.Write(out); err != nil {
			return fail(stderr, "render", err)
		}
	}
	return status
}
