// Package lab measures guided samplers against the exact posterior of an
// exact mixture prior: for one problem it runs many seeds of each method
// (in parallel) and compares the samples with the exact posterior itself.
//
// Per method it reports, each with a 90% percentile-bootstrap interval over
// the seeds (Resamples resamples, seeded: the same report every time),
//
//	SW        = sliced Wasserstein-2 distance to the exact posterior:
//	            sqrt(mean over L random directions θ of W2² between the
//	            samples' projections θ·x and the exact projected posterior,
//	            a one-dimensional Gaussian mixture) — no reference sample,
//	            so no reference noise (swquantile.go);
//	TV        = ½·Σ_k |f_k − π'_k|, f_k the fraction of samples whose most
//	            likely component (argmax_k p(k | x0)) is k, π'_k the exact
//	            posterior weights;
//	PSNR      = mean PSNR of the samples against the ground truth;
//	coverage  = the exact posterior's mass inside the samples' per-pixel 90%
//	            intervals [q05, q95] (closed form from the exact marginals;
//	            0.90 for an exact sampler), and the fraction of ground-truth
//	            pixels inside them;
//	residual  = sqrt(mean ‖y − A·x0‖²), beside its exact value;
//	diverged  = the fraction of runs that diverged (left out of the rest);
//	failed    = the number of seeds whose run failed (an error of the
//	            method or the denoiser), left out of every other figure;
//
// and a calibration row per posterior component (calibration.go) and the
// ensemble's exactness over time (timeresolved.go). The floor is a band
// (floor.go): what an exact sampler with this many seeds scores.
//
// Seeds of a method run in lockstep groups (lockstepSeeds), their denoiser
// calls batched by a denoiser.Lockstep so that the prior's basis passes
// serve several seeds at once; each seed's sample has the bits of its run
// alone, so the report does not depend on the grouping or on Workers.
package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// DefaultProjections is the number of random directions of the sliced
// Wasserstein distance.
const DefaultProjections = 256

// DefaultResamples is the number of bootstrap resamples of the intervals.
const DefaultResamples = 1000

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
	// Resamples of the bootstrap intervals; defaults to DefaultResamples.
	Resamples int
	// FloorDraws is the number of exact draws of the floor band; defaults
	// to DefaultFloorDraws.
	FloorDraws int
	// TimePoints is the number of steps scored per run for the
	// time-resolved figures; 0 means DefaultTimePoints, negative none.
	TimePoints int
	// Seed fixes the projection directions, the exact samples and the
	// bootstrap resamples.
	Seed uint64
	// Gate, when set, is passed through by New's exact reference and by
	// every job of Run before it starts (a run, a group of seeds in
	// lockstep, a floor draw or a time reference), and its release called
	// when it ends: a server's pool of cores shared by its sessions. It
	// returns ctx's error when the lab is stopped.
	Gate func(ctx context.Context) (release func(), err error)
}

// outcome is one finished run; failure is why it failed, when it did.
type outcome struct {
	done      bool
	diverged  bool
	failure   error
	nfe, vjps int
	x         []float64
	time      *timeScores
}

// Lab holds a lab run's exact reference and its outcomes so far. Report
// may be called while Run is going on.
type Lab struct {
	cfg      Config
	prob     *run.Problem // the one problem of every entry
	configs  []run.Config // per entry
	lockstep []int        // per entry: seeds run in lockstep (lockstepSeeds, or 1)
	post     *gmm.Posterior
	exact    *exactParts
	dirs     [][]float64
	proj     *projectedPosterior
	tabMu    sync.Mutex // guards proj's table cache
	refX0    [][]float64
	grids    []*timeGrid // per entry (shared by entries of one step count)
	mu       sync.Mutex
	results  [][]outcome // [entry][seed]
	floors   [][]float64 // per floor draw, its figures (nil until done)
	cache    []cached    // per entry, the last summary
}

