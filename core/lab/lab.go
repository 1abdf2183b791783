// Package lab measures guided samplers against the exact posterior of an
// exact mixture prior: for one problem it runs many seeds of each method
// (in parallel) and compares the samples with exact posterior samples.
//
// Per method it reports
//
//	TV        = ½·Σ_k |f_k − π'_k|, f_k the fraction of samples whose most
//	            likely component (argmax_k p(k | x0)) is k, π'_k the exact
//	            posterior weights;
//	SW        = sliced Wasserstein-2 distance to as many exact posterior
//	            samples: sqrt(mean over L random directions θ of W2² between
//	            the projections θ·x), W2 of equal-size 1-D samples by sorting;
//	PSNR      = mean PSNR of the samples against the ground truth;
//	coverage  = the exact posterior's mass inside the samples' per-pixel 90%
//	            intervals [q05, q95], estimated with exact samples (0.90 for
//	            an exact sampler), and the fraction of ground-truth pixels
//	            inside them;
//	diverged  = the fraction of runs that diverged (left out of the rest).
//
// SW has a floor from finite samples: the report gives the SW between two
// independent sets of exact samples of the same size.
package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"tweedie/core/gmm"
	"tweedie/core/internal/vec"
	"tweedie/core/method"
	"tweedie/core/metrics"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// DefaultProjections is the number of random directions of the sliced
// Wasserstein distance.
const DefaultProjections = 256

// Entry is one method and its settings.
type Entry struct {
	Label    string
	Settings run.Settings
	// Values are the method's parameters with defaults resolved, for reports.
	Values method.Values
	// Counterfactual replaces the method's update (run.Counterfactual);
	// WithCounterfactuals adds such entries.
	Counterfactual run.Counterfactual
}

// Config is a lab run: one problem, several entries, Seeds runs of each.
type Config struct {
	Prior *gmm.Mixture
	Truth []float64
	// Entries share the problem: operator, σ and noise seed.
	Entries []Entry
	// Seeds is the number of runs per entry; run i uses sampler seed FirstSeed + i.
	Seeds     int
	FirstSeed uint64
	// Workers defaults to GOMAXPROCS.
	Workers int
	// Projections defaults to DefaultProjections.
	Projections int
	// Seed fixes the exact samples and the projection directions.
	Seed uint64
	// Gate, when set, is passed through by every run before it starts and
	// its release called when it ends: a server's pool of cores shared by
	// its sessions. It returns ctx's error when the lab is stopped.
	Gate func(ctx context.Context) (release func(), err error)
}

// outcome is one finished run.
type outcome struct {
	done      bool
	diverged  bool
	nfe, vjps int
	x         []float64
	component int
	psnr      float64
}

// Lab holds a lab run's exact reference and its outcomes so far. Report
// may be called while Run is going on.
type Lab struct {
	cfg     Config
	prob    *run.Problem // the one problem of every entry
	configs []run.Config // per entry
	post    *gmm.Posterior
	exactA  [][]float64 // reference samples for SW and coverage
	exactB  [][]float64 // an independent set, for the SW floor
	dirs    [][]float64
	mu      sync.Mutex
	results [][]outcome // [entry][seed]
	// The scores of exactB against the reference: the floors.
	floor, tvFloor, coverFloor float64
}

