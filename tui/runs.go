package tui

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"tweedie/core/budget"
	"tweedie/core/denoiser"
	"tweedie/core/operator"
	"tweedie/core/run"
	"tweedie/tui/internal/work"
)

// How runs are scheduled.
//
// Each method's run is a slot in a runSet, keyed by the method's name. A
// run is a goroutine that owns its Runner, waits for a share of the Pool,
// and sends copies of its finished steps as messages stamped with the
// run's id; cancelling a slot cancels its context, so a superseded run
// stops at its next step and its late messages are dropped. Every run,
// comparison, replay and exact posterior is a task of the explorer's
// work.Group, its context derived from the group's: when the explorer
// ends, they all stop, and the explorer knows when they have. Runs are made
// without the exact guidance (it would triple their cost on MNIST): once a
// run ended, its goroutine compares each step with the exact guidance and
// sends the figures after it.

// Pool bounds the runs computing at once: across every explorer that shares
// it (the sessions of a server), and per explorer (its share), so that no
// session can take every core.
type Pool struct {
	slots chan struct{}
	share int
}

// NewPool returns a pool of n concurrent runs of which one explorer may
// hold share at a time (both at least 1).
func NewPool(n, share int) *Pool {
	return &Pool{slots: make(chan struct{}, max(n, 1)), share: max(min(share, n), 1)}
}

// acquire waits for a slot of the pool and of the explorer's share, or
// returns ctx's error.
func (p *Pool) acquire(ctx context.Context, share chan struct{}) error {
	select {
	case share <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		<-share
		return ctx.Err()
	}
}

// tryAcquire takes a slot of the pool and of the explorer's share if both
// are free now, and reports whether it did.
func (p *Pool) tryAcquire(share chan struct{}) bool {
	select {
	case share <- struct{}{}:
	default:
		return false
	}
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		<-share
		return false
	}
}

func (p *Pool) release(share chan struct{}) {
	<-p.slots
	<-share
}

// gate is the pool as a lab's Gate, with the explorer's share.
func (p *Pool) gate(share chan struct{}) func(context.Context) (func(), error) {
	return func(ctx context.Context) (func(), error) {
		if err := p.acquire(ctx, share); err != nil {
			return nil, err
		}
		return func() { p.release(share) }, nil
	}
}

// slot is the run of one method under the current settings.
type slot struct {
	id     int
	cancel context.CancelFunc
	ch     chan tea.Msg
	total  int
	steps  []stepData
	done   bool
	err    error
	// lazy: the steps' comparison with the exact guidance comes after the
	// run (runExactMsg); exact steps have it so far.
	lazy  bool
	exact int
	// exactErr says why a problem with an exact posterior got no exact
	// comparison.
	exactErr error
	// prob and set are the run's, for recomputing steps not kept, and
	// traj its trajectory once it ended (Replay resumes at its keyframes).
	prob *run.Problem
	set  run.Settings
	traj *run.Trajectory
	// live holds the vectors of the latest step when the run's trajectory
	// does not keep it; replay the steps recomputed (see replay.go).
	live   *liveRows
	replay replayState
	// mem is the run's share of the memory budget (runFootprint), given
	// back when the slot is dropped; keep is its trajectory's bound.
	mem  *budget.Reservation
	keep int64
}

// updMaxTo is the largest max|Δ| over steps[:n] of the slot.
func (s *slot) updMaxTo(n int) float64 {
	mx := 0.0
	for _, sd := range s.steps[:min(n, len(s.steps))] {
		mx = math.Max(mx, sd.UpdMax)
	}
	return mx
}

// runSet is an explorer's runs, one per method.
type runSet struct {
	pool   *Pool
	share  chan struct{}
	work   *work.Group // the explorer's: every run is a task of it
	nextID int
	slots  map[string]*slot
	// post is the exact posterior of the problem shown.
	post posterior
}

// posterior is the exact posterior mean and std of the problem shown.
type posterior struct {
	id        int
	cancel    context.CancelFunc
	mean, std []float64
	err       error
	pending   bool
}

func newRunSet(pool *Pool, w *work.Group) runSet {
	return runSet{pool: pool, share: make(chan struct{}, pool.share), work: w, slots: map[string]*slot{}}
}

func (rs *runSet) id() int {
	rs.nextID++
	return rs.nextID
}

