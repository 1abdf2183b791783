package lab

import (
	"math"
	"slices"
	"sync"
)

// Result is one entry's figures over the runs finished so far.
type Result struct {
	Label string `json:"label"`
	// Runs is the number of finished runs, Diverged how many of them diverged.
	Runs     int     `json:"runs"`
	Diverged float64 `json:"diverged_fraction"`
	// Failed counts the seeds whose run failed (not in Runs), Failure the
	// first of them's cause (in seed order).
	Failed  int    `json:"failed"`
	Failure string `json:"failure,omitempty"`
	// Frequencies are the fractions of converged samples per component.
	Frequencies []float64 `json:"frequencies"`
	TV          float64   `json:"tv"`
	SW          float64   `json:"sliced_wasserstein"`
	PSNR        float64   `json:"mean_psnr"`
	// Coverage is the exact posterior mass inside the per-pixel 90% intervals;
	// TruthCoverage the fraction of ground-truth pixels inside them.
	Coverage      float64 `json:"coverage"`
	TruthCoverage float64 `json:"truth_coverage"`
	// Residual is sqrt(mean ‖y − A·x0‖²) (Report.ExpectedResidual is the
	// exact posterior's).
	Residual float64 `json:"residual"`
	// The 90% percentile-bootstrap intervals over the seeds.
	SWCI       Interval `json:"sliced_wasserstein_ci"`
	TVCI       Interval `json:"tv_ci"`
	PSNRCI     Interval `json:"mean_psnr_ci"`
	CoverageCI Interval `json:"coverage_ci"`
	ResidualCI Interval `json:"residual_ci"`
	// NFE and VJPs are the network evaluations a sample cost, on average
	// over the finished runs: inputs denoised and vector–Jacobian products.
	NFE  float64 `json:"nfe"`
	VJPs float64 `json:"vjps"`
	// Calibration is a row per posterior component (calibration.go).
	Calibration []ComponentCalibration `json:"calibration"`
	// Time is the ensemble's exactness at the scored steps, with the exact
	// reference (timeresolved.go); nil when not scored.
	Time []TimePoint `json:"time,omitempty"`
}

// Report is the lab's comparison so far.
type Report struct {
	// Weights are the exact posterior weights π'_k.
	Weights []float64 `json:"posterior_weights"`
	// The floor bands: median and 5–95% of the figures of FloorDraws sets
	// of Seeds exact posterior samples (floor.go) — what an exact sampler
	// scores with this many seeds. NaN until the draws are done.
	SWFloor       Band `json:"sw_floor"`
	TVFloor       Band `json:"tv_floor"`
	CoverageFloor Band `json:"coverage_floor"`
	PSNRFloor     Band `json:"psnr_floor"`
	ResidualFloor Band `json:"residual_floor"`
	// FloorDrawsDone of FloorDraws draws are in the bands.
	FloorDraws     int `json:"floor_draws"`
	FloorDrawsDone int `json:"floor_draws_done"`
	// ExpectedResidual is sqrt(E‖y − A·x0‖²) under the exact posterior.
	ExpectedResidual float64  `json:"expected_residual"`
	Projections      int      `json:"projections"`
	Resamples        int      `json:"resamples"`
	Seeds            int      `json:"seeds"`
	Results          []Result `json:"results"`
}

// Ranked returns the indices of Results from the closest to the exact
// posterior to the farthest: by SW, then TV; entries with no converged run
// last, in entry order.
func (rep *Report) Ranked() []int {
	idx := make([]int, len(rep.Results))
	for i := range idx {
		idx[i] = i
	}
	key := func(x float64) float64 {
		if math.IsNaN(x) {
			return math.Inf(1)
		}
		return x
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ra, rb := &rep.Results[a], &rep.Results[b]
		if c := cmpFloat(key(ra.SW), key(rb.SW)); c != 0 {
			return c
		}
		return cmpFloat(key(ra.TV), key(rb.TV))
	})
	return idx
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cached is an entry's last summary and what it was made of.
type cached struct {
	runs, refs int
	result     Result
}

