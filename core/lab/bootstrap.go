package lab

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a 90% interval [Lo, Hi]: the 5% and 95% percentiles of a
// bootstrap or of repeated exact draws. NaN bounds mean no interval (too
// few samples).
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Band is a median with its 90% interval.
type Band struct {
	Median float64 `json:"median"`
	Interval
}

// Contains reports whether x lies in the interval.
func (iv Interval) Contains(x float64) bool { return x >= iv.Lo && x <= iv.Hi }

// Overlaps reports whether two intervals share a point.
func (iv Interval) Overlaps(o Interval) bool { return iv.Lo <= o.Hi && o.Lo <= iv.Hi }

// Width is Hi − Lo.
func (iv Interval) Width() float64 { return iv.Hi - iv.Lo }

// Interval levels: the 5% and 95% percentiles.
const (
	levelLo = 0.05
	levelHi = 0.95
)

func nanInterval() Interval { return Interval{math.NaN(), math.NaN()} }

// bandOf returns the median and the 5–95% percentiles of the finite
// values (type-7 quantiles), NaN when there are none.
func bandOf(vals []float64) Band {
	var v []float64
	for _, x := range vals {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Band{math.NaN(), nanInterval()}
	}
	slices.Sort(v)
	return Band{quantile(v, 0.5), Interval{quantile(v, levelLo), quantile(v, levelHi)}}
}

// bootstrap is the percentile bootstrap over n samples: B resamples of n
// indices drawn with replacement by a PCG stream seeded with (seed, stream),
// each given to stat as counts (counts[i] copies of sample i, Σ = n), which
// writes one value per figure into out. It returns each figure's 5–95%
// interval. The same seed gives the same intervals.
//
// With the point estimates (point, the figures of the samples themselves),
// each interval is shifted by the bootstrap's estimate of the bias, the
// mean over the resamples minus the point estimate: a resample repeats
// some samples and leaves others out, which makes a distance to a
// continuous distribution (SW) larger and per-pixel intervals noisier, so
// the plain percentile interval would sit above SW's point estimate.
// For a mean (PSNR, the residual) the shift is zero up to resampling noise.
func bootstrap(n, B int, seed, stream uint64, figures int, point []float64, stat func(counts []int32, out []float64)) []Interval {
	ivs := make([]Interval, figures)
	if n < 2 || B < 2 {
		for i := range ivs {
			ivs[i] = nanInterval()
		}
		return ivs
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	vals := make([][]float64, figures)
	for i := range vals {
		vals[i] = make([]float64, B)
	}
	counts := make([]int32, n)
	out := make([]float64, figures)
	for b := 0; b < B; b++ {
		clear(counts)
		for range n {
			counts[rng.IntN(n)]++
		}
		stat(counts, out)
		for i, v := range out {
			vals[i][b] = v
		}
	}
	for i := range ivs {
		ivs[i] = bandOf(vals[i]).Interval
		if point != nil {
			bias := finiteMean(vals[i]) - point[i]
			ivs[i].Lo -= bias
			ivs[i].Hi -= bias
			if slices.Min(vals[i]) >= 0 { // a distance or a fraction stays ≥ 0
				ivs[i].Lo = math.Max(ivs[i].Lo, 0)
			}
		}
	}
	return ivs
}

// finiteMean is the mean of the finite values, NaN without any.
func finiteMean(v []float64) float64 {
	s, n := 0.0, 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