// get returns a method's slot, or nil.
func (rs *runSet) get(name string) *slot { return rs.slots[name] }

// cancel cancels and forgets the runs of the methods named.
func (rs *runSet) cancel(names ...string) {
	for _, n := range names {
		if s := rs.slots[n]; s != nil {
			s.cancel()
			if s.replay.cancel != nil {
				s.replay.cancel()
			}
			s.mem.Release()
			delete(rs.slots, n)
		}
	}
}

// cancelAll cancels every run and the posterior.
func (rs *runSet) cancelAll() {
	for n := range rs.slots {
		rs.cancel(n)
	}
	if rs.post.cancel != nil {
		rs.post.cancel()
	}
	rs.post = posterior{}
}

// ensure starts a run for each method named that has none, for the problem.
func (rs *runSet) ensure(prob *run.Problem, s run.Settings, names ...string) tea.Cmd {
	var cmds []tea.Cmd
	for _, n := range names {
		if rs.slots[n] != nil || prob == nil {
			continue
		}
		s.Method = n
		keep, footprint, err := runFootprint(prob, s)
		if err == nil {
			rs.trim(footprint, names)
		}
		ctx, cancel := context.WithCancel(rs.work.Context())
		sl := &slot{id: rs.id(), cancel: cancel, ch: make(chan tea.Msg, 1), total: max(s.Steps, 1), prob: prob, set: s, keep: keep}
		rs.slots[n] = sl
		if err == nil {
			sl.mem, err = budget.Process.Reserve("a run of "+n, footprint)
		}
		if sl.mem != nil {
			// Given back when the slot is dropped (cancel), or else when the
			// explorer is: a session that ended without cancelling its runs.
			runtime.AddCleanup(sl, func(r *budget.Reservation) { r.Release() }, sl.mem)
		}
		if err != nil { // the run does not fit: its notice says so
			sl.ch <- runDoneMsg{ID: sl.id, Method: n, Err: err}
			close(sl.ch)
			cmds = append(cmds, waitRun(sl.ch))
			continue
		}
		cmds = append(cmds, rs.startRun(ctx, sl.id, n, prob, s, keep, sl.ch))
	}
	return tea.Batch(cmds...)
}

// The explorer's memory. Each run holds its vectors and at most keepBytes
// of trajectory (see run.Footprint) and one window of recomputed steps
// (replayBytes), reserved against the process's memory budget
// (core/budget) before it starts; at a large image the trajectory's bound
// comes down to what the budget leaves. The runs of methods not shown stay
// (switching back shows them at once) while the runs together stay within
// keepBudget and the budget has room for the next: beyond that, the oldest
// of them are dropped. A run that does not fit even then is not started,
// and its notice says why. At 28×28 a 1000-step run takes 12.5 MB and
// every method's run stays; at 256×256×3 it takes 128 MiB + 32 MiB and its
// vectors, and an explorer holds at most the two or three it shows.
const keepBudget = 480 << 20

// runFootprint returns the trajectory's bound of a run of the problem
// with s, fitted to the budget, and the most the run then holds: its
// footprint and a window of recomputed steps.
func runFootprint(prob *run.Problem, s run.Settings) (keep, footprint int64, err error) {
	cfg, err := runConfig(s)
	if err != nil {
		return 0, 0, err
	}
	d := 16 * int64(prob.Shape().Len())
	window := max(d, min(d*int64(max(s.Steps, 1)), replayBytes))
	if k, ok := run.FitKeepBytes(prob, cfg, budget.Process.Free()-window); ok {
		cfg.KeepBytes = k
	}
	n, err := run.Footprint(prob, cfg)
	return cfg.KeepBytes, n + window, err
}

// trim drops the runs of methods not named, oldest first, until one more
// run of footprint bytes fits keepBudget and the memory budget.
func (rs *runSet) trim(footprint int64, keep []string) {
	for {
		total, oldest := footprint, ""
		for n, sl := range rs.slots {
			total += sl.mem.Bytes()
			if !slices.Contains(keep, n) && (oldest == "" || sl.id < rs.slots[oldest].id) {
				oldest = n
			}
		}
		if (total <= keepBudget && footprint <= budget.Process.Free()) || oldest == "" {
			return
		}
		rs.cancel(oldest)
	}
}