// New checks the configuration and draws the exact reference samples.
func New(cfg Config) (*Lab, error) {
	switch {
	case cfg.Prior == nil:
		return nil, errors.New("lab: no prior")
	case len(cfg.Entries) == 0:
		return nil, errors.New("lab: no methods to run")
	case cfg.Seeds < 2:
		return nil, fmt.Errorf("lab: %d seeds, want at least 2", cfg.Seeds)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Projections <= 0 {
		cfg.Projections = DefaultProjections
	}
	first := cfg.Entries[0].Settings
	for _, e := range cfg.Entries[1:] {
		s := e.Settings
		if s.Op != first.Op || s.Sigma != first.Sigma || s.NoiseSeed != first.NoiseSeed {
			return nil, fmt.Errorf("lab: %q measures a different problem than %q (operator, σ and noise seed must agree)", e.Label, cfg.Entries[0].Label)
		}
	}
	prob, err := first.Problem(cfg.Prior, cfg.Truth)
	if err != nil {
		return nil, err
	}
	configs := make([]run.Config, len(cfg.Entries))
	for i, e := range cfg.Entries {
		if configs[i], err = e.Settings.Config(); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", e.Label, err)
		}
		configs[i].NoExact = true
		configs[i].Counterfactual = e.Counterfactual
	}
	lin, ok := prob.Op.(operator.Linear)
	if !ok || !prob.Op.Linear() {
		return nil, fmt.Errorf("lab: the exact posterior needs a linear operator, not %s", prob.Op.Name())
	}
	post, err := cfg.Prior.PosteriorWeights(lin, prob.Y, prob.Sigma)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l := &Lab{cfg: cfg, prob: prob, configs: configs, post: post, results: make([][]outcome, len(cfg.Entries))}
	for i := range l.results {
		l.results[i] = make([]outcome, cfg.Seeds)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6c6162))
	d := cfg.Prior.Dim()
	draw := func() [][]float64 {
		xs := make([][]float64, cfg.Seeds)
		for i := range xs {
			xs[i], _ = post.Sample(make([]float64, d), rng)
		}
		return xs
	}
	l.exactA, l.exactB = draw(), draw()
	l.dirs = make([][]float64, cfg.Projections)
	for i := range l.dirs {
		l.dirs[i] = randomDirection(rng, d)
	}
	l.floor = slicedW2(l.exactA, l.exactB, l.dirs)
	l.tvFloor = l.tv(l.exactB)
	l.coverFloor, _ = l.coverage(l.exactB)
	return l, nil
}

// Posterior returns the exact posterior the lab compares with.
func (l *Lab) Posterior() *gmm.Posterior { return l.post }

// Run performs every run on cfg.Workers goroutines, calling onDone (if not
// nil, from the calling goroutine) after each. Results do not depend on the
// order runs finish in.
func (l *Lab) Run(ctx context.Context, onDone func(entry, seed int)) error {
	type job struct{ entry, seed int }
	type done struct {
		job
		out outcome
		err error
	}
	jobs := make(chan job)
	out := make(chan done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < l.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				o, err := l.runOne(ctx, j.entry, j.seed)
				select {
				case out <- done{j, o, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for s := 0; s < l.cfg.Seeds; s++ { // seed-major: every method progresses together
			for e := range l.cfg.Entries {
				select {
				case jobs <- job{e, s}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	var firstErr error
	for r := range out {
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		l.mu.Lock()
		l.results[r.entry][r.seed] = r.out
		l.mu.Unlock()
		if onDone != nil {
			onDone(r.entry, r.seed)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// runOne runs entry e with seed index i.
func (l *Lab) runOne(ctx context.Context, e, i int) (outcome, error) {
	if l.cfg.Gate != nil {
		release, err := l.cfg.Gate(ctx)
		if err != nil {
			return outcome{}, err
		}
		defer release()
	}
	cfg := l.configs[e]
	cfg.Seed = l.cfg.FirstSeed + uint64(i)
	r, err := run.New(l.prob, cfg)
	if err != nil {
		return outcome{}, fmt.Errorf("%s: %w", l.cfg.Entries[e].Label, err)
	}
	tr, err := r.Run(ctx, nil)
	var de *run.DivergedError
	switch {
	case errors.As(err, &de):
		last := tr.Records[tr.Done-1]
		return outcome{done: true, diverged: true, nfe: last.NFE, vjps: last.VJPs}, nil
	case err != nil:
		return outcome{}, err
	}
	k, _ := l.cfg.Prior.Classify(tr.Final)
	last := tr.Records[tr.Done-1]
	return outcome{done: true, x: tr.Final, component: k, psnr: metrics.PSNR(tr.Final, l.cfg.Truth),
		nfe: last.NFE, vjps: last.VJPs}, nil
}

func randomDirection(rng *rand.Rand, d int) []float64 {
	v := make([]float64, d)
	n := 0.0
	for i := range v {
		v[i] = rng.NormFloat64()
		n += v[i] * v[i]
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] /= n
	}
	return v
}

// slicedW2 is sqrt(mean_θ W2²(θ·a, θ·b)) for equal-size sample sets.
func slicedW2(a, b [][]float64, dirs [][]float64) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return math.NaN()
	}
	pa, pb := make([]float64, n), make([]float64, n)
	sum := 0.0
	for _, th := range dirs {
		for i := 0; i < n; i++ {
			pa[i], pb[i] = vec.Dot(th, a[i]), vec.Dot(th, b[i])
		}
		slices.Sort(pa)
		slices.Sort(pb)
		for i := range pa {
			sum += (pa[i] - pb[i]) * (pa[i] - pb[i]) / float64(n)
		}
	}
	return math.Sqrt(sum / float64(len(dirs)))
}
