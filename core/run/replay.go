package run

import (
	"context"
	"fmt"

	"tweedie/core/method"
)

// ReplayError says a recomputed step differs from the run's: the denoiser
// did not give the same numbers twice (a model batched differently, say),
// so the step cannot be shown as the run's.
type ReplayError struct{ Step int }

func (e *ReplayError) Error() string {
	return fmt.Sprintf("step %d recomputed differs from the run's (its checksum): the denoiser is not deterministic", e.Step+1)
}

// Replay recomputes the rows of steps from…to (0-based, inclusive) of the
// run that prob and cfg describe, for a trajectory that did not keep them:
// it makes the run again, keeping no row but the latest, from the keyframe
// of orig (the run's trajectory, or nil) at or before from — or from x_T
// when there is none or the method's guide is method.Stateful — and
// returns copies of the rows asked for, 16·d bytes each. sums, when not
// nil, holds the run's checksums of those steps (Trajectory.Sum), sums[j]
// for step from+j; a recomputed row whose checksum differs is a
// *ReplayError, so that what Replay returns is bit for bit what the run
// computed. orig is only read; it must not change meanwhile (a finished
// run's).
func Replay(ctx context.Context, prob *Problem, cfg Config, orig *Trajectory, from, to int, sums []uint64) ([]Rows, error) {
	cfg.replay = true
	r, err := New(prob, cfg)
	if err != nil {
		return nil, err
	}
	tr := r.traj
	if from < 0 || to < from || to >= len(tr.Grid) {
		return nil, fmt.Errorf("replay: steps %d…%d of %d", from, to, len(tr.Grid))
	}
	if _, stateful := r.guide.(method.Stateful); !stateful {
		if k := orig.keyBefore(from); k != nil && len(k.xt) == len(r.xt) {
			copy(r.xt, k.xt)
			if err := r.noise.Restore(k.noise); err != nil {
				return nil, fmt.Errorf("replay: %w", err)
			}
			r.nfe.evals, r.nfe.vjps = k.evals, k.vjps
			tr.Done = k.step
		}
	}
	if sums != nil && len(sums) != to-from+1 {
		return nil, fmt.Errorf("replay: %d checksums for %d steps", len(sums), to-from+1)
	}
	d := tr.Shape.Len()
	buf := make([]float32, (to-from+1)*4*d)
	out := make([]Rows, 0, to-from+1)
	for tr.Done <= to {
		err := r.Step(ctx)
		if i := tr.Done - 1; i >= from && tr.Done > len(out)+from {
			row := buf[(i-from)*4*d : (i-from+1)*4*d]
			copy(row, tr.latest) // a replay keeps only the latest row
			got := tr.split(row)
			if sums != nil && got.Sum() != sums[i-from] {
				return nil, &ReplayError{Step: i}
			}
			out = append(out, got)
		}
		if err != nil {
			if tr.Done > to {
				break // diverged at the last step asked for: it is recorded
			}
			return nil, fmt.Errorf("replay: %w", err)
		}
	}
	return out, nil
}
