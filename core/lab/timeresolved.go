package lab

import (
	"math"
	"math/rand/v2"

	"tweedie/core/gmm"
	"tweedie/core/operator"
)

// Time-resolved exactness. For a mixture prior and a linear A the noised
// posterior is a known mixture at every t,
//
//	p_t(x_t | y) = Σ_k π'_k·N(sqrt(ᾱ_t)·m'_k, ᾱ_t·Σ'_k + (1 − ᾱ_t)·I),
//
// so the ensemble of a method's x_t over the seeds can be scored at each
// step against it (gmm.ExactGuidance.Joint computes both figures):
//
//	TV_t  = ½·Σ_k |r̄_k − π'_k|,  r̄_k = mean over runs of p(k | x_t, y).
//	        For an exact sampler E[p(k | x_t, y)] = p(k | y) = π'_k at every
//	        t (the tower rule), so TV_t is 0 up to sampling noise; a method
//	        that puts its mass in the wrong modes shows it from the step it
//	        does. (The fraction by argmax would not be 0 for an exact
//	        sampler at high noise, where the responsibilities are spread.)
//	NLL_t = −mean over runs of log p_t(x_t | y).
//
// Both are scored at TimePoints steps of each run (evenly spaced step
// indices), per seed as the run goes, and averaged in seed order. The exact
// reference is the same figures for x_t = sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·ε
// with x0 exact posterior samples (as many as seeds), with bootstrap
// intervals. x_t is read from the run's float32 record.

// DefaultTimePoints is the number of steps scored per run.
const DefaultTimePoints = 40

// TimePoint is the ensemble's exactness at one step.
type TimePoint struct {
	// Step is the step's index in its run, T its timestep, AlphaBar its ᾱ_t.
	Step     int     `json:"step"`
	T        int     `json:"t"`
	AlphaBar float64 `json:"alpha_bar"`
	// TV and NLL are the runs' figures (NaN before any run finished).
	TV  float64 `json:"tv"`
	NLL float64 `json:"nll"`
	// TVExact and NLLExact are an exact sampler's, with 90% bootstrap
	// intervals over its samples (NaN until computed).
	TVExact    float64  `json:"tv_exact"`
	TVExactCI  Interval `json:"tv_exact_ci"`
	NLLExact   float64  `json:"nll_exact"`
	NLLExactCI Interval `json:"nll_exact_ci"`
}

// timeGrid is the scored steps of a step count.
type timeGrid struct {
	steps    []int     // step indices scored
	ts       []int     // their timesteps
	alphaBar []float64 // their ᾱ_t
	// exact reference per scored step, filled by the reference jobs.
	ref  []TimePoint
	done []bool
}

// newTimeGrid picks min(points, S) evenly spaced step indices of an S-step run.
func newTimeGrid(grid []int, alphaBar []float64, points int) *timeGrid {
	S := len(grid)
	P := min(points, S)
	g := &timeGrid{}
	for j := 0; j < P; j++ {
		i := 0
		if P > 1 {
			i = int(math.Round(float64(j) * float64(S-1) / float64(P-1)))
		}
		if n := len(g.steps); n > 0 && g.steps[n-1] == i {
			continue
		}
		g.steps = append(g.steps, i)
		g.ts = append(g.ts, grid[i])
		g.alphaBar = append(g.alphaBar, alphaBar[grid[i]])
	}
	nan := math.NaN()
	for c := range g.steps {
		g.ref = append(g.ref, TimePoint{Step: g.steps[c], T: g.ts[c], AlphaBar: g.alphaBar[c], TV: nan, NLL: nan,
			TVExact: nan, NLLExact: nan, TVExactCI: nanInterval(), NLLExactCI: nanInterval()})
	}
	g.done = make([]bool, len(g.steps))
	return g
}

// timeScores are one run's scores at the scored steps.
type timeScores struct {
	rho  [][]float32 // p(k | x_t, y) per scored step
	logp []float64   // log p_t(x_t | y) per scored step
}

// newJoint returns the exact joint scorer for the lab's problem (one per
// goroutine: it keeps scratch).
func (l *Lab) newJoint() (*gmm.ExactGuidance, error) {
	ex, err := l.cfg.Prior.NewExactGuidance(l.prob.Op.Clone().(operator.Linear), l.prob.Y, l.prob.Sigma)
	if err != nil {
		return nil, err
	}
	return ex.(*gmm.ExactGuidance), nil
}

// scoreTime fills step c of ts from x_t.
func (l *Lab) scoreTime(eg *gmm.ExactGuidance, ts *timeScores, c int, xt []float64, alphaBar float64) {
	rho := make([]float64, len(l.post.Weights))
	ts.logp[c] = eg.Joint(rho, xt, alphaBar, l.post.LogEvidence)
	ts.rho[c] = make([]float32, len(rho))
	for k, r := range rho {
		ts.rho[c][k] = float32(r)
	}
}

func newTimeScores(points int) *timeScores {
	return &timeScores{rho: make([][]float32, points), logp: make([]float64, points)}
}

// timeFigures returns TV_t and NLL_t of the runs' scores at step c,
// weighted by counts (nil: once each).
func (l *Lab) timeFigures(all []*timeScores, c int, counts []int32) (tv, nll float64) {
	K := len(l.post.Weights)
	mean := make([]float64, K)
	n := 0.0
	for i, ts := range all {
		w := 1.0
		if counts != nil {
			w = float64(counts[i])
		}
		if w == 0 {
			continue
		}
		for k, r := range ts.rho[c] {
			mean[k] += w * float64(r)
		}
		nll -= w * ts.logp[c]
		n += w
	}
	for k := range mean {
		mean[k] /= n
	}
	return totalVariation(mean, l.post.Weights), nll / n
}

// referenceResamples bounds the bootstrap of the exact time reference.
const referenceResamples = 200

// timeReference computes the exact reference at scored step c of g.
func (l *Lab) timeReference(g *timeGrid, c int, stream uint64) (TimePoint, error) {
	eg, err := l.newJoint()
	if err != nil {
		return TimePoint{}, err
	}
	ab := g.alphaBar[c]
	rng := rand.New(rand.NewPCG(l.cfg.Seed, stream))
	xt := make([]float64, l.cfg.Prior.Dim())
	all := make([]*timeScores, len(l.refX0))
	for i, x0 := range l.refX0 {
		for j := range xt {
			xt[j] = math.Sqrt(ab)*x0[j] + math.Sqrt(1-ab)*rng.NormFloat64()
		}
		all[i] = newTimeScores(1)
		l.scoreTime(eg, all[i], 0, xt, ab)
	}
	p := g.ref[c]
	p.TVExact, p.NLLExact = l.timeFigures(all, 0, nil)
	ivs := bootstrap(len(all), min(l.cfg.Resamples, referenceResamples), l.cfg.Seed, stream^0x7e5, 2, []float64{p.TVExact, p.NLLExact},
		func(counts []int32, out []float64) { out[0], out[1] = l.timeFigures(all, 0, counts) })
	p.TVExactCI, p.NLLExactCI = ivs[0], ivs[1]
	return p, nil
}