// checkEntries refuses a lab without a prior, entries or two seeds, and
// entries that measure different problems (every entry of a lab shares the
// operator, σ and the noise seed).
func checkEntries(hasPrior bool, entries []Entry, seeds int) error {
	switch {
	case !hasPrior:
		return errors.New("lab: no prior")
	case len(entries) == 0:
		return errors.New("lab: no methods to run")
	case seeds < 2:
		return fmt.Errorf("lab: %d seeds, want at least 2", seeds)
	}
	first := entries[0].Settings
	for _, e := range entries[1:] {
		s := e.Settings
		if s.Op != first.Op || s.Sigma != first.Sigma || s.NoiseSeed != first.NoiseSeed {
			return fmt.Errorf("lab: %q measures a different problem than %q (operator, σ and noise seed must agree)", e.Label, entries[0].Label)
		}
	}
	return nil
}

// New checks the configuration and computes the exact reference: the
// posterior, its projections and per-component figures. The reference is
// computed holding the configuration's Gate, if any; New returns ctx's
// error when ctx ends first.
func New(ctx context.Context, cfg Config) (*Lab, error) {
	if err := checkEntries(cfg.Prior != nil, cfg.Entries, cfg.Seeds); err != nil {
		return nil, err
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Projections <= 0 {
		cfg.Projections = DefaultProjections
	}
	if cfg.Resamples <= 0 {
		cfg.Resamples = DefaultResamples
	}
	if cfg.FloorDraws <= 0 {
		cfg.FloorDraws = DefaultFloorDraws
	}
	if cfg.TimePoints == 0 {
		cfg.TimePoints = DefaultTimePoints
	}
	prob, err := cfg.Entries[0].Settings.Problem(cfg.Prior, cfg.Truth)
	if err != nil {
		return nil, err
	}
	configs := make([]run.Config, len(cfg.Entries))
	lockstep := make([]int, len(cfg.Entries)) // seeds a run job takes
	for i, e := range cfg.Entries {
		if configs[i], err = e.Settings.Config(); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", e.Label, err)
		}
		// The lab reads x_t only at the step just made (scoreTime) and the
		// final sample: the trajectory need keep no other row.
		configs[i].NoExact, configs[i].KeepBytes = true, 1
		configs[i].Counterfactual = e.Counterfactual
		// A particle method's calls are batches of their own.
		lockstep[i] = lockstepSeeds
		if configs[i].Method.Needs(configs[i].Params)&method.Particles != 0 {
			lockstep[i] = 1
		}
	}
	lin, ok := prob.Op.(operator.Linear)
	if !ok || !prob.Op.Linear() {
		return nil, fmt.Errorf("lab: the exact posterior needs a linear operator, not %s", prob.Op.Name())
	}
	l := &Lab{cfg: cfg, prob: prob, configs: configs, lockstep: lockstep, results: make([][]outcome, len(cfg.Entries)),
		floors: make([][]float64, cfg.FloorDraws), cache: make([]cached, len(cfg.Entries))}
	for i := range l.results {
		l.results[i] = make([]outcome, cfg.Seeds)
	}
	if err := gated(ctx, cfg.Gate, func() error { return l.reference(ctx, lin) }); err != nil {
		return nil, err
	}
	return l, nil
}

// reference computes the exact posterior of the lab's problem, its
// projections on random directions, its per-component figures, the time
// grids and the exact samples of the time reference.
func (l *Lab) reference(ctx context.Context, lin operator.Linear) error {
	cfg := l.cfg
	post, err := cfg.Prior.PosteriorWeights(ctx, lin, l.prob.Y, l.prob.Sigma)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	l.post = post
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6c6162))
	d := cfg.Prior.Dim()
	l.dirs = make([][]float64, cfg.Projections)
	for i := range l.dirs {
		l.dirs[i] = randomDirection(rng, d)
	}
	if l.proj, err = newProjectedPosterior(ctx, post, l.dirs); err != nil {
		return err
	}
	if l.exact, err = newExactParts(ctx, post, lin.Apply, l.prob.Y); err != nil {
		return err
	}
	if cfg.TimePoints > 0 {
		if err := l.makeGrids(); err != nil {
			return err
		}
		l.refX0 = make([][]float64, cfg.Seeds)
		for i := range l.refX0 {
			l.refX0[i] = make([]float64, d)
		}
		post.SampleMany(l.refX0, rng)
	}
	return nil
}

