package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"tweedie/core/budget"
	"tweedie/core/denoiser"
	"tweedie/core/internal/spread"
	"tweedie/core/metrics"
	"tweedie/core/run"
)

// A lab without the exact posterior.
//
// A served model (--prior remote:) has no exact posterior, so TV, SW and
// coverage cannot be measured; RunNoExact reports what can be: per entry,
// over its seeds, the divergence fraction, the mean PSNR of the samples
// against the ground truth, the mean residual ‖y − A(x)‖ (beside σ·√m, the
// noise's expected norm), the per-pixel spread of the samples and the NFE.
// Runs are spread over Workers goroutines (and so over the worker
// processes of a remote prior, whose denoisers take the workers in turn);
// the figures are summed in seed order, so the same seeds give the same
// report bit for bit whatever the number of goroutines or processes.

// NoExactConfig is a lab run on a prior without an exact posterior.
type NoExactConfig struct {
	Prior denoiser.Prior
	Truth []float64
	// Entries share the problem: operator, σ and noise seed.
	Entries []Entry
	// Seeds is the number of runs per entry; run i uses sampler seed FirstSeed + i.
	Seeds     int
	FirstSeed uint64
	// Workers is the number of runs at once (default GOMAXPROCS), fewer
	// when the budget holds fewer.
	Workers int
	// Budget, when not nil, is the memory budget (core/budget) the samples
	// kept and the runs at once are reserved from.
	Budget *budget.Budget
}

// NoExactResult is one entry's figures over its finished runs; Failed
// counts the seeds whose run failed (not in Runs), Failure the first of
// them's cause (in seed order).
type NoExactResult struct {
	Label    string  `json:"label"`
	Runs     int     `json:"runs"`
	Diverged float64 `json:"diverged_fraction"`
	Failed   int     `json:"failed"`
	Failure  string  `json:"failure,omitempty"`
	// PSNR is the mean PSNR of the converged samples against the truth,
	// Residual their mean ‖y − A(x)‖.
	PSNR     float64 `json:"mean_psnr"`
	Residual float64 `json:"mean_residual"`
	// Spread is the mean over pixels of the samples' standard deviation
	// (n − 1 in the denominator; NaN below 2 converged runs).
	Spread float64 `json:"pixel_spread"`
	NFE    float64 `json:"nfe"`
	VJPs   float64 `json:"vjps"`
}

// NoExactReport is the lab's figures; NoiseNorm is σ·√m, what ‖y − A(x0)‖
// is for the truth on average.
type NoExactReport struct {
	Seeds     int             `json:"seeds"`
	NoiseNorm float64         `json:"noise_norm"`
	Results   []NoExactResult `json:"results"`
}

// MaxNoExactFloats bounds the samples a lab without the exact posterior
// holds (runs × d float32 values, 1 GiB): checked before any run.
const MaxNoExactFloats = 1 << 28

type noExactOutcome struct {
	diverged       bool
	failure        error
	nfe, vjps      int
	psnr, residual float64
	x              []float32
}

// RunNoExact runs every entry with every seed and reports.
func RunNoExact(ctx context.Context, cfg NoExactConfig) (*NoExactReport, error) {
	if err := checkEntries(cfg.Prior != nil, cfg.Entries, cfg.Seeds); err != nil {
		return nil, err
	}
	d := cfg.Prior.ImageShape().Len()
	if n := int64(len(cfg.Entries)) * int64(cfg.Seeds) * int64(d); n > MaxNoExactFloats {
		return nil, fmt.Errorf("lab: %d runs of %d pixels hold %d numbers, more than %d", len(cfg.Entries)*cfg.Seeds, d, n, MaxNoExactFloats)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	probs := make([]*run.Problem, len(cfg.Entries))
	configs := make([]run.Config, len(cfg.Entries))
	for i, e := range cfg.Entries {
		var err error
		if probs[i], configs[i], err = e.Settings.Build(cfg.Prior, cfg.Truth); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", e.Label, err)
		}
		configs[i].NoExact, configs[i].KeepBytes = true, 1 // only the final sample is needed
	}
	mem, workers, err := reserveNoExact(cfg, probs, configs)
	if err != nil {
		return nil, err
	}
	defer mem.Release()
	cfg.Workers = workers
	outs := make([][]noExactOutcome, len(cfg.Entries))
	for i := range outs {
		outs[i] = make([]noExactOutcome, cfg.Seeds)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct{ e, s int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				o, err := runNoExact(ctx, probs[j.e], configs[j.e], cfg.FirstSeed+uint64(j.s), cfg.Truth)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s, seed %d: %w", cfg.Entries[j.e].Label, cfg.FirstSeed+uint64(j.s), err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				outs[j.e][j.s] = o // each job its own element
			}
		}()
	}
