package run

import (
	"fmt"

	"tweedie/core/img"
)

// Record holds the numbers of one step, from t to the next timestep.
type Record struct {
	// Index is the step's position, 0 for the first (t = T).
	Index int
	// T is the timestep t and AlphaBar its ᾱ_t.
	T        int
	AlphaBar float64
	// NFE and VJPs count the denoiser's evaluations and vector–Jacobian
	// products for this sample so far, this step included: the method's
	// cost in network evaluations.
	NFE, VJPs int
	// UpdateNorm is ‖update‖, the norm of what guidance changed in x_s.
	UpdateNorm float64
	// GNorm is ‖g‖, the method's estimate of ∇log p(y|x_t) (what it models
	// the likelihood score as, before the step's weights).
	GNorm float64
	// Residual is ‖y − A(x̂0)‖.
	Residual float64
	// PSNR of x̂0 against the ground truth, in dB.
	PSNR float64
	// Where the problem has the exact g* = ∇log p(y|x_t) (else NaN):
	// GExactNorm is ‖g*‖, GCos is cos∠(g, g*) and GRatio is ‖g‖/‖g*‖.
	GExactNorm, GCos, GRatio float64
	// UpdateExactNorm is ‖update*‖, what the exact guidance would change in
	// x_s from this x_t (the oracle's update), and UpdateRatio is
	// ‖update‖/‖update*‖: how much of the exact correction the method
	// applies. NaN without the exact guidance.
	UpdateExactNorm, UpdateRatio float64
}

// Trajectory keeps every step of a run: the scalars of each step and the
// vectors x_t, x̂0, g and update in float32 (4 vectors × d × 4 bytes a step:
// 12.5 KB at 28×28, so 12.5 MB for 1000 steps; 196.6 KB at 64×64×3, so
// 197 MB for 1000 steps).
type Trajectory struct {
	Shape img.Shape
	// Grid holds the timesteps, Grid[i] the t of step i.
	Grid []int
	// Records[:Done] are the steps done so far.
	Records []Record
	Done    int
	// Final is the sample x_0 once every step is done.
	Final []float64
	// DivergedAt is the index of the step that diverged, or −1.
	DivergedAt int
	// particles: a particle method's populations (particles.go).
	particles

	xt, x0Hat, scoreY, update []float32
}

func newTrajectory(shape img.Shape, grid []int) *Trajectory {
	n := len(grid) * shape.Len()
	buf := make([]float32, 4*n)
	return &Trajectory{
		Shape: shape, Grid: grid, Records: make([]Record, len(grid)), DivergedAt: -1,
		xt: buf[:n], x0Hat: buf[n : 2*n], scoreY: buf[2*n : 3*n], update: buf[3*n:],
	}
}

// Steps returns the number of steps the run was planned for.
func (tr *Trajectory) Steps() int { return len(tr.Grid) }

// Complete reports whether every step is done.
func (tr *Trajectory) Complete() bool { return tr.Final != nil }

func (tr *Trajectory) row(buf []float32, i int) []float32 {
	if i < 0 || i >= tr.Done {
		panic(fmt.Sprintf("run: step %d not recorded (%d done)", i, tr.Done))
	}
	d := tr.Shape.Len()
	return buf[i*d : (i+1)*d]
}

func widen(dst []float64, src []float32) []float64 {
	if dst == nil {
		dst = make([]float64, len(src))
	}
	for i, v := range src {
		dst[i] = float64(v)
	}
	return dst
}

func narrow(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// Xt writes x_t of step i into dst (allocated when nil) and returns it.
func (tr *Trajectory) Xt(dst []float64, i int) []float64 { return widen(dst, tr.row(tr.xt, i)) }

// X0Hat writes the Tweedie estimate x̂0 = E[x0|x_t] of step i into dst.
func (tr *Trajectory) X0Hat(dst []float64, i int) []float64 { return widen(dst, tr.row(tr.x0Hat, i)) }

// ScoreY writes the method's estimate of ∇log p(y|x_t) at step i into dst.
func (tr *Trajectory) ScoreY(dst []float64, i int) []float64 { return widen(dst, tr.row(tr.scoreY, i)) }

// Update writes what guidance changed in x_s at step i into dst.
func (tr *Trajectory) Update(dst []float64, i int) []float64 { return widen(dst, tr.row(tr.update, i)) }