// makeGrids picks the scored steps of each entry, one grid per step count.
func (l *Lab) makeGrids() error {
	sched := l.cfg.Prior.Schedule()
	bySteps := map[int]*timeGrid{}
	l.grids = make([]*timeGrid, len(l.cfg.Entries))
	for e, c := range l.configs {
		g, ok := bySteps[c.Steps]
		if !ok {
			grid, err := sched.Respace(c.Steps)
			if err != nil {
				return fmt.Errorf("lab: %s: %w", l.cfg.Entries[e].Label, err)
			}
			g = newTimeGrid(grid, sched.AlphaBar, l.cfg.TimePoints)
			bySteps[c.Steps] = g
		}
		l.grids[e] = g
	}
	return nil
}

// distinctGrids are the entries' grids, each once, in entry order.
func (l *Lab) distinctGrids() []*timeGrid {
	var gs []*timeGrid
	seen := map[*timeGrid]bool{}
	for _, g := range l.grids {
		if !seen[g] {
			seen[g] = true
			gs = append(gs, g)
		}
	}
	return gs
}

// Posterior returns the exact posterior the lab compares with.
func (l *Lab) Posterior() *gmm.Posterior { return l.post }

// tablesFor returns the quantile tables of the projected posterior for n samples.
func (l *Lab) tablesFor(n int) []quantileTable {
	l.tabMu.Lock()
	defer l.tabMu.Unlock()
	return l.proj.tablesFor(n)
}

// job is one unit of Run's work: a run (entry, seed), a floor draw, or
// the exact time reference at one scored step of a grid.
type job struct {
	kind        jobKind
	entry, seed int
	seeds       int // runs from seed on, in lockstep (runJob)
	floor       int
	grid        *timeGrid
	gridIndex   int
	point       int
}

type jobKind int

const (
	runJob jobKind = iota
	floorJob
	timeJob
)

