package run

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

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

// Trajectory keeps every step of a run: the scalars of each step
// (Records), and the vectors x_t, x̂0, g and update of the steps it keeps,
// in float32 — a row of 16·d bytes a step (d = H·W·C).
//
// Memory bound. The rows and keyframes take at most
// max(KeepBytes, 64·d + 2·S) bytes (Config.KeepBytes, default
// DefaultKeepBytes = 256 MiB; 64·d + 2·S is two kept steps and the latest
// row, the least a run keeps; Bytes reports the store's figure, with the
// checksums and records, 8 and 112 bytes a step). A run whose rows all
// fit keeps every step: MNIST 28×28 takes 12.5 KB a step, 12.5 MB for
// 1000 steps, and 64×64×3 197 MB. A larger run keeps every k-th step (0,
// k, 2k, …) and its last, each with a keyframe of the runner's state at
// its start (x_t in float64, 8·d bytes, and the guide's state, S bytes
// for a method.Stateful guide: StateBytes), with the smallest k that fits
// the bound counting one more row for the latest step (which every run
// holds, kept or not, until the next): at 256×256×3, 3.1 MB a row and
// 1.6 MB a keyframe, 1000 steps of a guide without state keep 54 steps
// (k = 19) and take 258 MB instead of 3.1 GB. A step not kept is
// recomputed by Replay, which makes the run again from the keyframe
// before it — the same seed gives the same steps bit for bit — and checks
// every recomputed row against the checksum (Sum) kept for each step, so
// what is shown is what the run computed or an error.
//
// Rows are allocated as steps arrive, in chunks of about 1 MiB, and are
// never written again once their step is done: a reader may keep the
// slices Rows returns (the explorer shares them instead of copying).
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

	// every is k: steps i with i%k == 0, and the last, are kept (k = 0:
	// none, for Replay).
	every int
	// rows[i] is step i's row when kept; chunk is the free part of the
	// current chunk.
	rows  [][]float32
	chunk []float32
	// latest is the row of the latest step when it is not kept.
	latest []float32
	sums   []uint64
	// keys[i] is the runner's state at the start of kept step i, when not
	// every step is kept: where Replay resumes.
	keys  []*keyframe
	bytes int64
}

// keyframe is a Runner's state at the start of a step: x_t in float64, the
// noise source's position, the evaluation counts and the guide's state
// (method.Stateful; nil for a guide without). The run resumes from it bit
// for bit.
type keyframe struct {
	step        int
	xt          []float64
	noise       []byte
	evals, vjps int
	guide       []byte
}

// DefaultKeepBytes is the bound on a trajectory's rows when
// Config.KeepBytes is 0.
const DefaultKeepBytes = 256 << 20

// chunkBytes is the size of the chunks rows are allocated in.
const chunkBytes = 1 << 20

// Rows are the vectors of one step in float32, each of length d.
type Rows struct{ Xt, X0Hat, ScoreY, Update []float32 }

// newTrajectory makes the store of a run over grid whose guide's state
// takes stateBytes (0 without).
func newTrajectory(shape img.Shape, grid []int, keepBytes int64, stateBytes int, replay bool) *Trajectory {
	every := 0
	if !replay {
		every = keepEvery(len(grid), shape.Len(), stateBytes, keepBytes)
	}
	tr := &Trajectory{
		Shape: shape, Grid: grid, Records: make([]Record, len(grid)), DivergedAt: -1,
		every: every,
		rows:  make([][]float32, len(grid)), sums: make([]uint64, len(grid)),
	}
	if every > 1 {
		tr.keys = make([]*keyframe, len(grid))
	}
	return tr
}

// keepEvery returns the k of the trajectory of steps steps of d pixels
// under the bound keepBytes: 1 when every row fits (or keepBytes < 0: no
// bound), else the smallest k whose kept steps (every k-th and the last,
// each a row of 16·d bytes and a keyframe of 8·d + stateBytes) and the
// latest row fit, at most steps.
func keepEvery(steps, d, stateBytes int, keepBytes int64) int {
	switch {
	case keepBytes < 0:
		return 1
	case keepBytes == 0:
		keepBytes = DefaultKeepBytes
	}
	d64 := int64(max(d, 1))
	if int64(steps)*16*d64 <= keepBytes {
		return 1
	}
	kept := 24*d64 + int64(stateBytes) // a row and a keyframe
	for k := 2; k < steps; k++ {
		if int64(keptCount(steps, k))*kept+16*d64 <= keepBytes {
			return k
		}
	}
	return max(steps, 1)
}

// keptCount is the number of steps kept at stride k: 0, k, 2k, … and the last.
func keptCount(steps, k int) int {
	n := (steps + k - 1) / k
	if (steps-1)%k != 0 {
		n++
	}
	return n
}

// Steps returns the number of steps the run was planned for.
func (tr *Trajectory) Steps() int { return len(tr.Grid) }

// Complete reports whether every step is done.
func (tr *Trajectory) Complete() bool { return tr.Final != nil }

// Kept reports whether step i's rows are kept (whether or not it is done).
func (tr *Trajectory) Kept(i int) bool {
	return tr.every > 0 && i >= 0 && i < len(tr.Grid) && (i%tr.every == 0 || i == len(tr.Grid)-1)
}

// KeptAll reports whether every step is kept.
func (tr *Trajectory) KeptAll() bool { return tr.every == 1 }