// stepData is one recorded step, taken out of the Runner's Trajectory on
// the run's goroutine. Its vectors are the trajectory's kept rows, shared:
// a kept row is never written again (run.Trajectory), so the model reads
// them without copying; they are nil for a step the trajectory did not
// keep (a large image), which the slot's live rows or a replay supply.
// Sum is the step's checksum and UpdMax its max|Δ|, for every step.
type stepData struct {
	Rec            run.Record
	Sum            uint64
	UpdMax         float64
	Xt, X0Hat, Upd []float32
	// Part is a particle method's population at the step (particles.go), else nil.
	Part *particleStep
}

// liveRows are copies of the vectors of the latest step of a run whose
// trajectory did not keep it.
type liveRows struct {
	Index          int
	Xt, X0Hat, Upd []float32
}

// runStepsMsg carries the steps a run has made since its last message.
// Lazy says the steps' comparison with the exact guidance is not filled
// yet: runExactMsg brings it after the run ended.
type runStepsMsg struct {
	ID       int
	Method   string
	Steps    []stepData
	Live     *liveRows
	Lazy     bool
	ExactErr error
}

// runExactMsg carries records of a finished run with their comparison with
// the exact guidance filled in; Done is how many steps have it so far.
type runExactMsg struct {
	ID     int
	Method string
	Recs   []run.Record
	Done   int
}

// runDoneMsg says a run ended: completed (Err nil), diverged
// (*run.DivergedError), failed or could not start.
type runDoneMsg struct {
	ID     int
	Method string
	Err    error
	// Traj is the run's trajectory, for Replay's keyframes; the run no
	// longer changes them.
	Traj *run.Trajectory
}

// posteriorMsg carries the exact posterior of a problem, or why there is none.
type posteriorMsg struct {
	ID        int
	Mean, Std []float64
	Err       error
}

// handle takes a run's message into its slot; ok is false for a message
// that is not a run's, and a stale message (its run was cancelled) is
// dropped. The Cmd waits for the run's next message.
func (rs *runSet) handle(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case runStepsMsg:
		s := rs.current(msg.Method, msg.ID)
		if s == nil {
			return nil, true
		}
		s.steps = append(s.steps, msg.Steps...)
		s.live = msg.Live // the previous copy goes
		s.lazy, s.exactErr = msg.Lazy, msg.ExactErr
		return waitRun(s.ch), true
	case runExactMsg:
		s := rs.current(msg.Method, msg.ID)
		if s == nil {
			return nil, true
		}
		for _, rec := range msg.Recs {
			if rec.Index >= 0 && rec.Index < len(s.steps) {
				s.steps[rec.Index].Rec = rec
			}
		}
		s.exact = msg.Done
		return waitRun(s.ch), true
	case runDoneMsg:
		s := rs.current(msg.Method, msg.ID)
		if s == nil {
			return nil, true
		}
		s.done, s.err, s.traj = true, msg.Err, msg.Traj
		// The exact comparison of a lazy run follows on the same channel.
		return waitRun(s.ch), true
	case replayMsg:
		rs.handleReplay(msg)
		return nil, true
	case posteriorMsg:
		if msg.ID == rs.post.id {
			rs.post.mean, rs.post.std, rs.post.err, rs.post.pending = msg.Mean, msg.Std, msg.Err, false
		}
		return nil, true
	}
	return nil, false
}

// current returns the slot of a run's message, or nil when it is stale.
func (rs *runSet) current(method string, id int) *slot {
	if s := rs.slots[method]; s != nil && s.id == id {
		return s
	}
	return nil
}

// batchEvery is how often a worker hands finished steps to the model.
const batchEvery = 40 * time.Millisecond

