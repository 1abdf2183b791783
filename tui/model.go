package tui

import (
	"fmt"
	"math"
	"os"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/tui/gfx"
	"tweedie/tui/halfblock"
	"tweedie/tui/internal/work"
	"tweedie/tui/labview"
	"tweedie/tui/termcaps"
)

// Ladders of the values the keys step through (the methods' parameters
// bring their own).
var (
	sigmaLadder = []float64{0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1}
	speedLadder = []int{1, 2, 5, 10, 25, 50, 100, 250, 500}
)

const defaultSpeed = 5 // speedLadder[5] = 50 steps/s

// tickMsg advances playback; ID ties it to one play session.
type tickMsg struct{ ID int }

// settleMsg starts the runs a change asked for once input has paused for
// settleDelay; ID ties it to the latest change, so a burst of keys starts
// runs once, after the burst.
type settleMsg struct{ ID int }

// settleDelay is how long input must pause before runs start: a frame.
const settleDelay = 30 * time.Millisecond

// Model is the explorer's state. Its methods have pointer receivers; View
// keeps render caches.
type Model struct {
	KeyMap KeyMap
	Help   help.Model
	Styles Styles

	opts  Options
	set   run.Settings // set.Method is the method shown
	image int
	shape img.Shape

	compare bool
	// chosen is the method the user chose (m, or the start's): shown
	// again by an operator it serves after one it did not.
	chosen string
	// prompt is the prompt (key :), focused while open.
	prompt textinput.Model
	ratios bool // the chart shows ‖g‖/‖g*‖ and ‖update‖/‖update*‖ (key v)
	// partner is the method compare mode shows beside the one shown,
	// chosen with C ("": the first other guided method).
	partner string
	// runScale: Δ is scaled to its largest over the run so far, not the
	// step's (key f).
	runScale bool
	step     int // the step the user chose; shown clamped to what exists
	playing  bool
	speed    int // index into speedLadder
	playID   int

	width, height int

	// work is every goroutine and command computing for the explorer
	// (runs, comparisons, replays, the exact posterior, the lab, the
	// tour's covariance, snapshots): finish ends it.
	work *work.Group
	// runs holds a run per method and the exact posterior; settleID is the
	// latest change waiting for input to pause (settleMsg), postStale says
	// the posterior is to be recomputed then.
	runs      runSet
	settleID  int
	postStale bool

	// The problem shown, built once per change and shared by every run.
	prob    *run.Problem
	probErr error
	yImg    img.Image

	notice string

	caches map[string]*halfblock.Cache

	gfx gfx.Model

	// The lab view (key l): a batch of seeds of every method for the
	// problem shown, against the exact posterior.
	lab   labview.Model
	labOn bool

	// dark is the terminal's background as last reported (dark until then).
	dark bool

	// tour is the guided tour (key t, tourview.go).
	tour tourState
}

// New returns the explorer's model for the options.
func New(opts Options) (*Model, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	pool := opts.Pool
	if pool == nil {
		pool = NewPool(localRuns, localRuns)
	}
	w := work.New()
	m := &Model{
		KeyMap: DefaultKeyMap(),
		prompt: newPrompt(),
		Help:   help.New(),
		Styles: DarkStyles(),
		opts:   opts,
		set:    opts.Settings,
		image:  opts.Image,
		shape:  opts.Prior.Model.ImageShape(),
		speed:  defaultSpeed,
		width:  80, height: 24,
		work:   w,
		runs:   newRunSet(pool, w),
		caches: make(map[string]*halfblock.Cache),
		dark:   true,
	}
	m.chosen = opts.Settings.Method
	m.lab = labview.New(labConfig(opts.Lab, m.runs))
	m.gfx = gfx.New(gfx.Options{Want: opts.Graphics, Cell: opts.Cell, Profile: opts.Profile,
		Env: termcaps.ParseEnv(os.Environ())})
	m.applyTheme(os.Environ())
	m.rebuildProblem()
	if err := m.initTour(opts.Tour, os.Getenv); err != nil {
		return nil, err
	}
	m.updateKeys()
	return m, nil
}

