package main

import (
	"errors"
	"fmt"
	_ "image/gif"  // decoders for --image-file
	_ "image/jpeg" //
	_ "image/png"  //
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/core/sampler"
	"tweedie/internal/cli"
)

// Flag groups, in the order help shows them. A flag joins one with
// cli.SetGroup; a new group is a name added here (see docs/cli.md).
const (
	groupProblem = "problem"
	groupSampler = "sampler"
	groupParams  = "method parameters"
	groupLab     = "lab"
	groupTour    = "tour"
	groupServer  = "server"
	groupOutputs = "outputs"
	groupDisplay = "display"
	groupGeneral = "general"
)

var flagGroups = []string{groupProblem, groupSampler, groupParams, groupLab, groupTour,
	groupServer, groupOutputs, groupDisplay, groupGeneral}

// problemFlags are the flags that set a starting problem: the explorer's,
// and those of run, posterior and serve. Register them with
// addProblemFlags, let cobra parse them, then call settings.
type problemFlags struct {
	cmd       *cobra.Command
	prior     string
	image     string
	imageFile string
	op        string
	sigma     float64
	method    string
	// params holds a flag per method parameter of the registry.
	params  map[string]*string
	sampler string
	steps   int
	eta     float64
	seed    uint64
}

// problem is what the flags describe: the settings and the ground truth,
// either test image number Image or the file ImagePath. MethodSet says
// --method was given (else a method that cannot serve the problem gives
// way to one that can).
type problem struct {
	Settings  run.Settings
	Image     int
	ImagePath string
	MethodSet bool
}

// addProblemFlags registers the problem flags on cmd: the problem, the
// sampler, the method and a flag for every parameter of the registered
// methods.
func addProblemFlags(cmd *cobra.Command) *problemFlags {
	d := run.DefaultSettings()
	p := &problemFlags{cmd: cmd, params: map[string]*string{}}
	fs := cmd.Flags()
	addPriorFlag(fs, &p.prior)
	fs.StringVar(&p.image, "image", "0", "ground truth: `N`, the N-th test image of the prior (a FILE here still works, as --image-file)")
	fs.StringVar(&p.imageFile, "image-file", "", "ground truth from an image `FILE` (PNG, JPEG, GIF), resized to the prior's size and converted to its channels")
	cli.Exclusive(fs, "image", "image-file")
	fs.StringVar(&p.op, "op", d.Op, opHelp)
	fs.Float64Var(&p.sigma, "sigma", d.Sigma, "measurement noise `σ` ≥ 0")
	cli.SetGroup(fs, groupProblem)
	fs.StringVar(&p.sampler, "sampler", d.Sampler.String(), "the sampler `KIND`: ddpm or ddim")
	fs.IntVar(&p.steps, "steps", d.Steps, "number of sampling steps `S`, 1 ≤ S ≤ T")
	fs.Float64Var(&p.eta, "eta", d.Eta, "DDIM's `η` in [0, 1]")
	fs.Uint64VarP(&p.seed, "seed", "s", d.Seed, "the `SEED` of x_T and the sampler's noise")
	cli.SetGroup(fs, groupSampler, "sampler", "steps", "eta", "seed")
	fs.StringVar(&p.method, "method", d.Method, "the guidance `METHOD`, one of the table below")
	cli.SetGroup(fs, groupParams, "method")
	for _, prm := range method.Params() {
		p.params[prm.Name] = addParamFlag(cmd, prm, prm.DefaultValue, "")
	}
	completeMethods(cmd, "method", false)
	completeWords(cmd, "op", operator.Names())
	completeWords(cmd, "sampler", []string{"ddpm", "ddim"})
	return p
}

// opHelp is --op's help.
var opHelp = "measurement operator `SPEC`, NAME[:key=value,…] with NAME one of " + strings.Join(operator.Names(), ", ")

// addPriorFlag registers --prior, the one definition of it.
func addPriorFlag(fs *pflag.FlagSet, spec *string) {
	fs.StringVar(spec, "prior", "mnist", "the prior `SPEC`, NAME[:options] with NAME one of "+strings.Join(prior.Names(), ", "))
	cli.SetGroup(fs, groupProblem, "prior")
}

// addParamFlag adds the flag of a method parameter to the method
// parameters' group, its value named by the parameter's symbol when its
// help names none, its choices completed.
func addParamFlag(cmd *cobra.Command, prm *method.Param, value, more string) *string {
	v := &paramValue{s: value, kind: strings.ToUpper(prm.Symbol)}
	f := cmd.Flags().VarPF(v, prm.Name, "", paramHelp(prm)+more)
	f.DefValue = value
	cli.SetGroup(cmd.Flags(), groupParams, prm.Name)
	if prm.Kind == method.Choice {
		completeWords(cmd, prm.Name, prm.Choices)
	}
	return &v.s
}

// paramValue is a method parameter's flag: text, its value named kind in
// help.
type paramValue struct{ s, kind string }

func (v *paramValue) String() string     { return v.s }
func (v *paramValue) Set(s string) error { v.s = s; return nil }
func (v *paramValue) Type() string       { return v.kind }

// paramHelp is a parameter flag's help: its text and the methods that have it.
func paramHelp(p *method.Param) string {
	return p.Help + " [" + strings.Join(methodLabels(method.Having(p.Name)), ", ") + "]"
}