feed:
	for s := range cfg.Seeds {
		for e := range cfg.Entries {
			select {
			case jobs <- job{e, s}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := probs[0]
	rep := &NoExactReport{Seeds: cfg.Seeds, NoiseNorm: p.Sigma * math.Sqrt(float64(len(p.Y)))}
	for e, o := range outs {
		rep.Results = append(rep.Results, summariseNoExact(cfg.Entries[e].Label, o))
	}
	return rep, nil
}

// reserveNoExact reserves from cfg's budget the samples the lab keeps
// (float32) and its runs at once, as many as cfg.Workers or as fit: it
// returns the reservation and the number of runs at once.
func reserveNoExact(cfg NoExactConfig, probs []*run.Problem, configs []run.Config) (*budget.Reservation, int, error) {
	d := int64(cfg.Prior.ImageShape().Len())
	runs := int64(len(cfg.Entries)) * int64(cfg.Seeds)
	mem, err := cfg.Budget.Reserve(fmt.Sprintf("the lab's %d samples", runs), 4*d*runs)
	if err != nil || cfg.Budget == nil {
		return mem, cfg.Workers, err
	}
	perRun := int64(0)
	for i := range configs {
		n, err := run.Footprint(probs[i], configs[i])
		if err != nil {
			mem.Release()
			return nil, 0, err
		}
		perRun = max(perRun, n)
	}
	workers := int(min(int64(cfg.Workers), cfg.Budget.Free()/max(perRun, 1)))
	at, err := cfg.Budget.Reserve(fmt.Sprintf("the lab's %d runs at once", max(workers, 1)), int64(max(workers, 1))*perRun)
	if err != nil {
		mem.Release()
		return nil, 0, err
	}
	return mem.Join(at), workers, nil
}

// runNoExact makes one run; a diverged run counts as such, and so does a
// failed one (the worker's error, say); only a cancelled run is an error.
func runNoExact(ctx context.Context, prob *run.Problem, cfg run.Config, seed uint64, truth []float64) (noExactOutcome, error) {
	cfg.Seed = seed
	r, err := run.New(prob, cfg)
	if err != nil {
		return noExactOutcome{}, err
	}
	tr, err := r.Run(ctx, nil)
	var de *run.DivergedError
	switch {
	case errors.As(err, &de):
		last := tr.Records[tr.Done-1]
		return noExactOutcome{diverged: true, nfe: last.NFE, vjps: last.VJPs}, nil
	case err != nil && ctx.Err() == nil:
		return noExactOutcome{failure: runFailure(seed, err)}, nil
	case err != nil:
		return noExactOutcome{}, err
	}
	last := tr.Records[tr.Done-1]
	x := make([]float32, len(tr.Final))
	for i, v := range tr.Final {
		x[i] = float32(v)
	}
	return noExactOutcome{nfe: last.NFE, vjps: last.VJPs, psnr: metrics.PSNR(tr.Final, truth),
		residual: prob.Residual(tr.Final), x: x}, nil
}

// summariseNoExact sums one entry's outcomes in seed order.
func summariseNoExact(label string, outs []noExactOutcome) NoExactResult {
	nan := math.NaN()
	r := NoExactResult{Label: label, PSNR: nan, Residual: nan, Spread: nan}
	var xs [][]float32
	psnr, res, diverged := 0.0, 0.0, 0
	for _, o := range outs {
		if o.failure != nil {
			r.Failed, r.Failure = countFailure(r.Failed, r.Failure, o.failure)
			continue
		}
		r.Runs++
		r.NFE += float64(o.nfe)
		r.VJPs += float64(o.vjps)
		if o.diverged {
			diverged++
			continue
		}
		xs = append(xs, o.x)
		psnr += o.psnr
		res += o.residual
	}
	r.Diverged = nan
	if r.Runs > 0 {
		r.Diverged = float64(diverged) / float64(r.Runs)
		r.NFE /= float64(r.Runs)
		r.VJPs /= float64(r.Runs)
	}
	n := len(xs)
	if n == 0 {
		return r
	}
	r.PSNR, r.Residual = psnr/float64(n), res/float64(n)
	if n >= 2 {
		_, sumSq := spread.Columns(xs, nil)
		sum := 0.0
		for _, ss := range sumSq {
			sum += math.Sqrt(ss / float64(n-1))
		}
		r.Spread = sum / float64(len(sumSq))
	}
	return r
}
