package main

import (
	"errors"
	"flag"
	"fmt"
	_ "image/gif"  // decoders for --image-file
	_ "image/jpeg" //
	_ "image/png"  //
	"math"
	"strconv"
	"strings"

	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/core/sampler"
)

// problemFlags are the flags that set a starting problem: the explorer's,
// and those of run, posterior, lab and serve. Register them with
// addProblemFlags, parse the FlagSet, then call settings.
type problemFlags struct {
	fs        *flag.FlagSet
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

// addProblemFlags registers the problem flags on fs, with a flag for
// every parameter of the registered methods.
func addProblemFlags(fs *flag.FlagSet) *problemFlags {
	d := run.DefaultSettings()
	p := &problemFlags{fs: fs, params: map[string]*string{}}
	fs.StringVar(&p.image, "image", "0", "ground truth: `N`, the N-th embedded test digit (a FILE here still works, as --image-file)")
	fs.StringVar(&p.imageFile, "image-file", "", "ground truth from an image `FILE` (PNG, JPEG, GIF), resized to the prior's size and converted to its channels")
	fs.StringVar(&p.op, "op", d.Op, "measurement operator `NAME[:key=value,…]` ("+strings.Join(operator.Names(), ", ")+")")
	fs.Float64Var(&p.sigma, "sigma", d.Sigma, "measurement noise `σ` ≥ 0")
	fs.StringVar(&p.method, "method", d.Method, "guidance method: "+methodList())
	for _, prm := range method.Params() {
		p.params[prm.Name] = fs.String(prm.Name, prm.DefaultValue, paramHelp(prm))
	}
	fs.StringVar(&p.sampler, "sampler", d.Sampler.String(), "sampler: ddpm or ddim")
	fs.IntVar(&p.steps, "steps", d.Steps, "number of sampling steps `S`, 1 ≤ S ≤ T")
	fs.Float64Var(&p.eta, "eta", d.Eta, "DDIM's `η` in [0, 1]")
	fs.Uint64Var(&p.seed, "seed", d.Seed, "seed of x_T and the sampler's noise")
	return p
}

// methodList names the registered methods with their summaries, for -h.
func methodList() string {
	var parts []string
	for _, m := range method.All() {
		parts = append(parts, m.Name+" ("+m.Label+": "+m.Summary+")")
	}
	return strings.Join(parts, "; ")
}

// paramHelp is a parameter flag's help: its text and the methods that have it.
func paramHelp(p *method.Param) string {
	var labels []string
	for _, m := range method.Having(p.Name) {
		labels = append(labels, m.Label)
	}
	return p.Help + " [" + strings.Join(labels, ", ") + "]"
}

// set reports whether the flag was given on the command line.
func (p *problemFlags) set(name string) bool { return flagGiven(p.fs, name) }

// flagGiven reports whether a parsed flag set's flag was given.
func flagGiven(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// values are the method parameters given on the command line, checked.
func (p *problemFlags) values() (method.Values, error) {
	v := method.Values{}
	for _, prm := range method.Params() {
		if !p.set(prm.Name) {
			continue
		}
		val, err := prm.Parse(*p.params[prm.Name])
		if err != nil {
			return nil, fmt.Errorf("--%s %w", prm.Name, err)
		}
		v[prm.Name] = val
	}
	return v, nil
}

// settings checks the parsed flags for a prior: its image shape, its
// ground truths, its noise schedule.
func (p *problemFlags) settings(pd *prior.Prior) (problem, error) {
	shape, nImages := pd.Model.ImageShape(), len(pd.Truths)
	s := run.DefaultSettings()
	pr := problem{MethodSet: p.set("method")}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

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
	op, err := operator.Parse(p.op, shape)
	if err != nil {
		return pr, fmt.Errorf("--op: %w", err)
	}
	s.Op = op.Name()
	if !finite(p.sigma) || p.sigma < 0 {
		return pr, fmt.Errorf("--sigma %v: want a finite number ≥ 0", p.sigma)
	}
	s.Sigma = p.sigma
	m, err := method.Lookup(p.method)
	if err != nil {
		return pr, fmt.Errorf("--method: %w", err)
	}
	s.Method = m.Name
	if s.Params, err = p.values(); err != nil {
		return pr, err
	}
	if _, err := m.Resolve(s.Params, op); err != nil {
		return pr, err
	}
	if s.Sampler, err = sampler.ParseKind(p.sampler); err != nil {
		return pr, fmt.Errorf("--sampler: %w", err)
	}
	if T := pd.Model.Schedule().T(); p.steps < 1 || p.steps > T {
		return pr, fmt.Errorf("--steps %d: want 1 ≤ steps ≤ %d", p.steps, T)
	}
	s.Steps = p.steps
	if !finite(p.eta) || p.eta < 0 || p.eta > 1 {
		return pr, fmt.Errorf("--eta %v: want a number in [0, 1]", p.eta)
	}
	s.Eta = p.eta
	s.Seed = p.seed
	pr.Settings = s
	return pr, nil
}
