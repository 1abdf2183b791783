// Package prior is the registry of priors that --prior names: the
// synthetic gmm25 benchmark, a model served by another process (remote),
// and whatever registers here (the embedded MNIST mixture registers from
// package assets). A prior comes with the
// ground truths the explorer and the commands measure, its default
// operator and, for an exact mixture, the names of its components.
package prior

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
)

// Truth is a bundled ground truth.
type Truth struct {
	// Name describes it ("digit 7 (test #0)"); Label is its class ("7").
	Name, Label string
	Image       img.Image
}

// Prior is a loaded prior with what goes with it.
type Prior struct {
	// Spec is the prior as given to --prior ("gmm25:d=8").
	Spec string
	// Model makes the denoisers.
	Model denoiser.Prior
	// Mixture is the same prior when it is an exact Gaussian mixture (the
	// exact posterior, the oracle, the lab), nil otherwise.
	Mixture *gmm.Mixture
	// Truths are the ground truths --image N picks from (at least one).
	Truths []Truth
	// DefaultOp is the operator used when none is given ("" for the
	// commands' own default).
	DefaultOp string
	// ComponentLabels name each mixture component by what it models (for
	// MNIST, the digit) and LabelTitle heads them ("digit"); nil numbers them.
	ComponentLabels []string
	LabelTitle      string
	// Close, when not nil, releases what the prior holds (a worker
	// process): callers call it when done with the prior.
	Close func() error
}

// Source is an entry of the registry: how to load a prior from the part
// of its spec after "name:" ("" for none). Load returns ctx's error when
// ctx is done first (a worker's handshake, say).
type Source struct {
	// Help describes the prior and its options, for -h.
	Help string
	Load func(ctx context.Context, args string) (*Prior, error)
}

var registry = struct {
	sync.RWMutex
	sources map[string]Source
	truths  map[img.Shape]func() []Truth
}{sources: map[string]Source{}, truths: map[img.Shape]func() []Truth{}}

// Register adds a prior under a name; it panics on a duplicate.
func Register(name string, s Source) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.sources[name]; dup || name == "" || s.Load == nil {
		panic(fmt.Sprintf("prior: bad or duplicate registration %q", name))
	}
	registry.sources[name] = s
}

// RegisterTruths sets the ground truths of a prior of images of a shape
// that brings none of its own (a served model); it panics on a duplicate.
func RegisterTruths(shape img.Shape, truths func() []Truth) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.truths[shape]; dup || truths == nil {
		panic(fmt.Sprintf("prior: bad or duplicate ground truths for %v", shape))
	}
	registry.truths[shape] = truths
}

// registeredTruths are the ground truths registered for a shape, nil when none.
func registeredTruths(shape img.Shape) []Truth {
	registry.RLock()
	f := registry.truths[shape]
	registry.RUnlock()
	if f == nil {
		return nil
	}
	return f()
}

// Names lists the registered priors, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.sources))
	for n := range registry.sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Help describes every registered prior, one per line: "name  help".
func Help() string {
	var b strings.Builder
	for _, n := range Names() {
		registry.RLock()
		h := registry.sources[n].Help
		registry.RUnlock()
		fmt.Fprintf(&b, "%-8s %s\n", n, h)
	}
	return b.String()
}

// SpecError is an error in a --prior spec: an unknown name or bad options.
type SpecError struct{ Err error }

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// ErrUnknown is wrapped by Load for a name not in the registry.
var ErrUnknown = errors.New("unknown prior")

// Specf is a SpecError with a formatted message, for Sources.
func Specf(format string, args ...any) error { return &SpecError{fmt.Errorf(format, args...)} }

// Load loads the prior a spec NAME[:args] names. An unknown name or bad
// options give a *SpecError; a bundled prior that fails to load does not.
func Load(spec string) (*Prior, error) { return LoadContext(context.Background(), spec) }

// LoadContext is Load that stops when ctx is done.
func LoadContext(ctx context.Context, spec string) (*Prior, error) {
	name, args, _ := strings.Cut(spec, ":")
	registry.RLock()
	src, ok := registry.sources[strings.ToLower(strings.TrimSpace(name))]
	registry.RUnlock()
	if !ok {
		return nil, &SpecError{fmt.Errorf("--prior %q: %w (available: %s)", spec, ErrUnknown, strings.Join(Names(), ", "))}
	}
	p, err := src.Load(ctx, args)
	if err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			return nil, &SpecError{fmt.Errorf("--prior %s: %w", spec, se.Err)}
		}
		return nil, fmt.Errorf("--prior %s: %w", spec, err)
	}
	if len(p.Truths) == 0 || p.Model == nil {
		if p.Close != nil {
			_ = p.Close()
		}
		return nil, fmt.Errorf("--prior %s: the prior has no model or no ground truths", spec)
	}
	p.Spec = spec
	return p, nil
}
