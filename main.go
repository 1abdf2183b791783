// Command tweedie explores diffusion-model posterior samplers in the
// terminal: with no subcommand it opens the explorer, which steps through
// a guided reverse-diffusion trajectory (ΠG, DPS and every other
// registered method) on the embedded MNIST prior or another of the prior
// registry.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	_ "tweedie/assets" // registers the prior "mnist" and the MNIST test digits
	"tweedie/tui"
)

// command is a subcommand: it gets the arguments after its name and
// returns the exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands by name. The explorer runs when there is
// none. Subcommands that describe a problem reuse addProblemFlags (flags.go).
var commands = map[string]command{
	"run":       {summary: "one headless run: images, GIF, CSV, JSON, npz (tweedie run -h)", run: cmdRun},
	"posterior": {summary: "the exact posterior of a problem: weights, mean, std, samples", run: cmdPosterior},
	"prior":     {summary: "export or list priors (tweedie prior export FILE.npz)", run: cmdPrior},
	"serve":     {summary: "serve the explorer over SSH, one explorer per session (tweedie serve -h)", run: cmdServe},
	"render":    renderCommand,
	"lab":       {summary: "many seeds per method against the exact posterior: TV, sliced Wasserstein, coverage", run: cmdLab},
	"tour":      {summary: "a guided tour of the derivation, from Tweedie's formula to ΠG and DPS (--stop N, --lang en|zh)", run: cmdTour},
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// startExplorer opens the explorer; tests replace it.
var startExplorer = tui.Run

func realMain(args []string, stdout, stderr io.Writer) int {
	defer closePriors()
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "tweedie: unknown command %q (run tweedie -h for usage)\n", args[0])
			return 2
		}
		return cmd.run(args[1:], stdout, stderr)
	}
	return explore(args, stdout, stderr)
}

// usageText is the explorer's help with the list of commands.
func usageText() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	cmds := "\n\nCommands:"
	for _, n := range names {
		cmds += fmt.Sprintf("\n  %-10s %s", n, commands[n].summary)
	}
	return fmt.Sprintf(helpText("tweedie"), cmds)
}

// explore parses the explorer's flags and opens it. A bad start ends with
// one line on stderr and status 2 before the screen opens.
func explore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie")
	ef := addExplorerFlags(fs)
	if status, done := parseNoArgs(fs, args, "", usageText(), stdout, stderr); done {
		return status
	}
	return ef.open("", nil, stderr)
}

// explorerFlags are the flags of the explorer (and of the tour): the
// problem, the prior and the display.
type explorerFlags struct {
	pf        *problemFlags
	priorSpec *string
	df        *displayFlags
	theme     *string
}

func addExplorerFlags(fs *flag.FlagSet) *explorerFlags {
	return &explorerFlags{pf: addProblemFlags(fs), priorSpec: addPriorFlag(fs), df: addDisplayFlags(fs), theme: addThemeFlag(fs)}
}

// open builds the explorer's options from the flags, sets tour (when not
// nil) on them and runs the explorer until it quits; cmd names the
// subcommand in messages.
func (ef *explorerFlags) open(cmd string, tour *tui.TourOptions, stderr io.Writer) int {
	st, err := setupProblem(ef.pf, *ef.priorSpec)
	if err != nil {
		return fail(stderr, cmd, err)
	}
	opts, err := explorerOptions(st)
	if err == nil {
		opts.Graphics, opts.Cell, opts.Profile, err = ef.df.parse()
	}
	if err == nil {
		opts.Theme, err = tui.ParseTheme(*ef.theme)
	}
	if err != nil {
		return fail(stderr, cmd, usageError{err})
	}
	if tour != nil {
		opts.Tour = *tour
	}
	if err := startExplorer(opts); err != nil {
		var se *tui.SignalError
		if errors.As(err, &se) {
			return 128 + int(se.Signal) // as a shell reports a process the signal ended
		}
		return fail(stderr, cmd, err)
	}
	return exitOK
}

// explorerOptions are the explorer's starting options for a problem,
// refused as the explorer would refuse them before its screen opens.
// `tweedie serve` starts every session from them.
func explorerOptions(st *problemSetup) (tui.Options, error) {
	opts := tui.Options{Settings: st.Settings, Prior: st.Case.Prior, Images: st.Truths, Image: st.Image}
	if _, err := tui.New(opts); err != nil {
		return tui.Options{}, err
	}
	return opts, nil
}

// addThemeFlag adds the explorer's --theme.
func addThemeFlag(fs *flag.FlagSet) *string {
	return fs.String("theme", "auto", "styles for a `THEME` background: auto (the terminal's reply, else COLORFGBG, else readable on both), dark or light")
}
