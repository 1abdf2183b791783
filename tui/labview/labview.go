// Package labview is the explorer's lab view: for the problem on screen it
// runs a batch of seeds of every method that serves it (ΠG, DPS, the exact
// oracle, …) in the background
// (core/lab) and shows, as the seeds finish, which mixture components the
// samples reach beside the exact posterior weights, and the distances to
// the exact posterior (TV, sliced Wasserstein, PSNR, coverage, divergence),
// beside the floors an exact sampler reaches with as many samples.
//
// A batch runs on its own goroutines, tasks of the explorer's work group
// (Config.Work): its exact reference (lab.New) and its runs stop when the
// batch is stopped or superseded, or the explorer ends. The model polls
// lab.Report every Config.Every, in a tea.Cmd, and the reports come back
// as ReportMsg stamped with the batch's id, so a stopped or superseded
// batch's reports are dropped.
//
// By default a batch uses at most Config.FastSteps sampling steps (100),
// whatever the explorer's step count: 32 seeds of every method that serves
// the default MNIST problem (14) at 100 steps take about 19 s on one core
// (BenchmarkLabKey/fast; the particle methods, N = 16, are half of it).
// The Steps key switches to the explorer's own step count.
package labview

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"tweedie/core/gmm"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/run"
	"tweedie/tui/internal/work"
)

// Defaults of Config.
const (
	DefaultSeeds     = 32
	DefaultFastSteps = 100
	DefaultEvery     = 250 * time.Millisecond
	DefaultResamples = 200
)

// Config is how a batch is run.
type Config struct {
	// Seeds is the number of runs per method (at least 2); 0 means DefaultSeeds.
	Seeds int
	// FastSteps caps the sampling steps unless the user asks for the
	// explorer's own; 0 means DefaultFastSteps.
	FastSteps int
	// Workers is the number of parallel runs; 0 means GOMAXPROCS − 1 (at
	// least 1), leaving a core to the explorer.
	Workers int
	// Every is how often the report is refreshed while the batch runs;
	// 0 means DefaultEvery.
	Every time.Duration
	// Projections of the sliced Wasserstein distance; 0 means lab's default.
	Projections int
	// Resamples of the bootstrap intervals; 0 means DefaultResamples
	// (fewer than the lab command's: a report is recomputed at every poll
	// while runs finish).
	Resamples int
	// Gate is passed to the lab: its exact reference and each run hold it
	// while they compute.
	Gate func(ctx context.Context) (release func(), err error)
	// Work is the explorer's background work: a batch's reference, runs
	// and polls are tasks of it, and end with it. Nil: a group of the
	// view's own.
	Work *work.Group
}

func (c Config) withDefaults() Config {
	if c.Seeds <= 0 {
		c.Seeds = DefaultSeeds
	}
	c.Seeds = max(c.Seeds, 2)
	if c.FastSteps <= 0 {
		c.FastSteps = DefaultFastSteps
	}
	if c.Workers <= 0 {
		c.Workers = max(runtime.GOMAXPROCS(0)-1, 1)
	}
	if c.Every <= 0 {
		c.Every = DefaultEvery
	}
	if c.Resamples <= 0 {
		c.Resamples = DefaultResamples
	}
	if c.Work == nil {
		c.Work = work.New()
	}
	return c
}

// Problem is what the explorer shows: the batch measures it.
type Problem struct {
	Prior *gmm.Mixture
	Truth []float64
	// TruthName names the ground truth, e.g. "digit 7 (test #0)".
	TruthName string
	// Settings are the explorer's: operator, σ, noise seed, sampler, η,
	// steps, ΠG's r and DPS's ζ; Seed is the first seed of the batch.
	Settings run.Settings
	// Labels name the mixture components (for MNIST the digit each was
	// fitted to); nil numbers them. LabelTitle heads their column ("digit").
	Labels     []string
	LabelTitle string
}

// KeyMap is the lab view's keys.
type KeyMap struct {
	// Back leaves the view; the explorer handles it (and its own lab key).
	Back key.Binding
	// Steps switches between the fast step count and the explorer's.
	Steps key.Binding
	// Section cycles the middle of the view: components, mode TV over
	// time, calibration.
	Section key.Binding
	// Sweep switches to a batch of the explorer's method over a grid of
	// its parameter, and back.
	Sweep key.Binding
}