// labConfig makes the lab's reference and runs take their share of the
// pool, as tasks of the explorer's work.
func labConfig(c labview.Config, rs runSet) labview.Config {
	c.Gate = rs.pool.gate(rs.share)
	c.Work = rs.work
	return c
}

// localRuns is how many runs one local explorer computes at once.
const localRuns = 3

// Init starts the first runs and the exact posterior, and asks the
// terminal what it can draw and the colour of its background.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.recompute(), m.gfx.Init(), tea.RequestBackgroundColor)
}

// applyTheme chooses the starting styles: the theme given, else the
// background COLORFGBG in environ tells, else NeutralStyles until the
// terminal answers the background query.
func (m *Model) applyTheme(environ []string) {
	switch m.opts.Theme {
	case ThemeDark:
		m.dark = true
		m.setStyles(DarkStyles())
		return
	case ThemeLight:
		m.dark = false
		m.setStyles(LightStyles())
		return
	}
	if dark, ok := colorFGBG(environ); ok {
		m.dark = dark
		m.setStyles(DefaultStyles(dark))
		return
	}
	m.dark = true
	m.setStyles(NeutralStyles())
}

// setStyles sets the styles of the explorer and its parts.
func (m *Model) setStyles(st Styles) {
	m.Styles = st
	m.Help.Styles = st.Help
	m.lab.Styles = st.Lab
}

// Dark reports whether the styles are those for a dark background.
func (m *Model) Dark() bool { return m.dark }

// GraphicsMode returns the graphics mode in effect (Auto while detecting).
func (m *Model) GraphicsMode() termcaps.Mode { return m.gfx.Chosen() }

// method is the method shown.
func (m *Model) method() *method.Method {
	meth, err := method.Lookup(m.set.Method)
	if err != nil {
		panic(err) // validated by New, and only registered names are set
	}
	return meth
}

// values are a method's parameter values for the problem shown.
func (m *Model) values(meth *method.Method) method.Values {
	if m.prob == nil {
		return m.set.Params
	}
	v, err := meth.Resolve(m.set.Params, m.prob.Op)
	if err != nil {
		return m.set.Params
	}
	return v
}

func (m *Model) truth() []float64 { return m.opts.Images[m.image].Image.Pix }

// rebuildProblem makes the problem shown: the one change of settings
// makes it once, and every run and the posterior share it.
func (m *Model) rebuildProblem() {
	m.prob, m.probErr = m.set.Problem(m.opts.Prior.Model, m.truth())
	if m.probErr == nil {
		m.yImg = m.prob.Op.Display(m.prob.Y)
	}
}

// available lists the methods that serve the problem shown, in order.
func (m *Model) available() []*method.Method {
	if m.prob == nil {
		return method.All()
	}
	return method.Available(m.prob.Offer)
}

// comparePair is the two methods compare mode shows: the one shown and
// its partner — the one chosen with C, else the first guidance method
// that serves the problem and is not the one shown.
func (m *Model) comparePair() [2]*method.Method {
	shown := m.method()
	cands := m.partners()
	if len(cands) == 0 {
		return [2]*method.Method{shown, shown}
	}
	for _, c := range cands {
		if c.Name == m.partner {
			return [2]*method.Method{shown, c}
		}
	}
	return [2]*method.Method{shown, cands[0]}
}

// partners are the methods the one shown can be compared with: every
// other method that serves the problem, guidance methods first.
func (m *Model) partners() []*method.Method {
	var guided, base []*method.Method
	for _, meth := range m.available() {
		switch {
		case meth == m.method():
		case meth.Baseline:
			base = append(base, meth)
		default:
			guided = append(guided, meth)
		}
	}
	return append(guided, base...)
}

