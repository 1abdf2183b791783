package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"tweedie/assets"
	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
)

// priorData is a loaded prior with the ground truths that go with it.
type priorData struct {
	// Spec is the prior's name as given to --prior, e.g. "mnist".
	Spec string
	// Factory makes denoisers; Mixture is the same prior when it is an
	// exact Gaussian mixture (exact posterior, oracle, cosine to the exact
	// guidance), nil otherwise.
	Factory denoiser.Factory
	Mixture *gmm.Mixture
	// Truths are the bundled ground truths --image N picks from.
	Truths []truthImage
	// DefaultOp is the operator used when --op is not given ("" for the
	// flag's own default).
	DefaultOp string
	// LabelTitle heads the component labels ("digit").
	LabelTitle string
	// ComponentLabels names each mixture component by the class it models
	// (for MNIST, the digit; see assets.MNISTComponentLabels), or is nil.
	ComponentLabels []string
}

// truthImage is a bundled ground truth.
type truthImage struct {
	Name  string
	Label string
	Image img.Image
}

// priorSource is an entry of the prior registry: a name and how to load it
// from the part of the --prior spec after "name:" (empty for none).
type priorSource struct {
	help string
	load func(args string) (*priorData, error)
}

// priorRegistry holds the priors --prior accepts; a new prior registers
// here with its loader.
var priorRegistry = map[string]priorSource{
	"mnist": {help: "the embedded MNIST mixture (K = 10, q = 120, 28×28)", load: loadMNIST},
	"gmm25": {help: "the synthetic benchmark: 25 unit Gaussians at (8i, 8j, 8i, …) in R^d (gmm25:d=8,seed=1,weights=random|equal)", load: loadGMM25},
}

// priorNames lists the registered priors, sorted.
func priorNames() []string {
	names := make([]string, 0, len(priorRegistry))
	for n := range priorRegistry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// errUnknownPrior is wrapped by loadPrior for a name not in the registry.
var errUnknownPrior = errors.New("unknown prior")

// loadPrior loads the prior a --prior spec NAME[:args] names. An unknown
// name or bad options give a usageError; a bundled prior that fails to load
// does not.
func loadPrior(spec string) (*priorData, error) {
	name, args, _ := strings.Cut(spec, ":")
	src, ok := priorRegistry[strings.ToLower(name)]
	if !ok {
		return nil, usageError{fmt.Errorf("--prior %q: %w (available: %s)", spec, errUnknownPrior, strings.Join(priorNames(), ", "))}
	}
	p, err := src.load(args)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", spec, err)
	}
	p.Spec = spec
	return p, nil
}

func loadMNIST(args string) (*priorData, error) {
	if args != "" {
		return nil, fmt.Errorf("mnist takes no options, got %q", args)
	}
	mix, err := assets.MNISTPrior()
	if err != nil {
		return nil, fmt.Errorf("embedded MNIST prior: %w", err)
	}
	digits := assets.TestDigits()
	truths := make([]truthImage, len(digits))
	for i, d := range digits {
		truths[i] = truthImage{
			Name:  fmt.Sprintf("digit %d (test #%d)", d.Label, d.Index),
			Label: fmt.Sprint(d.Label),
			Image: d.Image,
		}
	}
	labels, err := assets.MNISTComponentLabels()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(labels))
	for k, l := range labels {
		names[k] = fmt.Sprint(l)
	}
	return &priorData{Factory: mix, Mixture: mix, Truths: truths, ComponentLabels: names, LabelTitle: "digit"}, nil
}

// gmm25Truths is the number of ground truths drawn from a synthetic prior.
const gmm25Truths = 100

func loadGMM25(args string) (*priorData, error) {
	mix, err := gmm.ParseSynthetic("gmm25:" + args)
	if err != nil {
		return nil, usageError{err} // a bad spec is the user's
	}
	// Ground truths are draws from the prior itself, truth N with seed N.
	truths := make([]truthImage, gmm25Truths)
	for n := range truths {
		x, k := mix.Sample(make([]float64, mix.Dim()), rand.New(rand.NewPCG(uint64(n), 0x7472757468)))
		truths[n] = truthImage{Name: fmt.Sprintf("prior draw %d (component %d)", n, k), Label: fmt.Sprint(k),
			Image: img.Image{Shape: mix.Shape, Pix: x}}
	}
	labels := make([]string, len(mix.Components))
	for k := range labels {
		labels[k] = fmt.Sprintf("(%d,%d)", k/5-2, k%5-2)
	}
	return &priorData{Factory: mix, Mixture: mix, Truths: truths, ComponentLabels: labels, LabelTitle: "(i,j)",
		DefaultOp: "svd:dy=1,seed=1"}, nil
}