// DefaultKeyMap returns the lab view's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Back:    key.NewBinding(key.WithKeys("l", "esc"), key.WithHelp("l/esc", "back to the explorer")),
		Steps:   key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "explorer's steps")),
		Section: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", sectionTime.short())),
		Sweep:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "sweep the method's parameter")),
	}
}

// ShortHelp is the view's help bar.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Back, k.Steps, k.Section} }

// FullHelp is the view's full help.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Back, k.Steps, k.Section, k.Sweep}}
}

// ReportMsg is a batch's report so far, stamped with the batch's id.
type ReportMsg struct {
	ID     int
	Report *lab.Report // nil when the batch could not start
	// Done runs of Total have finished; Finished says the batch ended.
	Done, Total int
	Finished    bool
	Err         error
	b           *batch
}

// batch is a running lab, shared between its goroutines and the polls.
type batch struct {
	ctx   context.Context // ends when the batch is stopped or has finished
	lab   *lab.Lab
	total int
	done  atomic.Int64
	fin   chan struct{} // closed when Run returned; err is set before
	err   error
}

// Model is the lab view.
type Model struct {
	KeyMap KeyMap
	Styles Styles
	// ASCII draws bars with '#' instead of block elements.
	ASCII bool

	cfg     Config
	prob    Problem
	full    bool // the explorer's step count, not cfg.FastSteps
	section section
	sweep   bool // a batch over the explorer's method's parameter

	id      int
	key     string // the batch's problem and entries
	cancel  context.CancelFunc
	entries []lab.Entry
	started bool // a batch was started (and not stopped)
	rep     *lab.Report
	done    int
	total   int
	fin     bool
	err     error

	width, height int
}

// New returns a lab view that runs batches as cfg says.
func New(cfg Config) Model {
	return Model{KeyMap: DefaultKeyMap(), Styles: DefaultStyles(true), cfg: cfg.withDefaults(), width: 80, height: 23}
}

// SetSize sets the size the view draws in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Config returns the view's configuration, defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Running reports whether a batch is going on.
func (m *Model) Running() bool { return m.started && !m.fin }

// Report returns the last report received, or nil.
func (m *Model) Report() *lab.Report { return m.rep }

// Start runs a batch for the problem. A batch of the same problem and
// settings that is running or finished is kept; any other is stopped.
func (m *Model) Start(p Problem) tea.Cmd {
	m.prob = p
	m.updateKeys()
	entries, err := Entries(p, m.steps(p))
	if m.sweep {
		entries, err = SweepEntries(p, m.steps(p))
	}
	k := fmt.Sprintf("%s|%d|%d|%+v|%v", p.TruthName, len(p.Truth), m.cfg.Seeds, entries, err)
	if m.started && k == m.key {
		return nil
	}
	m.Stop()
	m.id++
	m.key, m.entries, m.started = k, entries, true
	m.rep, m.done, m.total, m.fin, m.err = nil, 0, len(entries)*m.cfg.Seeds, false, err
	if err != nil {
		m.fin = true
		return nil
	}
	ctx, cancel := context.WithCancel(m.cfg.Work.Context())
	m.cancel = cancel
	cfg := lab.Config{
		Prior: p.Prior, Truth: p.Truth, Entries: entries, Seeds: m.cfg.Seeds,
		FirstSeed: p.Settings.Seed, Workers: m.cfg.Workers, Projections: m.cfg.Projections, Seed: 1, Gate: m.cfg.Gate,
		Resamples: m.cfg.Resamples,
	}
	return startBatch(ctx, m.cfg.Work, m.id, cfg)
}

// Stop cancels a running batch and drops it. A finished batch is kept, so
// that coming back to the same problem shows it at once.
func (m *Model) Stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if m.started && !m.fin {
		m.id++ // its late reports are stale
		m.started, m.key, m.rep = false, "", nil
	}
}

// steps is the step count of a batch for the problem.
func (m *Model) steps(p Problem) int {
	if m.full {
		return p.Settings.Steps
	}
	return min(p.Settings.Steps, m.cfg.FastSteps)
}