// startRun returns a Cmd that starts a run on its own goroutine and
// delivers its first message; waitRun delivers the following ones. The
// goroutine owns its Runner; it sends only copies.
func (rs *runSet) startRun(ctx context.Context, id int, name string, prob *run.Problem, s run.Settings, keep int64, ch chan tea.Msg) tea.Cmd {
	pool, share, w := rs.pool, rs.share, rs.work
	started := w.Go(func() {
		var cmp *comparer
		defer func() {
			cmp.wait() // it sends on ch too
			close(ch)
		}()
		send := func(msg tea.Msg) bool {
			select {
			case ch <- msg:
				return true
			case <-ctx.Done():
				return false
			}
		}
		// Wait for a share of the pool before allocating anything: a burst of
		// changes leaves only cancelled runs behind, which never start.
		if pool.acquire(ctx, share) != nil {
			return // cancelled while waiting: nobody listens
		}
		defer pool.release(share)
		cfg, err := runConfig(s)
		cfg.KeepBytes = keep // fitted to the memory budget (runFootprint)
		var r *run.Runner
		if err == nil {
			r, err = run.New(prob, cfg)
		}
		if err != nil {
			send(runDoneMsg{ID: id, Method: name, Err: err})
			return
		}
		lazy := r.HasExact() && !r.ComparedInline()
		var exactErr error
		if prob.HasExact() {
			exactErr = r.ExactErr()
		}
		if lazy {
			cmp = startComparer(ctx, w, r, id, name, pool, share, send)
		}
		var batch []stepData
		sent, queued := 0, 0
		last := time.Now()
		tr := r.Trajectory() // same goroutine as the Runner: safe
		collect := func(done int) {
			for i := sent; i < done; i++ {
				batch = append(batch, snapshot(tr, i))
			}
			sent = done
		}
		// delivered hands the steps the model has to the comparer.
		delivered := func() {
			for ; queued < sent; queued++ {
				cmp.add(r, queued)
			}
		}
		_, err = r.Run(ctx, func(done int) {
			collect(done)
			if time.Since(last) < batchEvery {
				return
			}
			select { // never block the computation on a busy UI
			case ch <- runStepsMsg{ID: id, Method: name, Steps: batch, Live: latestRows(tr), Lazy: lazy, ExactErr: exactErr}:
				batch, last = nil, time.Now()
				delivered()
			default:
			}
		})
		if ctx.Err() != nil {
			return // stale: nobody listens
		}
		collect(tr.Done) // a diverged step is recorded too
		if len(batch) > 0 && !send(runStepsMsg{ID: id, Method: name, Steps: batch, Live: latestRows(tr), Lazy: lazy, ExactErr: exactErr}) {
			return
		}
		delivered()
		if !send(runDoneMsg{ID: id, Method: name, Err: err, Traj: tr}) || !lazy {
			return
		}
		if cmp == nil { // no comparer of its own: compare now, on this goroutine
			compareExact(ctx, id, name, r, send)
		}
	})
	if !started { // the explorer has ended
		close(ch)
	}
	return waitRun(ch)
}

// exactBatch is the most steps compared before their records are offered
// to the model; they are sent at least every batchEvery.
const exactBatch = 50

// comparer compares a run's steps with the exact guidance on a goroutine of
// its own (with its own share of the pool) while the run goes on: on two
// cores the comparison then costs no time after the run. Steps reach it
// only once the model has them, so its records never come before their
// steps.
type comparer struct {
	queue chan queuedStep
	done  chan struct{}
}

type queuedStep struct {
	in   run.CompareInput
	kept bool
}

// startComparer starts the comparer of a run as a task of w, or returns
// nil when the run cannot have one now: when the pool has no slot free at
// once (a server's session with one core's share, say), the comparison is
// made after the run on the run's own slot, as it would wait for the run
// anyway.
func startComparer(ctx context.Context, w *work.Group, r *run.Runner, id int, name string, pool *Pool, share chan struct{}, send func(tea.Msg) bool) *comparer {
	c, err := r.NewComparison()
	if err != nil || c == nil || !pool.tryAcquire(share) {
		return nil
	}
	cm := &comparer{queue: make(chan queuedStep, r.Trajectory().Steps()), done: make(chan struct{})}
	started := w.Go(func() {
		defer close(cm.done)
		defer pool.release(share)
		var recs []run.Record
		n := 0
		last := time.Now()
		for q := range cm.queue {
			if ctx.Err() != nil {
				return
			}
			n++
			if q.kept {
				recs = append(recs, c.Compare(q.in))
			}
			if len(cm.queue) > 0 && len(recs) < exactBatch && time.Since(last) < batchEvery {
				continue
			}
			if !send(runExactMsg{ID: id, Method: name, Recs: recs, Done: n}) {
				return
			}
			recs, last = nil, time.Now()
		}
	})
	if !started { // the explorer has ended
		pool.release(share)
		return nil
	}
	return cm
}

