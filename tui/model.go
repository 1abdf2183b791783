package tui

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"tweedie/core/gmm"
	"tweedie/core/guidance"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/run"
	"tweedie/tui/halfblock"
	"tweedie/tui/labview"
	"tweedie/tui/termcaps"
)

// Ladders of the values the keys step through.
var (
	sigmaLadder = []float64{0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1}
	rLadder     = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 2}
	zetaLadder  = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10}
	speedLadder = []int{1, 2, 5, 10, 25, 50, 100, 250, 500}
)

const defaultSpeed = 5 // speedLadder[5] = 50 steps/s

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
}

// tickMsg advances playback; ID ties it to one play session.
type tickMsg struct{ ID int }

// Model is the explorer's state. Its methods have pointer receivers; View
// keeps render caches.
type Model struct {
	KeyMap KeyMap
	Help   help.Model
	Styles Styles

	opts  Options
	set   run.Settings // set.Guidance.Method is the method shown
	image int
	shape img.Shape

	compare bool
	step    int // the step the user chose; shown clamped to what exists
	playing bool
	speed   int // index into speedLadder
	playID  int

	width, height int
	ascii         bool

	nextID int
	slots  [4]*slot // indexed by guidance.Method

	// The problem as the UI shows it (its own copy: operators are not
	// safe for concurrent use).
	prob    *run.Problem
	probErr error
	yImg    img.Image

	postID            int
	postMean, postStd []float64
	postErr           error
	postPending       bool

	notice string

	caches map[string]*halfblock.Cache

	gfx graphics

	// The lab view (key l): a batch of seeds of every method for the
	// problem shown, against the exact posterior.
	lab   labview.Model
	labOn bool

	// dark is the terminal's background as last reported (dark until then).
	dark bool
}

// New returns the explorer's model for the options.
func New(opts Options) (*Model, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	m := &Model{
		KeyMap: DefaultKeyMap(),
		Help:   help.New(),
		Styles: DarkStyles(),
		opts:   opts,
		set:    opts.Settings,
		image:  opts.Image,
		shape:  opts.Prior.ImageShape(),
		speed:  defaultSpeed,
		width:  80, height: 24,
		ascii:  opts.Profile == colorprofile.ASCII || opts.Profile == colorprofile.NoTTY,
		caches: make(map[string]*halfblock.Cache),
		lab:    labview.New(opts.Lab),
		dark:   true,
	}
	m.gfx = graphics{
		want: opts.Graphics, cell: opts.Cell, profile: opts.Profile,
		pinned: opts.Profile != colorprofile.Unknown,
		env:    termcaps.ParseEnv(os.Environ()),
	}
	m.gfx.caps.Env = m.gfx.env
	m.setStyles(m.Styles)
	m.rebuildProblem()
	m.updateKeys()
	return m, nil
}

// Init starts the first runs and the exact posterior, and asks the
// terminal what it can draw and the colour of its background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.recompute(), m.initGraphics(), tea.RequestBackgroundColor)
}

// setStyles sets the styles of the explorer and its parts.
func (m *Model) setStyles(st Styles) {
	m.Styles = st
	m.Help.Styles = st.Help
	m.lab.Styles = st.Lab
}

// Dark reports whether the styles are those for a dark background.
func (m *Model) Dark() bool { return m.dark }

func (m *Model) method() guidance.Method { return m.set.Guidance.Method }

func (m *Model) truth() []float64 { return m.opts.Images[m.image].Image.Pix }

// rebuildProblem makes the UI's copy of the problem (for y and the truth).
func (m *Model) rebuildProblem() {
	m.prob, _, m.probErr = m.set.Build(m.opts.Prior, m.truth())
	if m.probErr == nil {
		m.yImg = m.prob.Op.Display(m.prob.Y)
	}
}

// settingsFor returns the settings of a method's run.
func (m *Model) settingsFor(meth guidance.Method) run.Settings {
	s := m.set
	s.Guidance.Method = meth
	s.Guidance.Sigma = s.Sigma
	return s
}

// invalidate cancels and forgets the runs of the given methods (all, and
// a running lab batch, when none).
func (m *Model) invalidate(methods ...guidance.Method) {
	if len(methods) == 0 {
		methods = guidance.Methods
		m.lab.Stop()
	}
	for _, meth := range methods {
		if s := m.slots[meth]; s != nil {
			s.cancel()
			m.slots[meth] = nil
		}
	}
}

// recompute drops every run and the posterior and starts again.
func (m *Model) recompute() tea.Cmd {
	m.invalidate()
	m.rebuildProblem()
	m.nextID++
	m.postID = m.nextID
	m.postMean, m.postStd, m.postErr, m.postPending = nil, nil, nil, true
	post := exactPosterior(m.postID, m.settingsFor(m.method()), m.opts.Prior, m.truth())
	return tea.Batch(post, m.schedule())
}

