package method

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"tweedie/core/denoiser"
)

// Particle methods (MCGdiff, TDS) evolve a population of N particles with
// weights: sequential Monte Carlo over the sampler's steps. The runner
// steps one x_t; a particle guide keeps the population itself, with x_t
// as its row 0, the particle shown. Each step the runner denoises row 0
// (as for any method) and the guide the other N−1 rows in one batched
// call, so a step costs N network evaluations (and N VJPs for TDS). After
// its step the guide puts the particle it shows next into row 0 — the
// offspring of the particle of highest weight — and returns it as x_s; at
// the last step x_s is one particle drawn from the final weights, so one
// run gives one sample of the particle approximation of the posterior.
//
// The population draws its own randomness (initial particles, proposal
// noise, resampling) from the run's seed (Problem.Seed) on a stream of its
// own: the same seed gives the same run, bit for bit.

// MaxParticles bounds N: one batched denoiser call holds them all.
const MaxParticles = denoiser.MaxBatch

// MaxParticleValues bounds N·d, the numbers of one population buffer (a
// guide keeps a handful of them).
const MaxParticleValues = 1 << 21

// TopParticles is how many particles a Snapshot keeps for display.
const TopParticles = 8

// particlesParam is N, the number of particles.
var particlesParam = Param{Name: "particles", Symbol: "N", Kind: Number, NonNegative: true, DefaultValue: "16",
	Help:   "number of particles `N` of the particle methods (MCGdiff, TDS), an integer in [1, 4096]; a step costs N network evaluations",
	Ladder: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}, Down: "x", Up: "X", DownHelp: "particles N down", UpHelp: "particles N up", InLabel: true}

// Population is implemented by the guides of particle methods: what the
// latest step did to the population. The slices of the ParticleStep are
// the guide's, valid until its next step: copy what must outlive it.
type Population interface {
	Particles() ParticleStep
}

// ParticleStep describes one step of a population.
type ParticleStep struct {
	// N is the number of particles.
	N int
	// ESS is the effective sample size 1/Σ w_j² of the normalised weights
	// w that the step resampled by (or would have): N for equal weights,
	// 1 when one particle has them all.
	ESS float64
	// Resampled reports whether the step resampled; Distinct is the number
	// of particles that have offspring after it (N when it did not).
	Resampled bool
	Distinct  int
	// Top are the TopParticles particles of highest weight w (at most N),
	// by descending weight: their x̂0 (row by row, length len(Weights)·d),
	// their weights and their numbers of offspring.
	TopX0     []float64
	Weights   []float64
	Offspring []int
}

// particleCount reads N from the values and checks it against the bounds
// for images of d numbers, before anything is allocated.
func particleCount(v Values, d int) (int, error) {
	x := v.Float("particles")
	n := int(x)
	switch {
	case math.IsNaN(x) || x != math.Trunc(x) || x < 1 || x > MaxParticles:
		return 0, fmt.Errorf("particles = %s: want an integer in [1, %d]", v["particles"], MaxParticles)
	case n*d > MaxParticleValues:
		return 0, fmt.Errorf("particles = %d: N·d = %d·%d exceeds %d; use at most %d particles at this size", n, n, d, MaxParticleValues, MaxParticleValues/d)
	}
	return n, nil
}

// population is N particles of d numbers with log weights.
type population struct {
	n, d int
	rng  *rand.Rand
	src  *rand.PCG // rng's source, whose state a keyframe saves
	// x are the particles x_t, row 0 the one shown; x0 their x̂0; next the
	// particles x_s being made; noise the proposal's N(0, I) draws.
	x, x0, next, noise []float64
	// logw are the log weights, w the normalised weights, anc the
	// ancestors of the rows of next, count the offspring of each row of x.
	logw, w []float64
	anc     []int
	count   []int
	started bool
	// step is what the latest step did; its slices are allocated once.
	step ParticleStep
	// order is scratch for sorting by weight.
	order []int
}

// particleStream keeps the particles' randomness apart from the run's
// noise stream (sampler.NewNoise), which uses the same seed.
const particleStream = 0x7061727469636c65 // "particle"

func newPopulation(n, d int, seed uint64) *population {
	buf := func() []float64 { return make([]float64, n*d) }
	src := rand.NewPCG(seed, particleStream)
	k := min(TopParticles, n)
	return &population{n: n, d: d, rng: rand.New(src), src: src,
		x: buf(), x0: buf(), next: buf(), noise: buf(),
		logw: make([]float64, n), w: make([]float64, n), anc: make([]int, n), count: make([]int, n),
		order: make([]int, n),
		step:  ParticleStep{TopX0: make([]float64, k*d), Weights: make([]float64, k), Offspring: make([]int, k)}}
}

// pcgStateBytes is the length of a PCG generator's state (MarshalBinary).
var pcgStateBytes = len(must(rand.NewPCG(0, 0).MarshalBinary()))

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The state a particle guide carries from step to step (Stateful) is the
// population's — whether it has started and its generator's position —
// and what the method adds: the particles themselves, their weights.

// stateBytes is the length of the population's part of a state.
func (p *population) stateBytes() int { return 1 + pcgStateBytes }

// appendState appends whether the population has started and the
// generator's state.
func (p *population) appendState(dst []byte) []byte {
	return must(p.src.AppendBinary(appendBool(dst, p.started)))
}