func methodLabels(ms []*method.Method) []string {
	var labels []string
	for _, m := range ms {
		labels = append(labels, m.Label)
	}
	return labels
}

// set reports whether the flag was given: on the command line, in the
// environment or in the config file.
func (p *problemFlags) set(name string) bool { return cli.Given(p.cmd, name) }

// onCommandLine reports whether the flag was given on the command line.
func (p *problemFlags) onCommandLine(name string) bool { return p.cmd.Flags().Changed(name) }

// values are the method parameters given.
func (p *problemFlags) values() method.Values {
	v := method.Values{}
	for _, prm := range method.Params() {
		if p.set(prm.Name) {
			v[prm.Name] = *p.params[prm.Name]
		}
	}
	return v
}

// settings checks the parsed flags for a prior: its image shape, its
// ground truths, its noise schedule (run.Settings.Check).
func (p *problemFlags) settings(pd *prior.Prior) (problem, error) {
	nImages := len(pd.Truths)
	pr := problem{MethodSet: p.set("method")}
	if p.imageFile != "" {
		if p.set("image") {
			return pr, errors.New("--image and --image-file: give one, not both")
		}
		pr.ImagePath = p.imageFile
	} else if n, err := strconv.Atoi(p.image); err == nil {
		if n < 0 || n >= nImages {
			return pr, fmt.Errorf("--image %d: want a test image number in [0, %d) (or use --image-file)", n, nImages)
		}
		pr.Image = n
	} else {
		pr.ImagePath = p.image
	}
	s := run.DefaultSettings()
	s.Op, s.Sigma, s.Method, s.Params, s.Steps, s.Eta, s.Seed = p.op, p.sigma, p.method, p.values(), p.steps, p.eta, p.seed
	var err error
	if s.Sampler, err = sampler.ParseKind(p.sampler); err != nil {
		return pr, fmt.Errorf("--sampler: %w", err)
	}
	pr.Settings, err = s.Check(pd.Model)
	return pr, err
}

// checkImageFlags refuses an empty --image or --image-file, which would
// otherwise read as not given.
func (p *problemFlags) checkImageFlags() error {
	for name, want := range map[string]string{"image": "a test image number", "image-file": "an image file"} {
		if f := p.cmd.Flags().Lookup(name); p.set(name) && f.Value.String() == "" {
			return fmt.Errorf("--%s: empty value: want %s", name, want)
		}
	}
	return nil
}

// refuseParams refuses a method parameter given on the command line that
// none of the methods takes, naming the methods that do.
func refuseParams(cmd *cobra.Command, ms ...*method.Method) error {
	for _, prm := range method.Params() {
		if !cmd.Flags().Changed(prm.Name) || slices.ContainsFunc(ms, func(m *method.Method) bool { return m.Param(prm.Name) != nil }) {
			continue
		}
		what := "no method runs here"
		if len(ms) > 0 {
			what = strings.Join(methodLabels(ms), ", ") + " does not take it"
		}
		return fmt.Errorf("--%s: %s; it is a parameter of %s", prm.Name, what, strings.Join(methodLabels(method.Having(prm.Name)), ", "))
	}
	return nil
}

// displayFlags are the flags that say how images are drawn: the
// explorer's and render's.
type displayFlags struct {
	graphics, color string
}

func addDisplayFlags(cmd *cobra.Command) *displayFlags {
	d := &displayFlags{}
	fs := cmd.Flags()
	fs.StringVar(&d.graphics, "graphics", "auto", "images as `MODE`: auto, kitty, sixel, halfblock or ascii; sixel:WxH also sets the cell size in pixels (when the terminal does not report it)")
	fs.StringVar(&d.color, "color", "auto", "colour `PROFILE`: auto, truecolor, 256, 16 or none (over SSH only TERM reaches the program, so auto may under-report)")
	cli.SetGroup(fs, groupDisplay, "graphics", "color")
	completeWords(cmd, "graphics", []string{"auto", "kitty", "sixel", "halfblock", "ascii"})
	completeWords(cmd, "color", []string{"auto", "truecolor", "256", "16", "none"})
	return d
}

// addThemeFlag adds the explorer's --theme.
func addThemeFlag(cmd *cobra.Command, theme *string) {
	cmd.Flags().StringVar(theme, "theme", "auto", "styles for a `THEME` background: auto (the terminal's reply, else COLORFGBG, else readable on both), dark or light")
	cli.SetGroup(cmd.Flags(), groupDisplay, "theme")
	completeWords(cmd, "theme", []string{"auto", "dark", "light"})
}

// addOutFlag adds --out (-o) with what the command writes there.
func addOutFlag(cmd *cobra.Command, out *string, writes string) {
	cmd.Flags().StringVarP(out, "out", "o", "", "write "+writes+" to `DIR`")
	cmd.MarkFlagDirname("out")
	cli.SetGroup(cmd.Flags(), groupOutputs, "out")
}

// addJSONFlag adds --json, with what it prints.
func addJSONFlag(cmd *cobra.Command, json *bool, usage string) {
	cmd.Flags().BoolVar(json, "json", false, usage)
	cli.SetGroup(cmd.Flags(), groupOutputs, "json")
}