// nextPartner moves the compare partner on to the next of partners.
func (m *Model) nextPartner() {
	cands := m.partners()
	if len(cands) == 0 {
		return
	}
	cur := m.comparePair()[1]
	for i, c := range cands {
		if c == cur {
			m.partner = cands[(i+1)%len(cands)].Name
			return
		}
	}
	m.partner = cands[0].Name
}

// shownMethods are the methods on screen: one, or the compared pair.
func (m *Model) shownMethods() []*method.Method {
	if m.compare {
		p := m.comparePair()
		return p[:]
	}
	return []*method.Method{m.method()}
}

// wanted lists the methods whose runs should exist, in order of priority:
// those on screen; and once the shown run is done, its compare partner,
// so that comparing is ready at once.
func (m *Model) wanted() []string {
	var w []string
	for _, meth := range m.shownMethods() {
		w = append(w, meth.Name)
	}
	if s := m.shown(); !m.compare && s != nil && s.done {
		for _, meth := range m.comparePair() {
			w = append(w, meth.Name)
		}
	}
	return w
}

// schedule starts the wanted runs that do not exist yet, and the exact
// posterior when it is stale, once input has paused for settleDelay.
func (m *Model) schedule() tea.Cmd {
	m.settleID++
	id := m.settleID
	return tea.Tick(settleDelay, func(time.Time) tea.Msg { return settleMsg{ID: id} })
}

// settle starts what the changes since the last settle asked for.
func (m *Model) settle() tea.Cmd {
	var post tea.Cmd
	if m.postStale {
		m.postStale = false
		post = m.runs.startPosterior(m.prob)
	}
	return tea.Batch(post, m.runs.ensure(m.prob, m.set, m.wanted()...))
}

// cancelRuns cancels every run, the posterior and a running lab batch.
func (m *Model) cancelRuns() {
	m.runs.cancelAll()
	m.lab.Stop()
}

// finishWait bounds how long an explorer that has ended waits for its
// background work to return: every task checks its context between steps,
// probes or jobs, far more often than this.
const finishWait = 5 * time.Second

// finish ends the explorer's background work, once its event loop has
// ended, and waits for it to return, at most finishWait; then, if not
// nil, is called once it has returned, within finishWait or later.
func (m *Model) finish(then func()) {
	m.cancelRuns()
	returned := make(chan struct{})
	m.work.End(func() {
		if then != nil {
			then()
		}
		close(returned)
	})
	t := time.NewTimer(finishWait)
	defer t.Stop()
	select {
	case <-returned:
	case <-t.C:
	}
}

// recompute drops every run and the posterior and starts again on the
// problem of the current settings (once input pauses).
func (m *Model) recompute() tea.Cmd {
	m.cancelRuns()
	m.rebuildProblem()
	m.runs.post.pending, m.postStale = true, true
	return m.schedule()
}