// restartRuns drops every run (and a running lab batch) and starts the
// wanted ones again, keeping the problem and the exact posterior: for a
// change of the sampler's seed, which y does not depend on.
func (m *Model) restartRuns() tea.Cmd {
	m.invalidate()
	return m.schedule()
}

// wanted lists the methods whose runs should exist, in order of priority:
// the method shown; ΠG and DPS when comparing; and once the shown run is
// done, its ΠG/DPS partner, so that comparing is ready at once.
func (m *Model) wanted() []guidance.Method {
	w := []guidance.Method{m.method()}
	if m.compare {
		w = append(w, guidance.PiG, guidance.DPS)
	} else if s := m.slots[m.method()]; s != nil && s.done {
		switch m.method() {
		case guidance.PiG:
			w = append(w, guidance.DPS)
		case guidance.DPS:
			w = append(w, guidance.PiG)
		}
	}
	return w
}

// schedule starts the wanted runs that do not exist yet.
func (m *Model) schedule() tea.Cmd {
	var cmds []tea.Cmd
	for _, meth := range m.wanted() {
		if m.slots[meth] != nil {
			continue
		}
		m.nextID++
		ctx, cancel := context.WithCancel(context.Background())
		s := &slot{id: m.nextID, cancel: cancel, ch: make(chan tea.Msg, 1), total: max(m.set.Steps, 1)}
		m.slots[meth] = s
		cmds = append(cmds, startRun(ctx, s.id, m.settingsFor(meth), m.opts.Prior, m.truth(), s.ch))
	}
	return tea.Batch(cmds...)
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd, handled := m.gfxUpdate(msg)
	if !handled {
		var more tea.Cmd
		_, more = m.update(msg)
		cmd = tea.Batch(cmd, more)
	}
	return m, tea.Batch(cmd, m.syncGraphics())
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.Help.SetWidth(msg.Width)
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.setStyles(DefaultStyles(m.dark))
		return m, nil
	case labview.ReportMsg:
		var cmd tea.Cmd
		m.lab, cmd = m.lab.Update(msg)
		return m, cmd
	case runStepsMsg:
		s := m.slots[msg.Method]
		if s == nil || s.id != msg.ID {
			return m, nil // stale: its run was cancelled
		}
		s.steps = append(s.steps, msg.Steps...)
		s.lazy = msg.Lazy
		m.updateKeys()
		return m, waitRun(s.ch)
	case runExactMsg:
		s := m.slots[msg.Method]
		if s == nil || s.id != msg.ID {
			return m, nil
		}
		for _, rec := range msg.Recs {
			if rec.Index >= 0 && rec.Index < len(s.steps) {
				s.steps[rec.Index].Rec = rec
			}
		}
		s.exact = msg.Done
		return m, waitRun(s.ch)
	case runDoneMsg:
		s := m.slots[msg.Method]
		if s == nil || s.id != msg.ID {
			return m, nil
		}
		s.done, s.err = true, msg.Err
		m.updateKeys()
		// The exact comparison of a lazy run follows on the same channel.
		return m, tea.Batch(m.schedule(), waitRun(s.ch))
	case posteriorMsg:
		if msg.ID != m.postID {
			return m, nil
		}
		m.postMean, m.postStd, m.postErr, m.postPending = msg.Mean, msg.Std, msg.Err, false
		return m, nil
	case tickMsg:
		if !m.playing || msg.ID != m.playID {
			return m, nil
		}
		return m, m.advancePlay()
	case tea.KeyPressMsg:
		var cmd tea.Cmd
		if m.labOn {
			cmd = m.handleLabKey(msg)
		} else {
			cmd = m.handleKey(msg)
		}
		m.updateKeys()
		return m, cmd
	}
	return m, nil
}

// handleLabKey handles a key in the lab view.
func (m *Model) handleLabKey(msg tea.KeyPressMsg) tea.Cmd {
	switch k := &m.KeyMap; {
	case key.Matches(msg, k.Quit):
		m.invalidate()
		return m.quit()
	case key.Matches(msg, k.Help):
		m.Help.ShowAll = !m.Help.ShowAll
		return nil
	case key.Matches(msg, k.Lab, m.lab.KeyMap.Back):
		m.lab.Stop()
		m.labOn = false
		return nil
	}
	var cmd tea.Cmd
	m.lab, cmd = m.lab.Update(msg)
	return cmd
}

// labProblem is the problem shown, for the lab view.
func (m *Model) labProblem() labview.Problem {
	mix, _ := m.opts.Prior.(*gmm.Mixture)
	p := labview.Problem{
		Prior: mix, Truth: m.truth(), TruthName: m.opts.Images[m.image].Name, Settings: m.set,
		Labels: m.opts.ComponentLabels, LabelTitle: m.opts.ComponentTitle,
	}
	return p
}

