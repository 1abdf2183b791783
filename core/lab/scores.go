package lab

import (
	"math"
	"slices"

	"tweedie/core/internal/vec"
	"tweedie/core/metrics"
)

// sampleSet is a set of converged samples (in seed order) prepared for
// scoring, with or without bootstrap counts: the per-sample figures, and
// per direction and per pixel the sorted values with the sample each came
// from.
type sampleSet struct {
	n      int
	comp   []int       // argmax_k p(k | x0)
	psnr   []float64   // against the ground truth
	resid2 []float64   // ‖y − A·x0‖²
	ax     [][]float64 // A·x0
	proj   [][]float64
	perm   [][]int32
	cols   [][]float64
	cperm  [][]int32
}

// figure indexes the scores of a sample set.
type figure int

const (
	figSW figure = iota
	figTV
	figCoverage
	figTruthCoverage
	figPSNR
	figResidual
	figures
)

// sortedWithPerm sorts vals and returns the index each came from.
func sortedWithPerm(vals []float64) ([]float64, []int32) {
	idx := make([]int32, len(vals))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmpFloat(vals[a], vals[b]) })
	out := make([]float64, len(vals))
	for i, j := range idx {
		out[i] = vals[j]
	}
	return out, idx
}

// prepare projects and sorts the samples xs. A·x0 is applied with the
// lab's operator (not safe to share: callers pass their own clone's apply).
func (l *Lab) prepare(xs [][]float64, applyA func(dst, x []float64) []float64) *sampleSet {
	n := len(xs)
	s := &sampleSet{n: n, comp: make([]int, n), psnr: make([]float64, n), resid2: make([]float64, n)}
	for i, x := range xs {
		s.comp[i], _ = l.cfg.Prior.Classify(x)
		s.psnr[i] = metrics.PSNR(x, l.cfg.Truth)
		ax := applyA(make([]float64, len(l.prob.Y)), x)
		s.ax = append(s.ax, ax)
		r := 0.0
		for j, v := range ax {
			r += (l.prob.Y[j] - v) * (l.prob.Y[j] - v)
		}
		s.resid2[i] = r
	}
	p := make([]float64, n)
	for _, th := range l.dirs {
		for i, x := range xs {
			p[i] = vec.Dot(th, x)
		}
		v, idx := sortedWithPerm(p)
		s.proj, s.perm = append(s.proj, v), append(s.perm, idx)
	}
	d := l.cfg.Prior.Dim()
	for j := 0; j < d; j++ {
		for i, x := range xs {
			p[i] = x[j]
		}
		v, idx := sortedWithPerm(p)
		s.cols, s.cperm = append(s.cols, v), append(s.cperm, idx)
	}
	return s
}

// score writes the figures of the sample set, weighted by counts (nil: each
// sample once), into out (length figures). SW needs n ≥ 1, coverage n ≥ 2.
func (l *Lab) score(s *sampleSet, counts []int32, tables []quantileTable, out []float64) {
	n := s.n
	weight := func(i int) float64 {
		if counts == nil {
			return 1
		}
		return float64(counts[i])
	}
	// TV, PSNR and the residual: weighted means.
	f := make([]float64, len(l.post.Weights))
	ps, rs := 0.0, 0.0
	for i := 0; i < n; i++ {
		w := weight(i)
		f[s.comp[i]] += w / float64(n)
		ps += w * s.psnr[i]
		rs += w * s.resid2[i]
	}
	out[figTV] = totalVariation(f, l.post.Weights)
	out[figPSNR] = ps / float64(n)
	out[figResidual] = math.Sqrt(rs / float64(n))
	// SW against the exact projected posterior.
	sum := 0.0
	sorted := make([]int32, n)
	for d, p := range s.proj {
		var c []int32
		if counts != nil {
			for j, i := range s.perm[d] {
				sorted[j] = counts[i]
			}
			c = sorted
		}
		sum += tables[d].w2sq(p, c)
	}
	out[figSW] = math.Sqrt(sum / float64(len(s.proj)))
	out[figCoverage], out[figTruthCoverage] = math.NaN(), math.NaN()
	if n < 2 {
		return
	}
	inTruth, mass := 0, 0.0
	for j, col := range s.cols {
		lo := rankedQuantile(col, s.cperm[j], counts, levelLo)
		hi := rankedQuantile(col, s.cperm[j], counts, levelHi)
		for slot := range l.exact.ks {
			mass += l.exact.w[slot] * l.exact.massComponent(l.post, slot, j, lo, hi)
		}
		if t := l.cfg.Truth[j]; t >= lo && t <= hi {
			inTruth++
		}
	}
	out[figCoverage] = mass / float64(len(s.cols))
	out[figTruthCoverage] = float64(inTruth) / float64(len(s.cols))
}

// rankedQuantile is the type-7 quantile p of the sorted values with
// multiplicities counts[perm[j]] (nil: one each), n = len(sorted) in all.
func rankedQuantile(sorted []float64, perm []int32, counts []int32, p float64) float64 {
	n := len(sorted)
	h := p * float64(n-1)
	r := int(math.Floor(h))
	a := rankValue(sorted, perm, counts, r)
	if r+1 >= n {
		return a
	}
	return a + (h-float64(r))*(rankValue(sorted, perm, counts, r+1)-a)
}

// rankValue is the element of rank r (0-based) of the expanded sequence,
// walked from the nearer end.
func rankValue(sorted []float64, perm []int32, counts []int32, r int) float64 {
	if counts == nil {
		return sorted[r]
	}
	n := len(sorted)
	if r < n/2 {
		cum := 0
		for j, i := range perm {
			cum += int(counts[i])
			if cum > r {
				return sorted[j]
			}
		}
		return sorted[n-1]
	}
	cum := 0
	for j := n - 1; j >= 0; j-- {
		cum += int(counts[perm[j]])
		if cum > n-1-r {
			return sorted[j]
		}
	}
	return sorted[0]
}
