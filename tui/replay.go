package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"tweedie/core/run"
)

// Steps a run did not keep.
//
// A run of a large image keeps the vectors of every k-th step only (see
// run.Trajectory); the explorer shows the latest step from the copy its
// run sends (slot.live), and recomputes any other step it is asked to show
// with run.Replay: the run made again from the keyframe before the step
// (from x_T while the run is going), on the run's share of the pool,
// checked step by step against the run's checksums. It keeps one
// window of recomputed steps around the step asked for, at most
// replayBytes, so that stepping through them costs one replay.

// replayBytes bounds the vectors of a slot's window of recomputed steps.
const replayBytes = 32 << 20

// replayState is a slot's window of recomputed steps.
type replayState struct {
	from    int // rows[j] is step from+j
	rows    []run.Rows
	pending int // the step being recomputed + 1, or 0
	cancel  context.CancelFunc
	// err is why step errAt could not be recomputed.
	err   error
	errAt int
}

// replayMsg brings a window of recomputed steps, or why not.
type replayMsg struct {
	ID     int
	Method string
	At     int // the step asked for
	From   int
	Rows   []run.Rows
	Err    error
}

// rowsAt returns the vectors of step i of the slot, or what to show
// instead: "" while they are on their way, an error's text when they
// cannot be had.
func (s *slot) rowsAt(i int) (xt, x0, upd []float32, ok bool, why string) {
	sd := s.steps[i]
	switch r := &s.replay; {
	case sd.Xt != nil:
		return sd.Xt, sd.X0Hat, sd.Upd, true, ""
	case s.live != nil && s.live.Index == i:
		return s.live.Xt, s.live.X0Hat, s.live.Upd, true, ""
	case i >= r.from && i < r.from+len(r.rows):
		rw := r.rows[i-r.from]
		return rw.Xt, rw.X0Hat, rw.Update, true, ""
	case r.err != nil && r.errAt == i:
		return nil, nil, nil, false, r.err.Error()
	}
	return nil, nil, nil, false, ""
}

// replayWindow is the window of steps to recompute for step i: within the
// gap between kept steps around i, at most replayBytes of vectors.
func (s *slot) replayWindow(i int) (from, to int) {
	d := s.prob.Shape().Len()
	w := max(1, replayBytes/(16*d))
	from, to = i, i
	for from > 0 && i-from+1 < (w+1)/2 && s.steps[from-1].Xt == nil {
		from--
	}
	for to+1 < len(s.steps) && to-from+1 < w && s.steps[to+1].Xt == nil {
		to++
	}
	return from, to
}

// ensureRows starts recomputing the step each shown run shows when its
// vectors are not at hand.
func (m *Model) ensureRows() tea.Cmd {
	var cmds []tea.Cmd
	for _, meth := range m.shownMethods() {
		s := m.runs.get(meth.Name)
		if s == nil || len(s.steps) == 0 {
			continue
		}
		i := m.shownStep(s)
		if _, _, _, ok, why := s.rowsAt(i); ok || why != "" || s.replay.pending == i+1 {
			continue
		}
		cmds = append(cmds, m.runs.startReplay(meth.Name, s, i))
	}
	return tea.Batch(cmds...)
}

// startReplay recomputes a window of steps around step i of a slot's run,
// cancelling a replay in flight.
func (rs *runSet) startReplay(name string, s *slot, i int) tea.Cmd {
	if s.replay.cancel != nil {
		s.replay.cancel()
	}
	ctx, cancel := context.WithCancel(rs.work.Context())
	s.replay.pending, s.replay.cancel = i+1, cancel
	from, to := s.replayWindow(i)
	sums := make([]uint64, 0, to-from+1)
	for j := from; j <= to; j++ {
		sums = append(sums, s.steps[j].Sum)
	}
	pool, share, id, prob, set, orig := rs.pool, rs.share, s.id, s.prob, s.set, s.traj
	return rs.work.Cmd(func() tea.Msg {
		if pool.acquire(ctx, share) != nil {
			return nil
		}
		defer pool.release(share)
		cfg, err := runConfig(set)
		var rows []run.Rows
		if err == nil {
			rows, err = run.Replay(ctx, prob, cfg, orig, from, to, sums)
		}
		if ctx.Err() != nil {
			return nil
		}
		return replayMsg{ID: id, Method: name, At: i, From: from, Rows: rows, Err: err}
	})
}

// handleReplay takes a window of recomputed steps into its slot.
func (rs *runSet) handleReplay(msg replayMsg) {
	s := rs.current(msg.Method, msg.ID)
	if s == nil || s.replay.pending != msg.At+1 {
		return
	}
	s.replay.pending, s.replay.cancel = 0, nil
	if msg.Err != nil {
		s.replay.err, s.replay.errAt = msg.Err, msg.At
		return
	}
	s.replay.from, s.replay.rows, s.replay.err = msg.From, msg.Rows, nil
}