// readState reads what appendState wrote.
func (p *population) readState(r *stateReader) {
	p.started = r.bool()
	if b := r.take(pcgStateBytes); b != nil {
		if err := p.src.UnmarshalBinary(b); err != nil {
			r.err = err
		}
	}
}

// row is particle j of a population buffer.
func (p *population) row(buf []float64, j int) []float64 { return buf[j*p.d : (j+1)*p.d] }

var errOutOfStep = errors.New("particles out of step: x_t is not the particle the previous step showed (a particle guide serves one run, step after step)")

// begin makes the step's start: at the first step row 0 is x_T and the
// other rows fresh N(0, I) draws; after that row 0 must be x_t. Then it
// denoises rows 1…N−1 in one batched call (row 0's x̂0 is the runner's),
// linearising them when lin is set, and returns their point.
func (p *population) begin(ctx context.Context, st *State, lin bool) (denoiser.Point, error) {
	if !p.started {
		copy(p.x, st.Xt)
		for i := p.d; i < len(p.x); i++ {
			p.x[i] = p.rng.NormFloat64()
		}
		p.started = true
	} else if !slices.Equal(p.row(p.x, 0), st.Xt) {
		return denoiser.Point{}, errOutOfStep
	}
	copy(p.x0, st.X0Hat)
	if p.n == 1 {
		return denoiser.Point{}, nil
	}
	rest, rest0 := p.x[p.d:], p.x0[p.d:]
	if !lin {
		return denoiser.Point{}, st.Den.Denoise(ctx, rest0, rest, st.AlphaBarT)
	}
	diff, ok := st.Den.(denoiser.Differentiable)
	if !ok {
		return denoiser.Point{}, errors.New("the denoiser takes no VJPs")
	}
	return diff.Linearize(ctx, rest0, rest, st.AlphaBarT)
}

// normalise turns logw into the normalised weights w and returns the
// effective sample size 1/Σ w_j². Weights that are all −∞ or NaN are an
// error (no particle is possible).
func (p *population) normalise() (float64, error) {
	top := math.Inf(-1)
	for _, l := range p.logw {
		if l > top {
			top = l
		}
	}
	if math.IsInf(top, -1) || math.IsNaN(top) {
		return 0, errors.New("every particle has weight 0")
	}
	sum := 0.0
	for j, l := range p.logw {
		p.w[j] = math.Exp(l - top)
		sum += p.w[j]
	}
	if math.IsNaN(sum) {
		return 0, errors.New("a particle's weight is not a number")
	}
	sq := 0.0
	for j := range p.w {
		p.w[j] /= sum
		sq += p.w[j] * p.w[j]
	}
	return 1 / sq, nil
}

// multinomial draws N ancestors independently from w.
func (p *population) multinomial() {
	for j := range p.anc {
		p.anc[j] = p.pick()
	}
}

// systematic draws N ancestors with one uniform u: ancestor of row j is
// the index where the cumulative weight first exceeds (j + u)/N.
func (p *population) systematic() {
	u := p.rng.Float64()
	cum, k := p.w[0], 0
	for j := range p.anc {
		pos := (float64(j) + u) / float64(p.n)
		for pos > cum && k < p.n-1 {
			k++
			cum += p.w[k]
		}
		p.anc[j] = k
	}
}

// keep makes every particle its own ancestor (no resampling).
func (p *population) keep() {
	for j := range p.anc {
		p.anc[j] = j
	}
}

// pick draws one index from w.
func (p *population) pick() int {
	u, cum := p.rng.Float64(), 0.0
	for j, w := range p.w {
		cum += w
		if u < cum {
			return j
		}
	}
	return p.n - 1 // rounding: u ≥ Σw
}

// showFirst reorders the ancestors so that row 0 of next is an offspring
// of the particle of highest weight (the first such, in order), and
// records the step: ESS, resampling, offspring and the top particles.
func (p *population) showFirst(ess float64, resampled bool) {
	best := 0
	for j, w := range p.w {
		if w > p.w[best] {
			best = j
		}
	}
	if k := slices.Index(p.anc, best); k > 0 {
		p.anc[0], p.anc[k] = p.anc[k], p.anc[0]
	}
	clear(p.count)
	for _, a := range p.anc {
		p.count[a]++
	}
	distinct := 0
	for _, c := range p.count {
		if c > 0 {
			distinct++
		}
	}
	for j := range p.order {
		p.order[j] = j
	}
	slices.SortStableFunc(p.order, func(a, b int) int {
		switch {
		case p.w[a] > p.w[b]:
			return -1
		case p.w[a] < p.w[b]:
			return 1
		}
		return 0
	})
	s := &p.step
	s.N, s.ESS, s.Resampled, s.Distinct = p.n, ess, resampled, distinct
	for i, j := range p.order[:len(s.Weights)] {
		copy(s.TopX0[i*p.d:(i+1)*p.d], p.row(p.x0, j))
		s.Weights[i], s.Offspring[i] = p.w[j], p.count[j]
	}
}

// advance makes next the particles: x ← next.
func (p *population) advance() { p.x, p.next = p.next, p.x }

// Particles describes the latest step.
func (p *population) Particles() ParticleStep { return p.step }

// fillNoise draws the proposal's noise for every row of next.
func (p *population) fillNoise() {
	for i := range p.noise {
		p.noise[i] = p.rng.NormFloat64()
	}
}

// logNormal is log N(x; μ, v) of one coordinate.
func logNormal(x, mu, v float64) float64 {
	r := x - mu
	return -0.5 * (r*r/v + math.Log(2*math.Pi*v))
}
