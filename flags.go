package main

import (
	"errors"
	"flag"
	"fmt"
	_ "image/gif"  // decoders for --image-file
	_ "image/jpeg" //
	_ "image/png"  //
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

// values are the method parameters given on the command line.
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