// restartRuns drops every run (and a running lab batch) and starts the
// wanted ones again, keeping the problem and the exact posterior: for a
// change of the sampler's seed, which y does not depend on.
func (m *Model) restartRuns() tea.Cmd {
	for n := range m.runs.slots {
		m.runs.cancel(n)
	}
	m.lab.Stop()
	return m.schedule()
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd, handled := m.gfx.Update(msg)
	if !handled {
		cmd = tea.Batch(cmd, m.update(msg))
	}
	if m.gfx.Notice != "" {
		m.notice, m.gfx.Notice = m.gfx.Notice, ""
	}
	return m, tea.Batch(cmd, m.ensureRows(), m.gfx.Sync(m.frame), m.tourSync())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	if m.tourUpdate(msg) {
		return nil
	}
	if cmd, ok := m.runs.handle(msg); ok {
		m.updateKeys()
		if done, isDone := msg.(runDoneMsg); isDone && m.runs.current(done.Method, done.ID) != nil {
			return tea.Batch(cmd, m.schedule()) // the partner's run, now
		}
		return cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.Help.SetWidth(msg.Width)
	case snapshotMsg:
		if msg.Err != nil {
			m.notice = "snapshot: " + msg.Err.Error()
		} else {
			m.notice = "snapshot: wrote " + msg.Path
		}
	case tea.BackgroundColorMsg:
		if m.opts.Theme == ThemeAuto { // a given theme stays
			m.dark = msg.IsDark()
			m.setStyles(DefaultStyles(m.dark))
		}
	case labview.ReportMsg:
		var cmd tea.Cmd
		m.lab, cmd = m.lab.Update(msg)
		return cmd
	case tickMsg:
		if !m.playing || msg.ID != m.playID {
			return nil
		}
		return m.advancePlay()
	case settleMsg:
		if msg.ID != m.settleID {
			return nil // a later change will settle
		}
		return m.settle()
	case tea.PasteMsg:
		if m.prompting() {
			return m.promptUpdate(msg)
		}
	case tea.KeyPressMsg:
		var cmd tea.Cmd
		if m.labOn {
			cmd = m.handleLabKey(msg)
		} else {
			cmd = m.handleKey(msg)
		}
		m.updateKeys()
		return cmd
	}
	return nil
}

// quit cancels every run and leaves.
func (m *Model) quit() tea.Cmd {
	m.cancelRuns()
	return m.gfx.Quit()
}

// handleLabKey handles a key in the lab view.
func (m *Model) handleLabKey(msg tea.KeyPressMsg) tea.Cmd {
	switch k := &m.KeyMap; {
	case key.Matches(msg, k.Quit):
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
	p := m.opts.Prior
	return labview.Problem{
		Prior: p.Mixture, Truth: m.truth(), TruthName: m.opts.Images[m.image].Name, Settings: m.set,
		Labels: p.ComponentLabels, LabelTitle: p.LabelTitle,
	}
}

// total is the number of planned steps.
func (m *Model) total() int { return max(m.set.Steps, 1) }

// shown returns the slot of the method shown.
func (m *Model) shown() *slot { return m.runs.get(m.set.Method) }

func (m *Model) moveTo(step int) {
	m.step = min(max(step, 0), m.total()-1)
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.KeyMap
	if m.prompting() {
		return m.promptUpdate(msg)
	}
	m.notice = ""
	if cmd, ok := m.tourKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Prompt):
		return m.openPrompt()
	case key.Matches(msg, k.Snapshot):
		m.notice = "snapshot: drawing…"
		return m.snapshot()
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Chart):
		m.ratios = !m.ratios
		return nil
	case key.Matches(msg, k.Graphics):
		cmd, notice := m.gfx.Cycle()
		m.notice = notice
		return cmd
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
		// The problem does not depend on the method, so it and the exact
		// posterior are kept, and so are other methods' runs.
		m.set.Method = m.nextMethod().Name
		m.chosen = m.set.Method
		return m.schedule()
	case key.Matches(msg, k.SigmaDown, k.SigmaUp):
		m.set.Sigma = ladderStep(sigmaLadder, m.set.Sigma, key.Matches(msg, k.SigmaUp))
		return m.recompute()
	case key.Matches(msg, k.Operator):
		return m.nextOperator()
	case key.Matches(msg, k.NextImage):
		m.image = (m.image + 1) % len(m.opts.Images)
		return m.recompute()
	case key.Matches(msg, k.PrevImage):
		m.image = (m.image + len(m.opts.Images) - 1) % len(m.opts.Images)
		return m.recompute()
	case key.Matches(msg, k.Reseed):
		m.set.Seed++ // the sampler's seed: y and the posterior stay
		return m.restartRuns()
	case key.Matches(msg, k.Partner):
		m.nextPartner()
		m.compare = true
		return m.schedule()
	case key.Matches(msg, k.RunScale):
		m.runScale = !m.runScale
		return nil
	case key.Matches(msg, k.Compare):
		m.compare = !m.compare
		return m.schedule()
	case key.Matches(msg, k.Lab):
		m.labOn = true
		m.playing = false
		return m.lab.Start(m.labProblem())
	}
	for i := range k.Params {
		if cmd, ok := m.paramKey(&k.Params[i], msg); ok {
			return cmd
		}
	}
	return nil
}

