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
type runStepsMsg struct {
	ID     int
	Method guidance.Method
	Steps  []stepData
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
			r, err = run.New(prob, cfg)
		}
		if err != nil {
			send(runDoneMsg{ID: id, Method: method, Err: err})
			return
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
			case ch <- runStepsMsg{ID: id, Method: method, Steps: batch}:
				batch, last = nil, time.Now()
			default:
			}
		})
		if ctx.Err() != nil {
			return // stale: nobody listens
		}
		collect(r.Trajectory().Done) // a diverged step is recorded too
		if len(batch) > 0 && !send(runStepsMsg{ID: id, Method: method, Steps: batch}) {
			return
		}
		send(runDoneMsg{ID: id, Method: method, Err: err})
	}()
	return waitRun(ch)
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
		// The single call site of the exact posterior API.
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
