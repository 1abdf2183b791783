package run

import "tweedie/core/method"

// ParticleRecord is what one step of a particle method (MCGdiff, TDS) did
// to its population: N, the effective sample size of the weights it
// resampled by, whether it resampled, how many particles have offspring,
// and the weights and offspring of its TopParticles particles of highest
// weight (descending).
type ParticleRecord struct {
	N         int
	ESS       float64
	Resampled bool
	Distinct  int
	Weights   []float64
	Offspring []int
}

// particles is the part of a Trajectory a particle method fills: a record
// per step and the x̂0 of the latest step's top particles (the only
// particle images kept: N·d a step would not fit a long run).
type particles struct {
	// Particles[i] is step i's record; nil when the method has no particles.
	Particles []ParticleRecord
	// topX0 holds the latest step's top particles' x̂0, row after row, and
	// topStep its index.
	topX0   []float32
	topStep int
	// weights and offspring back the records' slices, TopParticles a step,
	// allocated at the first.
	weights   []float64
	offspring []int
}

// recordParticles records step i of a particle guide (nothing for others).
func (r *Runner) recordParticles(i int) {
	pop, ok := r.guide.(method.Population)
	if !ok {
		return
	}
	tr := r.traj
	s := pop.Particles()
	k := len(s.Weights)
	if tr.Particles == nil {
		tr.Particles = make([]ParticleRecord, len(tr.Grid))
		tr.weights, tr.offspring = make([]float64, len(tr.Grid)*k), make([]int, len(tr.Grid)*k)
	}
	w, o := tr.weights[i*k:(i+1)*k:(i+1)*k], tr.offspring[i*k:(i+1)*k:(i+1)*k]
	copy(w, s.Weights)
	copy(o, s.Offspring)
	tr.Particles[i] = ParticleRecord{N: s.N, ESS: s.ESS, Resampled: s.Resampled, Distinct: s.Distinct,
		Weights: w, Offspring: o}
	if cap(tr.topX0) < len(s.TopX0) {
		tr.topX0 = make([]float32, len(s.TopX0))
	}
	tr.topX0 = tr.topX0[:len(s.TopX0)]
	narrow(tr.topX0, s.TopX0)
	tr.topStep = i
}

// HasParticles reports whether the run's method evolves particles.
func (tr *Trajectory) HasParticles() bool { return tr.Particles != nil }

// Particle returns step i's particle record (false when the run has none
// or step i is not done).
func (tr *Trajectory) Particle(i int) (ParticleRecord, bool) {
	if tr.Particles == nil || i < 0 || i >= tr.Done {
		return ParticleRecord{}, false
	}
	return tr.Particles[i], true
}

// TopParticles returns the x̂0 of the latest step's top particles (one
// slice of length d each, by descending weight; see Particle for their
// weights) and that step's index, or nil and −1.
func (tr *Trajectory) TopParticles() ([][]float64, int) {
	if tr.Particles == nil || tr.Done == 0 {
		return nil, -1
	}
	d := tr.Shape.Len()
	var xs [][]float64
	for k := 0; k+d <= len(tr.topX0); k += d {
		xs = append(xs, widen(nil, tr.topX0[k:k+d]))
	}
	return xs, tr.topStep
}