// nextMethod is the method after the one shown among those that serve
// the problem (the first when it serves none).
func (m *Model) nextMethod() *method.Method {
	avail := m.available()
	for i, meth := range avail {
		if meth.Name == m.set.Method {
			return avail[(i+1)%len(avail)]
		}
	}
	return avail[0]
}

// nextOperator cycles through the operators.
func (m *Model) nextOperator() tea.Cmd {
	specs := operator.Defaults()
	i := -1
	if m.prob != nil {
		for j, s := range specs {
			if s == m.prob.Op.Name() {
				i = j
			}
		}
	}
	return m.setOperator(specs[(i+1)%len(specs)])
}

// setOperator shows the problem of another operator (a spec of
// operator.Parse). A method that cannot serve it gives way to the first
// that can, with a notice saying why.
func (m *Model) setOperator(spec string) tea.Cmd {
	m.set.Op = spec
	cmd := m.recompute()
	if m.prob == nil {
		return cmd
	}
	if m.chosen != "" && m.chosen != m.set.Method {
		// Back to the method the user chose, where it serves.
		if c, err := method.Lookup(m.chosen); err == nil && c.Serves(m.prob.Offer, m.values(c)) == nil {
			m.set.Method = c.Name
			m.notice = "showing " + c.Label + " again"
			m.updateKeys()
			return tea.Batch(cmd, m.schedule())
		}
	}
	meth := m.method()
	err := meth.Serves(m.prob.Offer, m.values(meth))
	if err == nil {
		return cmd
	}
	for _, alt := range m.available() {
		if !alt.Baseline {
			m.set.Method = alt.Name
			m.notice = fmt.Sprintf("%s: showing %s", err, alt.Label)
			break
		}
	}
	m.updateKeys()
	return tea.Batch(cmd, m.schedule())
}

// paramKey handles a key of a method parameter: it moves the parameter
// along its ladder (or to auto) for every method that has it, and reruns
// the methods on screen that have it.
func (m *Model) paramKey(pk *ParamKeys, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	p := pk.Param
	var val string
	switch {
	case key.Matches(msg, pk.Auto):
		val = "auto"
	case key.Matches(msg, pk.Down, pk.Up):
		x, ok := m.paramNow(p)
		if !ok {
			return nil, true
		}
		val = method.FormatFloat(ladderStep(p.Ladder, x, key.Matches(msg, pk.Up)))
	default:
		return nil, false
	}
	m.set.Params = m.set.Params.With(p.Name, val)
	m.runs.cancel(methodNames(method.Having(p.Name))...)
	m.lab.Stop()
	return m.schedule(), true
}

func methodNames(ms []*method.Method) []string {
	var n []string
	for _, meth := range ms {
		n = append(n, meth.Name)
	}
	return n
}

