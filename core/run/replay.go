package run

import (
	"context"
	"errors"
	"fmt"

	"tweedie/core/method"
)

// ReplayError says a recomputed step differs from the run's (its
// checksum), so it cannot be shown as the run's, and names the cause.
type ReplayError struct {
	Step int
	// Method is the label of the run's method.
	Method string
	// State: made again from x_T the step is the run's, and only resumed
	// from a keyframe it is not, so the method carries state from step to
	// step that the keyframe did not restore. Otherwise the same input
	// gave other numbers: the denoiser (or the method) is not
	// deterministic — a model batched differently, say.
	State bool
}

func (e *ReplayError) Error() string {
	if e.State {
		return fmt.Sprintf("%s keeps state between steps that its keyframes do not restore (its guide is not method.Stateful, or saves too little): step %d recomputed from its keyframe differs from the run's, from x_T it does not",
			e.Method, e.Step+1)
	}
	return fmt.Sprintf("the denoiser is not deterministic (a model batched differently, say): step %d recomputed differs from the run's (its checksum), the same input gave other numbers", e.Step+1)
}

// Replay recomputes the rows of steps from…to (0-based, inclusive) of the
// run that prob and cfg describe, for a trajectory that did not keep them:
// it makes the run again, keeping no row but the latest, from the keyframe
// of orig (the run's trajectory, or nil) at or before from — restoring the
// guide's state there when it is method.Stateful — or from x_T when there
// is none, and returns copies of the rows asked for, 16·d bytes each.
// sums, when not nil, holds the run's checksums of those steps
// (Trajectory.Sum), sums[j] for step from+j; a recomputed row whose
// checksum differs is a *ReplayError, so that what Replay returns is bit
// for bit what the run computed. When a replay from a keyframe differs,
// the step is made again from x_T to name the cause (ReplayError.State).
// orig is only read; it must not change meanwhile (a finished run's).
func Replay(ctx context.Context, prob *Problem, cfg Config, orig *Trajectory, from, to int, sums []uint64) ([]Rows, error) {
	if sums != nil && len(sums) != to-from+1 {
		return nil, fmt.Errorf("replay: %d checksums for %d steps", len(sums), to-from+1)
	}
	key := orig.keyBefore(from)
	rows, err := replay(ctx, prob, cfg, key, from, to, sums)
	var re *ReplayError
	if key == nil || key.step == 0 || !errors.As(err, &re) {
		return rows, err
	}
	j := re.Step - from
	switch _, again := replay(ctx, prob, cfg, nil, re.Step, re.Step, sums[j:j+1]); {
	case again == nil:
		re.State = true
	case !errors.As(again, new(*ReplayError)):
		return nil, again // cancelled, or the denoiser failed
	}
	return nil, re
}

// replay makes the run from the keyframe key (nil: from x_T) to step to
// and returns the rows of steps from…to, checked against sums.
func replay(ctx context.Context, prob *Problem, cfg Config, key *keyframe, from, to int, sums []uint64) ([]Rows, error) {
	cfg.replay = true
	r, err := New(prob, cfg)
	if err != nil {
		return nil, err
	}
	tr := r.traj
	if from < 0 || to < from || to >= len(tr.Grid) {
		return nil, fmt.Errorf("replay: steps %d…%d of %d", from, to, len(tr.Grid))
	}
	if err := r.resume(key); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
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
				return nil, &ReplayError{Step: i, Method: cfg.Method.Label}
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

// resume sets a new Runner's state to the keyframe's: x_t, the noise
// source, the counts and the guide's state. A keyframe that does not fit
// the runner (another size, or a guide's state where it has none or the
// other way round) is not used: the run starts from x_T.
func (r *Runner) resume(k *keyframe) error {
	sf, stateful := r.guide.(method.Stateful)
	if k == nil || len(k.xt) != len(r.xt) || stateful != (k.guide != nil) {
		return nil
	}
	if stateful {
		if err := sf.RestoreState(k.guide); err != nil {
			return err
		}
	}
	copy(r.xt, k.xt)
	if err := r.noise.Restore(k.noise); err != nil {
		return err
	}
	r.nfe.evals, r.nfe.vjps = k.evals, k.vjps
	r.traj.Done = k.step
	return nil
}
