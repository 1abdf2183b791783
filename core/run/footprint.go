package run

import (
	"tweedie/core/budget"
	"unsafe"

	"tweedie/core/method"
)

// A run's memory, for the memory budget (core/budget) of a model whose
// image a worker declares: d numbers an image.
//
//	Footprint = RunVectors·8·d                 the Runner's vectors, the method's scratch,
//	                                           the operator and measurement the run binds
//	          + 8·ParticleBuffers·N·d          a particle method's populations (N particles,
//	                                           N·d ≤ method.MaxParticleValues)
//	          + the trajectory's bound         TrajectoryBytes
//
// RunVectors is the most float64 vectors of d that a run of any method
// keeps besides its trajectory, with its problem and operator (DPS on a
// phase retrieval's padded transforms: 36.5; the DDRM family on a blur: 28),
// with a margin; TestFootprintCoversEveryMethod measures every registered
// method on each kind of operator against it, so that a method or an
// operator that keeps more fails that test.
const (
	RunVectors      = 40
	ParticleBuffers = 8
)

// Footprint returns the bytes a run of prob with cfg holds at most: its
// vectors and its trajectory's rows and keyframes (see Trajectory). The
// method's parameters are those of cfg, defaults resolved for prob's
// operator (an error when they do not resolve).
func Footprint(prob *Problem, cfg Config) (int64, error) {
	vectors, trajectory, err := FootprintParts(prob, cfg)
	return vectors + trajectory, err
}

// FootprintParts is Footprint in two: the vectors, which go when the
// Runner does, and the trajectory, which outlives it.
func FootprintParts(prob *Problem, cfg Config) (vectors, trajectory int64, err error) {
	vectors, state, err := runBytes(prob, cfg)
	return vectors, TrajectoryBytes(prob.Shape().Len(), cfg.Steps, state, cfg.KeepBytes), err
}

// runBytes returns the bytes of a run's vectors (its own, its method's
// scratch, a particle method's populations) and the bound of its guide's
// state.
func runBytes(prob *Problem, cfg Config) (vectors int64, state int, err error) {
	v, err := cfg.Method.Resolve(cfg.Params, prob.Op)
	if err != nil {
		return 0, 0, err
	}
	d := prob.Shape().Len()
	vectors = RunVectors * 8 * int64(d)
	particles := int64(0) // N·d
	if hasParticles(cfg.Method) {
		// The method refuses N·d above MaxParticleValues.
		particles = min(max(1, int64(v.Float("particles")))*int64(d), method.MaxParticleValues)
		vectors += 8 * ParticleBuffers * particles
	}
	return vectors, stateBound(d, particles), nil
}

// stateBound bounds a guide's state (method.Stateful's StateBytes), which
// each keyframe keeps, for images of d numbers and a population of
// particles numbers (0 without): RED-diff's three vectors of d, MCGdiff's
// and TDS's particles and a vector of d, a generator's state.
func stateBound(d int, particles int64) int {
	return int(8*(3*int64(d)+particles)) + 256
}

func init() { budget.LeastRun = LeastFootprint }

// LeastFootprint is the least a run of steps steps on images of d
// numbers holds: the vectors of any method but a particle one, and the
// least its trajectory keeps (two steps and the latest row).
func LeastFootprint(d, steps int) int64 {
	return RunVectors*8*int64(max(d, 1)) + TrajectoryBytes(d, steps, stateBound(d, 0), 1)
}

// hasParticles reports whether m keeps a population of particles.
func hasParticles(m *method.Method) bool {
	for _, p := range m.Params {
		if p.Name == "particles" {
			return true
		}
	}
	return false
}

// TrajectoryBytes is the most a trajectory of steps steps of d numbers,
// with keyframes of stateBytes of guide state, holds under keepBytes
// (Config.KeepBytes): every row when they fit (or keepBytes < 0), else the
// kept rows and their keyframes and the latest row (Trajectory's bound),
// and the records and checksums of every step.
func TrajectoryBytes(d, steps, stateBytes int, keepBytes int64) int64 {
	d64, s := int64(max(d, 1)), int64(max(steps, 1))
	k := keepEvery(steps, d, stateBytes, keepBytes)
	if k == 1 {
		return s*16*d64 + recordBytes(steps)
	}
	return int64(keptCount(steps, k))*(24*d64+int64(stateBytes)) + 16*d64 + recordBytes(steps)
}

// recordBytes is what a trajectory keeps of every step: its record and
// its checksum.
func recordBytes(steps int) int64 { return int64(max(steps, 1)) * (int64(unsafe.Sizeof(Record{})) + 8) }

// FitKeepBytes returns the KeepBytes under which a run of cfg on prob
// fits free bytes, at most DefaultKeepBytes (what cfg asks for, when it
// asks for less); ok is false when even the least a trajectory keeps
// does not fit.
func FitKeepBytes(prob *Problem, cfg Config, free int64) (keep int64, ok bool) {
	want := cfg.KeepBytes
	if want == 0 {
		want = DefaultKeepBytes
	}
	vectors, state, err := runBytes(prob, cfg)
	d, steps := prob.Shape().Len(), cfg.Steps
	if err != nil || vectors+TrajectoryBytes(d, steps, state, 1) > free {
		return 0, false
	}
	if want < 0 {
		return want, true
	}
	// The rows and keyframes take at most KeepBytes (keepEvery); the
	// vectors and every step's record take the rest.
	return max(1, min(want, free-vectors-recordBytes(steps))), true
}
