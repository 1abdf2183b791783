// Package tui is tweedie's terminal explorer: it steps through a guided
// reverse-diffusion trajectory (any registered method: ΠG, DPS, the exact
// oracle, none, …) and
// draws the images (kitty graphics, sixel, half-blocks or characters, as
// the terminal allows), with a chart of the guidance over all
// steps and the guidance rule with its current values.
//
// Every parameter change recomputes the trajectory in the background
// (runs.go): a worker goroutine owns its Runner and sends copies of
// finished steps as messages stamped with a run id, so a superseded run is
// cancelled and its late messages dropped, and the UI never waits. Methods,
// their parameter keys and formula panels come from the method registry
// (core/method); images are the gfx component's (tui/gfx).
//
// The guided tour (key t, tweedie tour; tourview.go, package tour) walks
// through the derivation of ΠG and DPS in stops that set the explorer's
// state and show the exact quantity beside each approximation.
//
// The lab view (key l, package labview) runs a batch of seeds of ΠG, DPS
// and the oracle for the problem shown and compares them with the exact
// posterior as the seeds finish. Styles follow the terminal's background,
// dark until it answers.
package tui

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/tui/labview"
	"tweedie/tui/termcaps"
)

// Options are the starting state of the explorer.
type Options struct {
	// Settings is the starting problem, sampler and guidance.
	Settings run.Settings
	// Prior is the model of images, from the prior registry; an exact
	// mixture also gives the exact posterior panels, the oracle, the
	// cosine to the exact guidance and the lab.
	Prior *prior.Prior
	// Images are the ground truths n/p cycle through (nil: the prior's);
	// Image is the first shown.
	Images []prior.Truth
	Image  int
	// Profile pins the colour profile; the zero value (Unknown) detects it.
	Profile colorprofile.Profile
	// Theme pins the styles to dark or light; ThemeAuto follows the
	// terminal's background (its reply, COLORFGBG, else neutral styles).
	Theme Theme
	// Graphics is how images are drawn; the zero value (Auto) asks the
	// terminal and picks kitty, sixel, half-blocks or characters.
	Graphics termcaps.Mode
	// Cell is the cell size in pixels for sixel images when the terminal
	// does not report it; zero means termcaps.DefaultCell.
	Cell termcaps.Size
	// SnapshotDir is where the snapshot key (P) writes its PNGs; "" hides
	// the key (a served session writes nothing on the server). Run uses
	// the current directory when it is "".
	SnapshotDir string
	// Lab is how the lab view runs its batches; the zero value takes
	// labview's defaults (32 seeds, at most 100 steps, GOMAXPROCS − 1 workers).
	Lab labview.Config
	// Tour opens the explorer in the guided tour (tweedie tour).
	Tour TourOptions
	// Pool bounds the runs computing at once; explorers that share one (the
	// sessions of a server) share its cores. Nil: a pool of this explorer's own.
	Pool *Pool
	// ProgramOptions are passed to tea.NewProgram (tests set input and output).
	ProgramOptions []tea.ProgramOption
}

func (o *Options) validate() error {
	if o.Prior == nil || o.Prior.Model == nil {
		return errors.New("tui: no prior")
	}
	if o.Images == nil {
		o.Images = o.Prior.Truths
	}
	switch {
	case len(o.Images) == 0:
		return errors.New("tui: no ground-truth images")
	case o.Image < 0 || o.Image >= len(o.Images):
		return fmt.Errorf("tui: image %d out of range [0, %d)", o.Image, len(o.Images))
	}
	want := o.Prior.Model.ImageShape()
	for i, t := range o.Images {
		if t.Image.Shape != want || len(t.Image.Pix) != want.Len() {
			return fmt.Errorf("tui: image %d (%s) is %v, the prior's images are %v", i, t.Name, t.Image.Shape, want)
		}
	}
	// Build once so a bad start fails before the screen opens.
	prob, cfg, err := o.Settings.Build(o.Prior.Model, o.Images[o.Image].Image.Pix)
	if err != nil {
		return err
	}
	v, err := cfg.Method.Resolve(cfg.Params, prob.Op)
	if err != nil {
		return err
	}
	return cfg.Method.Serves(prob.Offer, v)
}

// Run opens the explorer and returns when the user quits.
func Run(opts Options) error {
	if opts.SnapshotDir == "" {
		opts.SnapshotDir = "."
	}
	m, err := New(opts)
	if err != nil {
		return err
	}
	m.gfx.SetHint(kernelCellSize())
	popts := []tea.ProgramOption{}
	if in, closeTTY, ok := localInput(); ok {
		defer closeTTY()
		popts = append(popts, tea.WithInput(in))
	}
	if opts.Profile != colorprofile.Unknown {
		popts = append(popts, tea.WithColorProfile(opts.Profile))
	} else if os.Getenv("NO_COLOR") != "" {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	popts = append(popts, opts.ProgramOptions...)
	p := tea.NewProgram(m, popts...)
	stop := watchSignals(p)
	_, err = p.Run()
	m.finish(nil) // a snapshot under way is written
	if sig := stop(); sig != 0 {
		return &SignalError{Signal: sig}
	}
	if errors.Is(err, tea.ErrInterrupted) {
		return &SignalError{Signal: syscall.SIGINT}
	}
	return err
}

// SignalError is Run's error when a signal (SIGINT, SIGHUP) ended the
// explorer, after the terminal was restored. A shell reports such an end as
// status 128 + the signal's number.
type SignalError struct{ Signal syscall.Signal }

func (e *SignalError) Error() string { return "explorer ended by " + e.Signal.String() }