// Report summarises the runs finished so far. An entry's summary is
// recomputed only when runs or time references finished since the last
// Report; entries are summarised in parallel (cfg.Workers).
func (l *Lab) Report() *Report {
	l.mu.Lock()
	outs := make([][]outcome, len(l.results))
	for e := range l.results {
		outs[e] = slices.Clone(l.results[e])
	}
	floors := slices.Clone(l.floors)
	var refs [][]TimePoint
	var refsDone []int
	for _, g := range l.grids {
		refs = append(refs, slices.Clone(g.ref))
		n := 0
		for _, ok := range g.done {
			if ok {
				n++
			}
		}
		refsDone = append(refsDone, n)
	}
	cache := slices.Clone(l.cache)
	l.mu.Unlock()

	rep := &Report{Weights: l.post.Weights, Projections: len(l.dirs), Seeds: l.cfg.Seeds, Resamples: l.cfg.Resamples,
		FloorDraws: len(floors), ExpectedResidual: l.exact.expectedResidual}
	rep.Results = make([]Result, len(outs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, l.cfg.Workers)
	for e := range outs {
		runs := 0
		for _, o := range outs[e] {
			if o.done {
				runs++
			}
		}
		nref := 0
		if refsDone != nil {
			nref = refsDone[e]
		}
		if c := cache[e]; c.result.Label != "" && c.runs == runs && c.refs == nref {
			rep.Results[e] = c.result
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(e, runs, nref int) {
			defer wg.Done()
			defer func() { <-sem }()
			var ref []TimePoint
			if refs != nil {
				ref = refs[e]
			}
			rep.Results[e] = l.summarise(e, outs[e], ref)
			cache[e] = cached{runs: runs, refs: nref, result: rep.Results[e]}
		}(e, runs, nref)
	}
	wg.Wait()
	l.mu.Lock()
	for e := range cache {
		if cache[e].runs >= l.cache[e].runs {
			l.cache[e] = cache[e]
		}
	}
	l.mu.Unlock()

	var fl [][]float64
	for _, f := range floors {
		if f != nil {
			fl = append(fl, f)
		}
	}
	rep.FloorDrawsDone = len(fl)
	band := func(fig figure) Band {
		v := make([]float64, len(fl))
		for i, f := range fl {
			v[i] = f[fig]
		}
		return bandOf(v)
	}
	rep.SWFloor, rep.TVFloor, rep.CoverageFloor = band(figSW), band(figTV), band(figCoverage)
	rep.PSNRFloor, rep.ResidualFloor = band(figPSNR), band(figResidual)
	return rep
}

// bootstrapStream offsets the PCG streams of the entries' bootstraps.
const bootstrapStream = 0xb0075

// summarise computes entry e's figures from its outcomes (in seed order)
// and the exact time reference of its grid.
func (l *Lab) summarise(e int, outs []outcome, ref []TimePoint) Result {
	K := len(l.post.Weights)
	r := Result{Label: l.cfg.Entries[e].Label, Frequencies: make([]float64, K)}
	var xs [][]float64
	var times []*timeScores
	diverged := 0
	for _, o := range outs {
		if !o.done {
			continue
		}
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
		times = append(times, o.time)
	}
	nan := math.NaN()
	r.TV, r.SW, r.PSNR, r.Coverage, r.TruthCoverage, r.Diverged, r.Residual = nan, nan, nan, nan, nan, nan, nan
	r.SWCI, r.TVCI, r.PSNRCI, r.CoverageCI, r.ResidualCI = nanInterval(), nanInterval(), nanInterval(), nanInterval(), nanInterval()
	if r.Runs > 0 {
		r.Diverged = float64(diverged) / float64(r.Runs)
		r.NFE /= float64(r.Runs)
		r.VJPs /= float64(r.Runs)
	}
	if ref != nil {
		r.Time = l.timeSeries(times, ref)
	}
	n := len(xs)
	if n == 0 {
		return r
	}
	s := l.prepare(xs, l.prob.Op.Clone().Apply)
	for _, k := range s.comp {
		r.Frequencies[k] += 1 / float64(n)
	}
	tables := l.tablesFor(n)
	fig := make([]float64, figures)
	l.score(s, nil, tables, fig)
	r.SW, r.TV, r.PSNR, r.Coverage, r.TruthCoverage, r.Residual =
		fig[figSW], fig[figTV], fig[figPSNR], fig[figCoverage], fig[figTruthCoverage], fig[figResidual]
	ivs := bootstrap(n, l.cfg.Resamples, l.cfg.Seed, bootstrapStream+uint64(e), int(figures), fig,
		func(counts []int32, out []float64) { l.score(s, counts, tables, out) })
	r.SWCI, r.TVCI, r.PSNRCI, r.CoverageCI, r.ResidualCI = ivs[figSW], ivs[figTV], ivs[figPSNR], ivs[figCoverage], ivs[figResidual]
	r.Calibration = l.calibrate(xs, s)
	return r
}

// timeSeries is the runs' time-resolved figures beside the reference.
func (l *Lab) timeSeries(times []*timeScores, ref []TimePoint) []TimePoint {
	pts := slices.Clone(ref)
	if len(times) == 0 {
		return pts
	}
	for c := range pts {
		pts[c].TV, pts[c].NLL = l.timeFigures(times, c, nil)
	}
	return pts
}

// totalVariation is ½·Σ_k |f_k − p_k|.
func totalVariation(f, p []float64) float64 {
	tv := 0.0
	for k := range f {
		tv += 0.5 * math.Abs(f[k]-p[k])
	}
	return tv
}

// quantile of sorted data with linear interpolation (type 7).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}