// Run performs every run, floor draw and time reference on cfg.Workers
// goroutines, calling onDone (if not nil, from the calling goroutine)
// after each run. Results do not depend on the order jobs finish in.
func (l *Lab) Run(ctx context.Context, onDone func(entry, seed int)) error {
	type done struct {
		job
		out   outcome
		floor []float64
		ref   TimePoint
		err   error
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
				r := done{job: j}
				switch j.kind {
				case runJob:
					outs, err := l.runGroup(ctx, j.entry, j.seed, j.seeds)
					if err != nil {
						r.err = err
						break
					}
					for i, o := range outs[:len(outs)-1] { // the last goes below
						select {
						case out <- done{job: job{kind: runJob, entry: j.entry, seed: j.seed + i}, out: o}:
						case <-ctx.Done():
							return
						}
					}
					r.job.seed, r.out = j.seed+len(outs)-1, outs[len(outs)-1]
				case floorJob:
					r.err = gated(ctx, l.cfg.Gate, func() (err error) {
						r.floor, err = l.floorDraw(ctx, j.floor)
						return err
					})
				case timeJob:
					r.err = gated(ctx, l.cfg.Gate, func() (err error) {
						r.ref, err = l.timeReference(j.grid, j.point, timeStream(j.gridIndex, j.point))
						return err
					})
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		send := func(j job) bool {
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for r := range l.floors {
			if !send(job{kind: floorJob, floor: r}) {
				return
			}
		}
		for gi, g := range l.distinctGrids() {
			for c := range g.steps {
				if !send(job{kind: timeJob, grid: g, gridIndex: gi, point: c}) {
					return
				}
			}
		}
		// Seed-major, every method progressing together, in groups of
		// seeds run in lockstep.
		for s := 0; s < l.cfg.Seeds; s += lockstepSeeds {
			for e := range l.cfg.Entries {
				group := l.lockstep[e]
				for g := s; g < min(s+lockstepSeeds, l.cfg.Seeds); g += group {
					if !send(job{kind: runJob, entry: e, seed: g, seeds: min(group, l.cfg.Seeds-g)}) {
						return
					}
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
		switch r.kind {
		case runJob:
			l.results[r.entry][r.seed] = r.out
		case floorJob:
			l.floors[r.job.floor] = r.floor
		case timeJob:
			r.grid.ref[r.job.point], r.grid.done[r.job.point] = r.ref, true
		}
		l.mu.Unlock()
		if r.kind == runJob && onDone != nil {
			onDone(r.entry, r.seed)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// gated runs f holding gate (a Config.Gate), if any.
func gated(ctx context.Context, gate func(context.Context) (func(), error), f func() error) error {
	if gate != nil {
		release, err := gate(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	return f()
}

// timeStream is the PCG stream of the exact time reference at scored step
// point of the gridIndex-th distinct grid.
func timeStream(gridIndex, point int) uint64 { return uint64(0x71e<<20 | gridIndex<<12 | point) }

// lockstepSeeds is how many seeds of an entry run in lockstep, their
// denoiser calls batched (denoiser.Lockstep): the exact prior's basis
// passes then serve four of them at a time. A seed's sample is the same
// as alone, bit for bit.
const lockstepSeeds = 16

// runGroup runs entry e with seed indices i … i+n−1 in lockstep, each on a
// goroutine of its own, holding the gate once for them.
func (l *Lab) runGroup(ctx context.Context, e, i, n int) (outs []outcome, err error) {
	outs = make([]outcome, n)
	err = gated(ctx, l.cfg.Gate, func() error {
		if n == 1 {
			var err error
			outs[0], err = l.runEntry(ctx, e, i, nil)
			return err
		}
		inner, ok := l.prob.Prior.NewDenoiser().(denoiser.Differentiable)
		if !ok {
			return fmt.Errorf("lab: %s: a lockstep needs a differentiable denoiser", l.cfg.Entries[e].Label)
		}
		members := denoiser.NewLockstep(inner, l.cfg.Prior.Dim(), n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for s, m := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer m.Close()
				outs[s], errs[s] = l.runEntry(ctx, e, i+s, m)
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	return outs, err
}

// runEntry runs entry e with seed index i, scoring x_t at the grid's
// steps, with den as its denoiser (nil: a new one of the prior).
func (l *Lab) runEntry(ctx context.Context, e, i int, den denoiser.Denoiser) (outcome, error) {
	cfg := l.configs[e]
	cfg.Seed = l.cfg.FirstSeed + uint64(i)
	cfg.Denoiser = den
	r, err := run.New(l.prob, cfg)
	if err != nil {
		return outcome{}, fmt.Errorf("%s: %w", l.cfg.Entries[e].Label, err)
	}
	var progress func(int)
	var ts *timeScores
	if l.grids != nil {
		g := l.grids[e]
		eg, err := l.newJoint()
		if err != nil {
			return outcome{}, err
		}
		ts = newTimeScores(len(g.steps))
		xt := make([]float64, l.cfg.Prior.Dim())
		next := 0
		progress = func(done int) {
			tr := r.Trajectory()
			for next < len(g.steps) && g.steps[next] < done {
				l.scoreTime(eg, ts, next, tr.Xt(xt, g.steps[next]), g.alphaBar[next])
				next++
			}
		}
	}
	tr, err := r.Run(ctx, progress)
	var de *run.DivergedError
	switch {
	case errors.As(err, &de):
		last := tr.Records[tr.Done-1]
		return outcome{done: true, diverged: true, nfe: last.NFE, vjps: last.VJPs}, nil
	case err != nil && ctx.Err() == nil:
		return outcome{done: true, failure: runFailure(cfg.Seed, err)}, nil
	case err != nil:
		return outcome{}, err
	}
	last := tr.Records[tr.Done-1]
	return outcome{done: true, x: tr.Final, time: ts, nfe: last.NFE, vjps: last.VJPs}, nil
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
