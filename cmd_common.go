package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"tweedie/core/imgio"
	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/core/worker"
)

// Exit statuses of every subcommand.
const (
	exitOK        = 0   // success
	exitFailure   = 1   // a diverged run (outputs are written), or a failure writing them
	exitUsage     = 2   // bad flags or values; nothing is written
	exitInterrupt = 130 // interrupted (Ctrl-C); nothing is written
)

// usageError marks an error as the user's: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// fail reports err on one line of stderr as the subcommand name ("" for
// the explorer) and returns the exit status: 2 for usage errors, 1
// otherwise.
func fail(stderr io.Writer, name string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	cmd := strings.TrimSpace("tweedie " + name)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %s (run %s -h for usage)\n", cmd, msg, cmd)
		return exitUsage
	}
	fmt.Fprintf(stderr, "%s: %s\n", cmd, msg)
	return exitFailure
}

// newFlagSet makes a silent flag set; parseFlags prints help.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// (`tweedie prior export out.npz --prior mnist`), and returns the
// positional arguments. It returns flag.ErrHelp for -h.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// A "--" ends the flags: everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs parses the flags of a subcommand that takes no positional
// arguments. When the command should stop there (-h: help on stdout, status
// 0; a bad flag or a stray argument: one line on stderr, status 2) it
// returns that status and done = true.
func parseNoArgs(fs *flag.FlagSet, args []string, name, help string, stdout, stderr io.Writer) (status int, done bool) {
	pos, err := parseFlags(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs, help+exitCodesHelp)
		return exitOK, true
	case err != nil:
		return fail(stderr, name, usageError{err}), true
	case len(pos) > 0:
		return fail(stderr, name, usagef("unexpected argument %q", pos[0])), true
	}
	return 0, false
}

// printHelp writes a subcommand's help text and its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, text string) {
	fmt.Fprint(w, text)
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// addPriorFlag registers --prior.
func addPriorFlag(fs *flag.FlagSet) *string {
	return fs.String("prior", "mnist", "the prior `NAME[:options]` ("+strings.Join(prior.Names(), ", ")+")")
}

// loadPrior loads a --prior spec; a bad spec, or a model worker that
// fails to start, is a usage error. A prior that holds a worker is closed
// when the command returns (closePriors).
func loadPrior(spec string) (*prior.Prior, error) {
	p, err := prior.Load(spec)
	var se *prior.SpecError
	var we *worker.Error
	if errors.As(err, &se) || errors.As(err, &we) {
		return nil, usageError{err}
	}
	if err == nil && p.Close != nil {
		openPriors.Lock()
		openPriors.list = append(openPriors.list, p)
		openPriors.Unlock()
	}
	return p, err
}

// openPriors are the priors loaded that hold a worker process.
var openPriors struct {
	sync.Mutex
	list []*prior.Prior
}

// closePriors closes every prior loadPrior opened: no worker process
// outlives the command.
func closePriors() {
	openPriors.Lock()
	list := openPriors.list
	openPriors.list = nil
	openPriors.Unlock()
	for _, p := range list {
		_ = p.Close()
	}
}

// checkImageFlags refuses an empty --image or --image-file given on the
// command line, which would otherwise read as not given.
func (p *problemFlags) checkImageFlags() error {
	wants := map[string]string{"image": "a test image number", "image-file": "an image file"}
	var err error
	p.fs.Visit(func(f *flag.Flag) {
		if want, ok := wants[f.Name]; ok && f.Value.String() == "" && err == nil {
			err = usagef("--%s: empty value: want %s", f.Name, want)
		}
	})
	return err
}

// problemSetup is the problem the flags describe on a prior, checked:
// its settings, the ground truths --image picks from (an --image-file
// first) and the one picked, and the Case a command runs.
type problemSetup struct {
	Settings run.Settings
	Truths   []prior.Truth
	Image    int
	Case     report.Case
}

// setupProblem loads the prior and resolves the problem flags on it. Every
// error it returns is a usageError except a failure to load a bundled prior.
func setupProblem(pf *problemFlags, priorSpec string) (*problemSetup, error) {
	pd, err := loadPrior(priorSpec)
	if err != nil {
		return nil, err
	}
	st, err := pf.resolve(pd)
	if err != nil {
		return nil, usageError{err}
	}
	return st, nil
}

// resolve checks the flags on prior pd as every command does: the prior's
// operator unless --op is given, the ground truth (test image N or a
// file), and the method, which must serve the problem. A method not asked
// for by --method that cannot serve it gives way to the first that can.
func (p *problemFlags) resolve(pd *prior.Prior) (*problemSetup, error) {
	if pd.DefaultOp != "" && !p.set("op") {
		p.op = pd.DefaultOp
	}
	if err := p.checkImageFlags(); err != nil {
		return nil, err
	}
	pr, err := p.settings(pd)
	if err != nil {
		return nil, err
	}
	st := &problemSetup{Truths: pd.Truths, Image: pr.Image}
	if pr.ImagePath != "" {
		im, err := imgio.Load(pr.ImagePath, pd.Model.ImageShape())
		if err != nil {
			return nil, err
		}
		st.Truths = append([]prior.Truth{{Name: pr.ImagePath, Image: im}}, pd.Truths...)
		st.Image = 0
	}
	truth := st.Truths[st.Image]
	c := &st.Case
	c.Prior, c.TruthName, c.Truth = pd, truth.Name, append([]float64(nil), truth.Image.Pix...)
	if c.Prob, err = pr.Settings.Problem(pd.Model, c.Truth); err != nil {
		return nil, err
	}
	if !pr.MethodSet {
		pr.Settings.Method = defaultMethod(c.Prob, pr.Settings)
	}
	st.Settings, c.NoiseSeed = pr.Settings, pr.Settings.NoiseSeed
	if c.Config, err = pr.Settings.Config(); err != nil {
		return nil, err
	}
	m := c.Config.Method
	v, err := m.Resolve(c.Config.Params, c.Prob.Op)
	if err == nil {
		err = m.Serves(c.Prob.Offer, v)
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// defaultMethod is the settings' method when it serves the problem, else
// the first guidance method that does.
func defaultMethod(prob *run.Problem, s run.Settings) string {
	m, err := method.Lookup(s.Method)
	if err == nil {
		if v, err := m.Resolve(s.Params, prob.Op); err == nil && m.Serves(prob.Offer, v) == nil {
			return m.Name
		}
	}
	for _, alt := range method.Available(prob.Offer) {
		if !alt.Baseline {
			return alt.Name
		}
	}
	return s.Method
}
