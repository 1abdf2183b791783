// Package tui is tweedie's terminal explorer: it steps through a guided
// reverse-diffusion trajectory (ΠG, DPS, the exact oracle, or none) and
// draws the images (kitty graphics, sixel, half-blocks or characters, as
// the terminal allows), with a chart of the guidance over all
// steps and the guidance rule with its current values.
//
// Every parameter change recomputes the trajectory in the background: a
// worker goroutine owns its Runner and sends copies of finished steps as
// messages stamped with a run id, so a superseded run is cancelled and its
// late messages dropped, and the UI never waits. Runs other than the
// oracle's are made without the exact guidance, which would triple their
// cost on MNIST; once a run ended, its worker compares each step's guidance
// with the exact one and sends the figures (cos(g,g*)) after it.
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

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/run"
	"tweedie/tui/labview"
	"tweedie/tui/termcaps"
)

// Truth is a ground-truth image the explorer can measure.
type Truth struct {
	// Name describes the image, e.g. "digit 7 (test #0)".
	Name  string
	Image img.Image
}

// Options are the starting state of the explorer.
type Options struct {
	// Settings is the starting problem, sampler and guidance.
	Settings run.Settings
	// Prior is the model of images; an exact *gmm.Mixture also gives the
	// exact posterior panels, the oracle and the cosine to the exact guidance.
	Prior denoiser.Factory
	// Images are the ground truths n/p cycle through; Image is the first shown.
	Images []Truth
	Image  int
	// Profile pins the colour profile; the zero value (Unknown) detects it.
	Profile colorprofile.Profile
	// Graphics is how images are drawn; the zero value (Auto) asks the
	// terminal and picks kitty, sixel, half-blocks or characters.
	Graphics termcaps.Mode
	// Cell is the cell size in pixels for sixel images when the terminal
	// does not report it; zero means termcaps.DefaultCell.
	Cell termcaps.Size
	// ComponentLabels name the prior's mixture components in the lab view
	// (for MNIST the digit each models) and ComponentTitle heads them
	// ("digit"); nil numbers them.
	ComponentLabels []string
	ComponentTitle  string
	// Lab is how the lab view runs its batches; the zero value takes
	// labview's defaults (32 seeds, at most 100 steps, GOMAXPROCS − 1 workers).
	Lab labview.Config
	// ProgramOptions are passed to tea.NewProgram (tests set input and output).
	ProgramOptions []tea.ProgramOption
}

func (o *Options) validate() error {
	switch {
	case o.Prior == nil:
		return errors.New("tui: no prior")
	case len(o.Images) == 0:
		return errors.New("tui: no ground-truth images")
	case o.Image < 0 || o.Image >= len(o.Images):
		return fmt.Errorf("tui: image %d out of range [0, %d)", o.Image, len(o.Images))
	}
	want := o.Prior.ImageShape()
	for i, t := range o.Images {
		if t.Image.Shape != want || len(t.Image.Pix) != want.Len() {
			return fmt.Errorf("tui: image %d (%s) is %v, the prior's images are %v", i, t.Name, t.Image.Shape, want)
		}
	}
	// Build once so a bad start fails before the screen opens.
	_, _, err := o.Settings.Build(o.Prior, o.Images[o.Image].Image.Pix)
	return err
}

// Run opens the explorer and returns when the user quits.
func Run(opts Options) error {
	m, err := New(opts)
	if err != nil {
		return err
	}
	m.gfx.hint = kernelCellSize()
	popts := []tea.ProgramOption{}
	if opts.Profile != colorprofile.Unknown {
		popts = append(popts, tea.WithColorProfile(opts.Profile))
	} else if os.Getenv("NO_COLOR") != "" {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	popts = append(popts, opts.ProgramOptions...)
	p := tea.NewProgram(m, popts...)
	stop := watchSignals(p)
	_, err = p.Run()
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
