package tui

import (
	"context"
	"errors"
	"math"
	"time"

	tea "charm.land/bubbletea/v2"

	"tweedie/core/denoiser"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// How runs are scheduled.
//
// Each method's run is a slot in a runSet, keyed by the method's name. A
// run is a goroutine that owns its Runner, waits for a share of the Pool,
// and sends copies of its finished steps as messages stamped with the
// run's id; cancelling a slot cancels its context, so a superseded run
// stops at its next step and its late messages are dropped. Runs are made
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
	// updMax[i] is max|Δ| of steps[i], filled as the steps are drawn.
	updMax []float64
}

// updMaxTo is the largest max|Δ| over steps[:n] of the slot.
func (s *slot) updMaxTo(n int) float64 {
	for len(s.updMax) < min(n, len(s.steps)) {
		s.updMax = append(s.updMax, maxAbs32(s.steps[len(s.updMax)].Upd))
	}
	mx := 0.0
	for _, v := range s.updMax[:min(n, len(s.updMax))] {
		mx = math.Max(mx, v)
	}
	return mx
}

// runSet is an explorer's runs, one per method.
type runSet struct {
	pool   *Pool
	share  chan struct{}
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

func newRunSet(pool *Pool) runSet {
	return runSet{pool: pool, share: make(chan struct{}, pool.share), slots: map[string]*slot{}}
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
		ctx, cancel := context.WithCancel(context.Background())
		sl := &slot{id: rs.id(), cancel: cancel, ch: make(chan tea.Msg, 1), total: max(s.Steps, 1)}
		rs.slots[n] = sl
		s.Method = n
		cmds = append(cmds, rs.startRun(ctx, sl.id, n, prob, s, sl.ch))
	}
	return tea.Batch(cmds...)
}

// stepData is one recorded step, copied out of the Runner's Trajectory on
// the worker goroutine so that the model never shares memory with a
// running Runner.
type stepData struct {
	Rec            run.Record
	Xt, X0Hat, Upd []float32
	// Part is a particle method's population at the step (particles.go), else nil.
	Part *particleStep
}

// runStepsMsg carries the steps a run has made since its last message.
// Lazy says the steps' comparison with the exact guidance is not filled
// yet: runExactMsg brings it after the run ended.
type runStepsMsg struct {
	ID       int
	Method   string
	Steps    []stepData
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
		s.done, s.err = true, msg.Err
		// The exact comparison of a lazy run follows on the same channel.
		return waitRun(s.ch), true
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
func (rs *runSet) startRun(ctx context.Context, id int, name string, prob *run.Problem, s run.Settings, ch chan tea.Msg) tea.Cmd {
	pool, share := rs.pool, rs.share
	go func() {
		defer close(ch)
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
		cfg, err := s.Config()
		var r *run.Runner
		if err == nil {
			cfg.NoExact = true // a method that needs it gets it all the same
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
		var batch []stepData
		sent := 0
		last := time.Now()
		collect := func(done int) {
			tr := r.Trajectory() // same goroutine as the Runner: safe
			for i := sent; i < done; i++ {
				batch = append(batch, snapshot(tr, i))
			}
			sent = done
		}
		_, err = r.Run(ctx, func(done int) {
			collect(done)
			if time.Since(last) < batchEvery {
				return
			}
			select { // never block the computation on a busy UI
			case ch <- runStepsMsg{ID: id, Method: name, Steps: batch, Lazy: lazy, ExactErr: exactErr}:
				batch, last = nil, time.Now()
			default:
			}
		})
		if ctx.Err() != nil {
			return // stale: nobody listens
		}
		collect(r.Trajectory().Done) // a diverged step is recorded too
		if len(batch) > 0 && !send(runStepsMsg{ID: id, Method: name, Steps: batch, Lazy: lazy, ExactErr: exactErr}) {
			return
		}
		if !send(runDoneMsg{ID: id, Method: name, Err: err}) || !lazy {
			return
		}
		compareExact(ctx, id, name, r, send)
	}()
	return waitRun(ch)
}

// exactBatch is the most steps compared before their records are offered
// to the model; they are sent at least every batchEvery.
const exactBatch = 50

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

func snapshot(tr *run.Trajectory, i int) stepData {
	d := tr.Shape.Len()
	buf := make([]float64, d)
	f := func(src []float64) []float32 {
		out := make([]float32, d)
		for j, v := range src {
			out[j] = float32(v)
		}
		return out
	}
	return stepData{
		Rec:   tr.Records[i],
		Xt:    f(tr.Xt(buf, i)),
		X0Hat: f(tr.X0Hat(buf, i)),
		Upd:   f(tr.Update(buf, i)),
		Part:  particleSnapshot(tr, i),
	}
}

// startPosterior computes the exact posterior mean and per-pixel standard
// deviation of the problem in the background, when it has one.
func (rs *runSet) startPosterior(prob *run.Problem) tea.Cmd {
	if rs.post.cancel != nil {
		rs.post.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	id := rs.id()
	rs.post = posterior{id: id, cancel: cancel, pending: true}
	if prob == nil || !prob.HasExact() {
		rs.post.pending, rs.post.err = false, errNoExact
		return nil
	}
	pool, share := rs.pool, rs.share
	ep := prob.Prior.(denoiser.ExactPrior) // HasExact says so
	return func() tea.Msg {
		if pool.acquire(ctx, share) != nil {
			return nil
		}
		defer pool.release(share)
		mean, std, err := ep.PosteriorMoments(prob.Op.Clone().(operator.Linear), prob.Y, prob.Sigma)
		if ctx.Err() != nil {
			return nil
		}
		return posteriorMsg{ID: id, Mean: mean, Std: std, Err: err}
	}
}

// errNoExact: the exact posterior needs an exact prior, a linear operator
// and σ > 0.
var errNoExact = errors.New("n/a")