// Bytes is the memory the store holds for rows: chunks allocated so far,
// the latest row, and the checksums and records.
func (tr *Trajectory) Bytes() int64 {
	return tr.bytes + int64(len(tr.sums))*8 + int64(len(tr.Records))*int64(unsafe.Sizeof(Record{}))
}

// next returns the row step i is recorded in: a kept row, allocated from
// the current chunk, or the latest row.
func (tr *Trajectory) next(i int) []float32 {
	n := 4 * tr.Shape.Len()
	if !tr.Kept(i) {
		if tr.latest == nil {
			tr.latest = make([]float32, n)
			tr.bytes += int64(4 * n)
		}
		return tr.latest
	}
	if len(tr.chunk) < n {
		left := 0 // kept steps from i on
		for j := i; j < len(tr.Grid); j++ {
			if tr.Kept(j) {
				left++
			}
		}
		per := max(1, min(chunkBytes/(4*n), left))
		tr.chunk = make([]float32, per*n)
		tr.bytes += int64(4 * per * n)
	}
	row := tr.chunk[:n:n]
	tr.chunk = tr.chunk[n:]
	tr.rows[i] = row
	return row
}

func (tr *Trajectory) split(row []float32) Rows {
	d := tr.Shape.Len()
	return Rows{Xt: row[:d:d], X0Hat: row[d : 2*d : 2*d], ScoreY: row[2*d : 3*d : 3*d], Update: row[3*d:]}
}

// saveKey records the runner's state at the start of kept step i: x_t,
// the noise source's state, the counts and the guide's state (nil for a
// guide without).
func (tr *Trajectory) saveKey(i int, xt []float64, noise []byte, n nfe, guide []byte) {
	if tr.keys == nil || !tr.Kept(i) {
		return
	}
	tr.keys[i] = &keyframe{step: i, xt: slices.Clone(xt), noise: noise, evals: n.evals, vjps: n.vjps, guide: guide}
	tr.bytes += int64(8*len(xt) + len(noise) + len(guide))
}

// keyBefore returns the latest keyframe at or before step i, or nil.
func (tr *Trajectory) keyBefore(i int) *keyframe {
	if tr == nil || tr.keys == nil {
		return nil
	}
	for j := min(i, len(tr.keys)-1); j >= 0; j-- {
		if tr.keys[j] != nil {
			return tr.keys[j]
		}
	}
	return nil
}

// Rows returns the rows of step i when they are kept, shared with the
// store: read them, never write them.
func (tr *Trajectory) Rows(i int) (Rows, bool) {
	if i < 0 || i >= tr.Done || tr.rows[i] == nil {
		return Rows{}, false
	}
	return tr.split(tr.rows[i]), true
}

// Latest returns the rows of the latest step done, kept or not. A row not
// kept is overwritten by the next step: copy what must outlive it.
func (tr *Trajectory) Latest() (Rows, bool) {
	if tr.Done == 0 {
		return Rows{}, false
	}
	if r, ok := tr.Rows(tr.Done - 1); ok {
		return r, true
	}
	return tr.split(tr.latest), true
}

// Sum is the checksum of step i's rows (FNV-1a steps over the float32 bits
// of x_t, x̂0, g and update), kept for every step done.
func (tr *Trajectory) Sum(i int) uint64 { return tr.sums[i] }

// Sum returns the checksum of the rows, as Trajectory.Sum: FNV-1a steps,
// h = (h ^ bits)·prime, in four interleaved lanes (element j of a row in
// lane j mod 4, so the multiplications of the lanes overlap), the lanes
// then folded into one by the same step. Checksums are compared within a
// process (Replay), never stored.
func (r Rows) Sum() uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := [4]uint64{offset, offset + 1, offset + 2, offset + 3}
	for _, v := range [4][]float32{r.Xt, r.X0Hat, r.ScoreY, r.Update} {
		j := 0
		for ; j+4 <= len(v); j += 4 {
			h[0] = (h[0] ^ uint64(math.Float32bits(v[j]))) * prime
			h[1] = (h[1] ^ uint64(math.Float32bits(v[j+1]))) * prime
			h[2] = (h[2] ^ uint64(math.Float32bits(v[j+2]))) * prime
			h[3] = (h[3] ^ uint64(math.Float32bits(v[j+3]))) * prime
		}
		for ; j < len(v); j++ {
			h[0] = (h[0] ^ uint64(math.Float32bits(v[j]))) * prime
		}
	}
	return (((h[0]^h[1])*prime^h[2])*prime ^ h[3]) * prime
}

func (tr *Trajectory) row(i int) Rows {
	if i == tr.Done-1 {
		r, _ := tr.Latest()
		return r
	}
	r, ok := tr.Rows(i)
	if !ok {
		panic(fmt.Sprintf("run: step %d not kept (%d done; every %d-th kept): use Replay", i, tr.Done, tr.every))
	}
	return r
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
// Step i must be kept or the latest.
func (tr *Trajectory) Xt(dst []float64, i int) []float64 { return widen(dst, tr.row(i).Xt) }

// X0Hat writes the Tweedie estimate x̂0 = E[x0|x_t] of step i into dst.
func (tr *Trajectory) X0Hat(dst []float64, i int) []float64 { return widen(dst, tr.row(i).X0Hat) }

// ScoreY writes the method's estimate of ∇log p(y|x_t) at step i into dst.
func (tr *Trajectory) ScoreY(dst []float64, i int) []float64 { return widen(dst, tr.row(i).ScoreY) }

// Update writes what guidance changed in x_s at step i into dst.
func (tr *Trajectory) Update(dst []float64, i int) []float64 { return widen(dst, tr.row(i).Update) }
