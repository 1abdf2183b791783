package lab

import (
	"math"
	"slices"
)

// Result is one entry's figures over the runs finished so far.
type Result struct {
	Label string `json:"label"`
	// Runs is the number of finished runs, Diverged how many of them diverged.
	Runs     int     `json:"runs"`
	Diverged float64 `json:"diverged_fraction"`
	// Frequencies are the fractions of converged samples per component.
	Frequencies []float64 `json:"frequencies"`
	TV          float64   `json:"tv"`
	SW          float64   `json:"sliced_wasserstein"`
	PSNR        float64   `json:"mean_psnr"`
	// Coverage is the exact posterior mass inside the per-pixel 90% intervals;
	// TruthCoverage the fraction of ground-truth pixels inside them.
	Coverage      float64 `json:"coverage"`
	TruthCoverage float64 `json:"truth_coverage"`
	// NFE and VJPs are the network evaluations a sample cost, on average
	// over the finished runs: inputs denoised and vector–Jacobian products.
	NFE  float64 `json:"nfe"`
	VJPs float64 `json:"vjps"`
}

// Report is the lab's comparison so far.
type Report struct {
	// Weights are the exact posterior weights π'_k.
	Weights []float64 `json:"posterior_weights"`
	// SWFloor is the SW between two independent sets of exact samples of
	// size Seeds: the distance an exact sampler reaches.
	SWFloor float64 `json:"sw_floor"`
	// TVFloor and CoverageFloor are TV and coverage of a second set of exact
	// samples of size Seeds: what an exact sampler scores with this many
	// samples (TV > 0 and coverage < 0.90 from finite samples alone).
	TVFloor       float64  `json:"tv_floor"`
	CoverageFloor float64  `json:"coverage_floor"`
	Projections   int      `json:"projections"`
	Seeds         int      `json:"seeds"`
	Results       []Result `json:"results"`
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

// Report summarises the runs finished so far. SW uses as many exact
// samples as there are converged runs.
func (l *Lab) Report() *Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	rep := &Report{Weights: l.post.Weights, SWFloor: l.floor, TVFloor: l.tvFloor, CoverageFloor: l.coverFloor,
		Projections: len(l.dirs), Seeds: l.cfg.Seeds}
	for e, outs := range l.results {
		rep.Results = append(rep.Results, l.summarise(l.cfg.Entries[e].Label, outs))
	}
	return rep
}

func (l *Lab) summarise(label string, outs []outcome) Result {
	K := len(l.post.Weights)
	r := Result{Label: label, Frequencies: make([]float64, K)}
	var xs [][]float64
	psnr, diverged := 0.0, 0
	for _, o := range outs {
		if !o.done {
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
		r.Frequencies[o.component]++
		psnr += o.psnr
	}
	nan := math.NaN()
	r.TV, r.SW, r.PSNR, r.Coverage, r.TruthCoverage, r.Diverged = nan, nan, nan, nan, nan, nan
	if r.Runs > 0 {
		r.Diverged = float64(diverged) / float64(r.Runs)
		r.NFE /= float64(r.Runs)
		r.VJPs /= float64(r.Runs)
	}
	n := len(xs)
	if n == 0 {
		return r
	}
	for k := range r.Frequencies {
		r.Frequencies[k] /= float64(n)
	}
	r.TV = totalVariation(r.Frequencies, l.post.Weights)
	r.PSNR = psnr / float64(n)
	r.SW = slicedW2(xs, l.exactA[:n], l.dirs)
	if n >= 2 {
		r.Coverage, r.TruthCoverage = l.coverage(xs)
	}
	return r
}

// totalVariation is ½·Σ_k |f_k − p_k|.
func totalVariation(f, p []float64) float64 {
	tv := 0.0
	for k := range f {
		tv += 0.5 * math.Abs(f[k]-p[k])
	}
	return tv
}

// tv classifies samples by their most likely component and returns the TV
// between the frequencies and the exact weights.
func (l *Lab) tv(xs [][]float64) float64 {
	f := make([]float64, len(l.post.Weights))
	for _, x := range xs {
		k, _ := l.cfg.Prior.Classify(x)
		f[k] += 1 / float64(len(xs))
	}
	return totalVariation(f, l.post.Weights)
}

// coverage computes the per-pixel [q05, q95] of the samples (linear
// interpolation between order statistics) and counts exact samples and
// truth pixels inside.
func (l *Lab) coverage(xs [][]float64) (exact, truth float64) {
	d := len(xs[0])
	col := make([]float64, len(xs))
	inExact, inTruth := 0, 0
	for i := 0; i < d; i++ {
		for n, x := range xs {
			col[n] = x[i]
		}
		slices.Sort(col)
		lo, hi := quantile(col, 0.05), quantile(col, 0.95)
		for _, e := range l.exactA {
			if e[i] >= lo && e[i] <= hi {
				inExact++
			}
		}
		if t := l.cfg.Truth[i]; t >= lo && t <= hi {
			inTruth++
		}
	}
	return float64(inExact) / float64(d*len(l.exactA)), float64(inTruth) / float64(d)
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