// add queues step i of r; it never blocks (the queue holds every step).
// Call it on the Runner's goroutine, between steps.
func (cm *comparer) add(r *run.Runner, i int) {
	if cm == nil {
		return
	}
	in, kept := r.CompareInput(i)
	cm.queue <- queuedStep{in: in, kept: kept}
}

// wait ends the queue and waits for the comparer to finish (at once when
// its run was cancelled).
func (cm *comparer) wait() {
	if cm == nil {
		return
	}
	close(cm.queue)
	<-cm.done
}

// compareExact fills in the comparison with the exact guidance of every
// recorded step of a finished run and sends the records in batches. It
// runs on the run's goroutine, which owns r.
func compareExact(ctx context.Context, id int, name string, r *run.Runner, send func(tea.Msg) bool) {
	tr := r.Trajectory()
	n := tr.Done
	var recs []run.Record
	last := time.Now()
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return
		}
		r.CompareExact(i)
		recs = append(recs, tr.Records[i])
		if i+1 < n && len(recs) < exactBatch && time.Since(last) < batchEvery {
			continue
		}
		if !send(runExactMsg{ID: id, Method: name, Recs: recs, Done: i + 1}) {
			return
		}
		recs, last = nil, time.Now()
	}
}

// waitRun delivers the next message of a run, or nothing once it ended.
func waitRun(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// snapshot takes step i out of the trajectory, just after the step (it is
// the latest, so its update is there for max|Δ| whether kept or not).
func snapshot(tr *run.Trajectory, i int) stepData {
	sd := stepData{Rec: tr.Records[i], Sum: tr.Sum(i), Part: particleSnapshot(tr, i)}
	if i == tr.Done-1 {
		lat, _ := tr.Latest()
		sd.UpdMax = maxAbs32(lat.Update)
	}
	if rows, ok := tr.Rows(i); ok {
		sd.Xt, sd.X0Hat, sd.Upd = rows.Xt, rows.X0Hat, rows.Update
		sd.UpdMax = maxAbs32(rows.Update)
	}
	return sd
}

// latestRows copies the vectors of the trajectory's latest step when it
// does not keep them, else returns nil.
func latestRows(tr *run.Trajectory) *liveRows {
	i := tr.Done - 1
	if _, kept := tr.Rows(i); kept || i < 0 {
		return nil
	}
	lat, _ := tr.Latest()
	return &liveRows{Index: i, Xt: slices.Clone(lat.Xt), X0Hat: slices.Clone(lat.X0Hat), Upd: slices.Clone(lat.Update)}
}

// runConfig is the Config of the explorer's runs (and their replays):
// without the exact guidance, which a method that needs it gets all the
// same.
func runConfig(s run.Settings) (run.Config, error) {
	cfg, err := s.Config()
	cfg.NoExact, cfg.KeepBytes = true, keepBytes
	return cfg, err
}

// keepBytes bounds each run's trajectory (see the explorer's memory
// above); tests lower it to exercise the steps a run does not keep.
var keepBytes int64 = 128 << 20

// startPosterior computes the exact posterior mean and per-pixel standard
// deviation of the problem in the background, when it has one.
func (rs *runSet) startPosterior(prob *run.Problem) tea.Cmd {
	if rs.post.cancel != nil {
		rs.post.cancel()
	}
	ctx, cancel := context.WithCancel(rs.work.Context())
	id := rs.id()
	rs.post = posterior{id: id, cancel: cancel, pending: true}
	if prob == nil || !prob.HasExact() {
		rs.post.pending, rs.post.err = false, errNoExact
		return nil
	}
	pool, share := rs.pool, rs.share
	ep := prob.Prior.(denoiser.ExactPrior) // HasExact says so
	return rs.work.Cmd(func() tea.Msg {
		if pool.acquire(ctx, share) != nil {
			return nil
		}
		defer pool.release(share)
		mean, std, err := ep.PosteriorMoments(ctx, prob.Op.Clone().(operator.Linear), prob.Y, prob.Sigma)
		if ctx.Err() != nil {
			return nil
		}
		return posteriorMsg{ID: id, Mean: mean, Std: std, Err: err}
	})
}

// errNoExact: the exact posterior needs an exact prior, a linear operator
// and σ > 0.
var errNoExact = errors.New("n/a")