// total is the number of planned steps.
func (m *Model) total() int { return max(m.set.Steps, 1) }

// shown returns the slot of the method shown.
func (m *Model) shown() *slot { return m.slots[m.method()] }

func (m *Model) moveTo(step int) {
	m.step = min(max(step, 0), m.total()-1)
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.KeyMap
	m.notice = ""
	switch {
	case key.Matches(msg, k.Quit):
		m.invalidate()
		return m.quit()
	case key.Matches(msg, k.Graphics):
		return m.cycleMode()
	case key.Matches(msg, k.Help):
		m.Help.ShowAll = !m.Help.ShowAll
	case key.Matches(msg, k.Prev):
		m.moveTo(m.step - 1)
	case key.Matches(msg, k.Next):
		m.moveTo(m.step + 1)
	case key.Matches(msg, k.Prev10):
		m.moveTo(m.step - 10)
	case key.Matches(msg, k.Next10):
		m.moveTo(m.step + 10)
	case key.Matches(msg, k.Prev100):
		m.moveTo(m.step - 100)
	case key.Matches(msg, k.Next100):
		m.moveTo(m.step + 100)
	case key.Matches(msg, k.First):
		m.moveTo(0)
	case key.Matches(msg, k.Last):
		m.moveTo(m.total() - 1)
	case key.Matches(msg, k.Play):
		m.playing = !m.playing
		if m.playing {
			if m.step >= m.playEnd() {
				m.step = 0
			}
			m.playID++
			return m.tick()
		}
	case key.Matches(msg, k.Faster):
		m.speed = min(m.speed+1, len(speedLadder)-1)
	case key.Matches(msg, k.Slower):
		m.speed = max(m.speed-1, 0)
	case key.Matches(msg, k.Method):
		i := 0
		for j, meth := range guidance.Methods {
			if meth == m.method() {
				i = j
			}
		}
		// The problem does not depend on the method (run.Settings.Build
		// draws y from Op, σ and NoiseSeed), so it and the exact
		// posterior are kept, and so are other methods' runs.
		m.set.Guidance.Method = guidance.Methods[(i+1)%len(guidance.Methods)]
		return m.schedule()
	case key.Matches(msg, k.SigmaDown, k.SigmaUp):
		up := key.Matches(msg, k.SigmaUp)
		m.set.Sigma = ladderStep(sigmaLadder, m.set.Sigma, up)
		m.set.Guidance.Sigma = m.set.Sigma
		return m.recompute()
	case key.Matches(msg, k.RDown, k.RUp):
		r := m.set.Guidance.R
		if m.set.Guidance.RAuto {
			r = m.rNow()
		}
		m.set.Guidance.RAuto = false
		m.set.Guidance.R = ladderStep(rLadder, r, key.Matches(msg, k.RUp))
		m.invalidate(guidance.PiG)
		return m.schedule()
	case key.Matches(msg, k.RAuto):
		m.set.Guidance.RAuto = true
		m.invalidate(guidance.PiG)
		return m.schedule()
	case key.Matches(msg, k.ZetaDown, k.ZetaUp):
		m.set.Guidance.Zeta = ladderStep(zetaLadder, m.set.Guidance.Zeta, key.Matches(msg, k.ZetaUp))
		m.invalidate(guidance.DPS)
		return m.schedule()
	case key.Matches(msg, k.Operator):
		specs := operator.Defaults()
		i := -1
		if m.prob != nil {
			for j, s := range specs {
				if s == m.prob.Op.Name() {
					i = j
				}
			}
		}
		m.set.Op = specs[(i+1)%len(specs)]
		if op, err := operator.Parse(m.set.Op, m.shape); err == nil {
			m.set.Guidance.Zeta = operator.DefaultZeta(op)
			if err := guidance.Serves(m.method(), op); err != nil {
				m.set.Guidance.Method = guidance.DPS // DPS serves every operator
				m.updateKeys()
				cmd := m.recompute()
				m.notice = err.Error() + ": showing DPS"
				return cmd
			}
		}
		return m.recompute()
	case key.Matches(msg, k.NextImage):
		m.image = (m.image + 1) % len(m.opts.Images)
		return m.recompute()
	case key.Matches(msg, k.PrevImage):
		m.image = (m.image + len(m.opts.Images) - 1) % len(m.opts.Images)
		return m.recompute()
	case key.Matches(msg, k.Reseed):
		m.set.Seed++ // the sampler's seed: y and the posterior stay
		return m.restartRuns()
	case key.Matches(msg, k.Compare):
		m.compare = !m.compare
		return m.schedule()
	case key.Matches(msg, k.Lab):
		m.labOn = true
		m.playing = false
		return m.lab.Start(m.labProblem())
	}
	return nil
}