// Entries are the methods a batch runs for the problem at the step count:
// every registered method that serves it, baselines aside, with the
// explorer's parameter values. The exact posterior needs σ > 0.
func Entries(p Problem, steps int) ([]lab.Entry, error) {
	if p.Prior == nil {
		return nil, errors.New("the lab needs an exact mixture prior")
	}
	if p.Settings.Sigma <= 0 {
		return nil, errors.New("the exact posterior needs σ > 0 (raise σ with S)")
	}
	base := p.Settings
	base.Steps = steps
	prob, err := base.Problem(p.Prior, p.Truth)
	if err != nil {
		return nil, err
	}
	var es []lab.Entry
	for _, m := range method.Available(prob.Offer) {
		if m.Baseline {
			continue
		}
		v, err := m.Resolve(base.Params, prob.Op)
		if err != nil {
			return nil, err
		}
		s := base
		s.Method = m.Name
		es = append(es, lab.Entry{Label: m.Describe(v), Settings: s})
	}
	return es, nil
}

// startBatch returns a Cmd that computes the exact reference, starts the
// runs on their own goroutines and reports at once: tasks of w, ended by
// ctx. A second Start while the reference is being computed cancels it.
func startBatch(ctx context.Context, w *work.Group, id int, cfg lab.Config) tea.Cmd {
	return w.Cmd(func() tea.Msg {
		l, err := lab.New(ctx, cfg)
		switch {
		case ctx.Err() != nil:
			return nil // stopped: nobody listens
		case err != nil:
			return ReportMsg{ID: id, Finished: true, Err: err}
		}
		b := &batch{ctx: ctx, lab: l, total: len(cfg.Entries) * cfg.Seeds, fin: make(chan struct{})}
		if !w.Go(func() {
			err := l.Run(ctx, func(int, int) { b.done.Add(1) })
			b.err = err
			close(b.fin)
		}) {
			return nil // the explorer has ended
		}
		return poll(id, b)
	})
}

// poll reads a batch's state; it runs in a Cmd, never in Update.
func poll(id int, b *batch) ReportMsg {
	msg := ReportMsg{ID: id, Total: b.total, b: b}
	select {
	case <-b.fin: // every outcome is stored before Run returns
		msg.Finished, msg.Err = true, b.err
	default:
	}
	msg.Done = int(b.done.Load())
	msg.Report = b.lab.Report()
	return msg
}

// Update handles the batch's reports and the view's keys (but Back, which
// the explorer handles).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ReportMsg:
		if msg.ID != m.id || !m.started {
			return m, nil // stale: its batch was stopped or replaced
		}
		if msg.Report != nil {
			m.rep = msg.Report
		}
		m.done, m.total, m.err = msg.Done, msg.Total, msg.Err
		if msg.Finished {
			m.fin = true
			if m.cancel != nil {
				m.cancel()
				m.cancel = nil
			}
			return m, nil
		}
		id, b := msg.ID, msg.b
		return m, m.cfg.Work.After(b.ctx, m.cfg.Every, func() tea.Msg { return poll(id, b) })
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.KeyMap.Steps):
			m.full = !m.full
			m.updateKeys()
			return m, m.Start(m.prob)
		case key.Matches(msg, m.KeyMap.Section):
			m.section = (m.section + 1) % sections
			m.updateKeys()
		case key.Matches(msg, m.KeyMap.Sweep):
			m.sweep = !m.sweep
			m.updateKeys()
			return m, m.Start(m.prob)
		}
	}
	return m, nil
}

// updateKeys enables the bindings that do something for the problem.
func (m *Model) updateKeys() {
	p := m.prob.Settings
	m.KeyMap.Steps.SetEnabled(p.Steps > m.cfg.FastSteps)
	if m.full {
		m.KeyMap.Steps.SetHelp("f", fmt.Sprintf("fast: %d steps", m.cfg.FastSteps))
	} else {
		m.KeyMap.Steps.SetHelp("f", fmt.Sprintf("explorer's %d steps", p.Steps))
	}
	m.KeyMap.Section.SetEnabled(!m.sweep)
	m.KeyMap.Section.SetHelp("t", ((m.section + 1) % sections).short())
	if m.sweep {
		m.KeyMap.Sweep.SetHelp("w", "back to the methods")
	} else {
		m.KeyMap.Sweep.SetHelp("w", "sweep "+p.Method+"'s parameter")
	}
}
