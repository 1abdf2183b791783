package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/guidance"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// stepData is one recorded step, copied out of the Runner's Trajectory on
// the worker goroutine so that the model never shares memory with a
// running Runner.
type stepData struct {
	Rec            run.Record
	Xt, X0Hat, Upd []float32
}

// runStepsMsg carries the steps a run has made since its last message.
// Lazy says the steps' comparison with the exact guidance (CosExact,
// NormRatio, ExactNorm) is not filled yet: runExactMsg brings it after the
// run ended.
type runStepsMsg struct {
	ID     int
	Method guidance.Method
	Steps  []stepData
	Lazy   bool
}

// runExactMsg carries records of a finished run with their comparison with
// the exact guidance filled in; Done is how many steps have it so far.
type runExactMsg struct {
	ID     int
	Method guidance.Method
	Recs   []run.Record
	Done   int
}

// runDoneMsg says a run ended: completed (Err nil), diverged
// (*run.DivergedError) or could not start.
type runDoneMsg struct {
	ID     int
	Method guidance.Method
	Err    error
}

// posteriorMsg carries the exact posterior of a problem, or why there is none.
type posteriorMsg struct {
	ID        int
	Mean, Std []float64
	Err       error
}

// batchEvery is how often a worker hands finished steps to the model.
const batchEvery = 40 * time.Millisecond

// startRun returns a Cmd that starts a run on its own goroutine and
// delivers its first message; waitRun delivers the following ones. The
// worker owns its Runner and Problem; it sends only copies.
//
// The exact guidance costs about twice a step of DPS on MNIST, so a run
// other than the oracle's is made without it (run.Config.NoExact): its steps
// stream as fast as the sampler goes, and once the run ended (runDoneMsg)
// the same goroutine fills in every step's comparison with the exact
// guidance (Runner.CompareExact) and sends it in batches (runExactMsg).
func startRun(ctx context.Context, id int, s run.Settings, prior denoiser.Factory, truth []float64, ch chan tea.Msg) tea.Cmd {
	method := s.Guidance.Method
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
		prob, cfg, err := s.Build(prior, truth)
		var r *run.Runner
		if err == nil {
			cfg.NoExact = true // the oracle ignores it
			r, err = run.New(prob, cfg)
		}
		if err != nil {
			send(runDoneMsg{ID: id, Method: method, Err: err})
			return
		}
		lazy := r.HasExact() && method != guidance.Oracle
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
			case ch <- runStepsMsg{ID: id, Method: method, Steps: batch, Lazy: lazy}:
				batch, last = nil, time.Now()
			default:
			}
		})
		if ctx.Err() != nil {
			return // stale: nobody listens
		}
		collect(r.Trajectory().Done) // a diverged step is recorded too
		if len(batch) > 0 && !send(runStepsMsg{ID: id, Method: method, Steps: batch, Lazy: lazy}) {
			return
		}
		if !send(runDoneMsg{ID: id, Method: method, Err: err}) || !lazy {
			return
		}
		compareExact(ctx, id, method, r, send)
	}()
	return waitRun(ch)
}

// exactBatch is the most steps compared before their records are offered
// to the model; they are sent at least every batchEvery.
const exactBatch = 50

// compareExact fills in the comparison with the exact guidance of every
// recorded step of a finished run and sends the records in batches. It
// runs on the run's goroutine, which owns r.
func compareExact(ctx context.Context, id int, method guidance.Method, r *run.Runner, send func(tea.Msg) bool) {
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
		if !send(runExactMsg{ID: id, Method: method, Recs: recs, Done: i + 1}) {
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
	}
}

// exactPosterior returns a Cmd computing the exact posterior mean and
// per-pixel standard deviation, when the prior is an exact mixture and the
// operator linear with σ > 0.
func exactPosterior(id int, s run.Settings, prior denoiser.Factory, truth []float64) tea.Cmd {
	return func() tea.Msg {
		mix, ok := prior.(*gmm.Mixture)
		if !ok {
			return posteriorMsg{ID: id, Err: errNoExact}
		}
		prob, _, err := s.Build(prior, truth)
		if err != nil {
			return posteriorMsg{ID: id, Err: err}
		}
		lin, ok := prob.Op.(operator.Linear)
		if !ok || !prob.Op.Linear() || prob.Sigma <= 0 {
			return posteriorMsg{ID: id, Err: errNoExact}
		}
		// The full posterior: the std panel needs its per-pixel Std.
		post, err := mix.Posterior(lin, prob.Y, prob.Sigma)
		if err != nil {
			return posteriorMsg{ID: id, Err: err}
		}
		return posteriorMsg{ID: id, Mean: post.Mean, Std: post.Std}
	}
}

// errNoExact: the exact posterior needs an exact prior, a linear operator
// and σ > 0.
var errNoExact = errorString("n/a")

type errorString string

func (e errorString) Error() string { return string(e) }