// rNow is ΠG's r_t at the step shown (r auto), or R.
func (m *Model) rNow() float64 {
	if rec, ok := m.record(m.shown()); ok {
		return m.set.Guidance.RT(rec.AlphaBar)
	}
	return m.set.Guidance.R
}

// ladderStep returns the next value of the ladder below (or above) v, or v
// at the end of the ladder.
func ladderStep(ladder []float64, v float64, up bool) float64 {
	if up {
		for _, x := range ladder {
			if x > v*(1+1e-9) {
				return x
			}
		}
		return v
	}
	for i := len(ladder) - 1; i >= 0; i-- {
		if ladder[i] < v*(1-1e-9) {
			return ladder[i]
		}
	}
	return v
}

func (m *Model) tick() tea.Cmd {
	id := m.playID
	return tea.Tick(m.tickEvery(), func(time.Time) tea.Msg { return tickMsg{ID: id} })
}

func (m *Model) tickEvery() time.Duration {
	return max(time.Second/time.Duration(speedLadder[m.speed]), 33*time.Millisecond)
}

// advancePlay moves playback on by one tick's worth of steps: through the
// steps recorded so far, waiting for a running run to catch up, and stops
// at the last step of a run that ended, short of the planned total when
// it diverged or failed.
func (m *Model) advancePlay() tea.Cmd {
	n := int(math.Round(float64(speedLadder[m.speed]) * m.tickEvery().Seconds()))
	s := m.shown()
	if s == nil {
		return m.tick() // its run is about to start
	}
	avail := len(s.steps)
	if m.step+1 >= avail {
		if s.done {
			m.playing = false
			m.updateKeys()
			return nil
		}
		return m.tick()
	}
	m.step = min(m.step+max(n, 1), avail-1)
	return m.tick()
}

// playEnd is the step where playback ends: the last one recorded of a run
// that ended, else the last planned.
func (m *Model) playEnd() int {
	if s := m.shown(); s != nil && s.done {
		return max(len(s.steps)-1, 0)
	}
	return m.total() - 1
}

// record returns the record of the step shown in a slot's run.
func (m *Model) record(s *slot) (run.Record, bool) {
	if s == nil || len(s.steps) == 0 {
		return run.Record{}, false
	}
	return s.steps[m.shownStep(s)].Rec, true
}

// shownStep is the step a slot shows: the chosen one, or the last that exists.
func (m *Model) shownStep(s *slot) int {
	return min(m.step, len(s.steps)-1)
}

// updateKeys enables the bindings that do something in the current state.
func (m *Model) updateKeys() {
	k := &m.KeyMap
	last := m.total() - 1
	for _, b := range []*key.Binding{&k.Prev, &k.Prev10, &k.Prev100, &k.First} {
		b.SetEnabled(m.step > 0)
	}
	for _, b := range []*key.Binding{&k.Next, &k.Next10, &k.Next100, &k.Last} {
		b.SetEnabled(m.step < last)
	}
	pig := m.method() == guidance.PiG || m.compare
	dps := m.method() == guidance.DPS || m.compare
	g := m.set.Guidance
	k.RDown.SetEnabled(pig && (g.RAuto || ladderStep(rLadder, g.R, false) != g.R))
	k.RUp.SetEnabled(pig && (g.RAuto || ladderStep(rLadder, g.R, true) != g.R))
	k.RAuto.SetEnabled(pig && !g.RAuto)
	k.ZetaDown.SetEnabled(dps && ladderStep(zetaLadder, g.Zeta, false) != g.Zeta)
	k.ZetaUp.SetEnabled(dps && ladderStep(zetaLadder, g.Zeta, true) != g.Zeta)
	k.SigmaDown.SetEnabled(ladderStep(sigmaLadder, m.set.Sigma, false) != m.set.Sigma)
	k.SigmaUp.SetEnabled(ladderStep(sigmaLadder, m.set.Sigma, true) != m.set.Sigma)
	k.Faster.SetEnabled(m.speed < len(speedLadder)-1)
	k.Slower.SetEnabled(m.speed > 0)
	_, exact := m.opts.Prior.(*gmm.Mixture)
	k.Lab.SetEnabled(exact)
	many := len(m.opts.Images) > 1
	k.NextImage.SetEnabled(many)
	k.PrevImage.SetEnabled(many)
	if m.playing {
		k.Play.SetHelp("space", "pause")
	} else {
		k.Play.SetHelp("space", "play")
	}
	if m.compare {
		k.Compare.SetHelp("c", "single view")
	} else {
		k.Compare.SetHelp("c", "compare ΠG/DPS")
	}
}

// Step returns the step chosen by the user (for tests and callers).
func (m *Model) Step() int { return m.step }

// Settings returns the current settings.
func (m *Model) Settings() run.Settings { return m.set }

func fmtG(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3g", x)
}