// paramNow is a parameter's numeric value for the first method on screen
// that has it; "auto" takes its value at the step shown.
func (m *Model) paramNow(p *method.Param) (float64, bool) {
	for _, meth := range m.shownMethods() {
		if meth.Param(p.Name) == nil {
			continue
		}
		v := m.values(meth)
		if !v.Auto(p.Name) {
			x := v.Float(p.Name)
			return x, !math.IsNaN(x)
		}
		if p.AutoAt == nil {
			return p.Ladder[len(p.Ladder)/2], true
		}
		if rec, ok := m.record(m.runs.get(meth.Name)); ok {
			return p.AutoAt(rec.AlphaBar), true
		}
		return p.Ladder[len(p.Ladder)/2], true
	}
	return 0, false
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
//
// Comparing, both methods show the same step: the latest both have when
// the one asked for is not there yet.
func (m *Model) shownStep(s *slot) int {
	i := min(m.step, len(s.steps)-1)
	if m.compare {
		for _, meth := range m.comparePair() {
			if o := m.runs.get(meth.Name); o != nil && len(o.steps) > 0 {
				i = min(i, len(o.steps)-1)
			}
		}
	}
	return i
}

// updScale is the scale of the Δ panels at step i: the largest |Δ| of the
// methods on screen at that step, or over their run up to it (key f) —
// one scale for both when comparing.
func (m *Model) updScale(i int) float64 {
	mx := 0.0
	for _, meth := range m.shownMethods() {
		s := m.runs.get(meth.Name)
		if s == nil || len(s.steps) == 0 {
			continue
		}
		j := min(i, len(s.steps)-1)
		if m.runScale {
			mx = math.Max(mx, s.updMaxTo(len(s.steps)))
		} else {
			mx = math.Max(mx, s.steps[j].UpdMax)
		}
	}
	return mx
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
	for i := range k.Params {
		m.updateParamKeys(&k.Params[i])
	}
	k.SigmaDown.SetEnabled(ladderStep(sigmaLadder, m.set.Sigma, false) != m.set.Sigma)
	k.SigmaUp.SetEnabled(ladderStep(sigmaLadder, m.set.Sigma, true) != m.set.Sigma)
	k.Faster.SetEnabled(m.speed < len(speedLadder)-1)
	k.Slower.SetEnabled(m.speed > 0)
	k.Lab.SetEnabled(m.opts.Prior.Mixture != nil)
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
		p := m.comparePair()
		k.Compare.SetHelp("c", fmt.Sprintf("compare %s/%s", p[0].Label, p[1].Label))
	}
	k.Partner.SetEnabled(len(m.partners()) > 1 || (!m.compare && len(m.partners()) > 0))
	if m.runScale {
		k.RunScale.SetHelp("f", "Δ scale: per step")
	} else {
		k.RunScale.SetHelp("f", "Δ scale: whole run")
	}
	k.Snapshot.SetEnabled(m.opts.SnapshotDir != "")
	if m.Help.ShowAll {
		k.Help.SetHelp("?", "fewer keys")
	} else {
		k.Help.SetHelp("?", "more keys")
	}
	for _, b := range []*key.Binding{&k.TourNext, &k.TourPrev, &k.TourLeave} {
		b.SetEnabled(m.tour.on)
	}
	if m.tour.on {
		k.Tour.SetHelp("t", "leave the tour")
	} else {
		k.Tour.SetHelp("t", "guided tour")
	}
	if m.ratios {
		k.Chart.SetHelp("v", "chart: norms")
	} else {
		k.Chart.SetHelp("v", "chart: ratios to exact")
	}
}

// updateParamKeys enables a parameter's keys when a method on screen has
// it and the key would change its value.
func (m *Model) updateParamKeys(pk *ParamKeys) {
	p := pk.Param
	x, ok := m.paramNow(p)
	auto := false
	for _, meth := range m.shownMethods() {
		if meth.Param(p.Name) != nil {
			auto = m.values(meth).Auto(p.Name)
			break
		}
	}
	pk.Down.SetEnabled(ok && (auto || ladderStep(p.Ladder, x, false) != x))
	pk.Up.SetEnabled(ok && (auto || ladderStep(p.Ladder, x, true) != x))
	pk.Auto.SetEnabled(ok && p.AutoKey != "" && !auto)
}

// Step returns the step chosen by the user (for tests and callers).
func (m *Model) Step() int { return m.step }

// Settings returns the current settings.
func (m *Model) Settings() run.Settings { return m.set }

// Prior returns the prior the explorer shows.
func (m *Model) Prior() *prior.Prior { return m.opts.Prior }

func fmtG(x float64) string { return method.Fmt(x) }
