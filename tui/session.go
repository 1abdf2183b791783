package tui

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"

	"tweedie/tui/gfx"
	"tweedie/tui/inputfilter"
	"tweedie/tui/termcaps"
)

// Terminal is a terminal other than the process's own that the explorer
// can run on, such as an SSH session's pseudo-terminal.
type Terminal struct {
	// Input is read until a Read fails: Session.Run stops passing it on
	// when it returns, but a Read under way then is left to end on its own
	// (an SSH server closes the input when the session ends). It is read
	// through an inputfilter.Reader, which waits for the rest of a
	// sequence after a lone ESC when Input is an inputfilter.Ready.
	Input  io.Reader
	Output io.Writer
	// Environ is the terminal's environment as its client reported it:
	// TERM, plus COLORTERM or NO_COLOR only when the client sent them.
	Environ []string
	// Width and Height are its size in cells; zero when unknown.
	Width, Height int
	// Cell is the size of a cell in pixels as the client reported it
	// (an SSH pty-req's pixel sizes over its cells: CellOf); zero when
	// unknown. Sixel images are sized from it unless the terminal itself
	// answers CSI 16 t or 14 t.
	Cell termcaps.Size
}

// CellOf is the cell size of a window of cols×rows cells and pw×ph
// pixels, or zero when either is unknown (zero), the cell would be outside
// 1×1 to termcaps.MaxCell, or it is not taller than wide: terminal cells
// are, and golang.org/x/crypto/ssh's client sends 8×8-pixel cells whatever
// its terminal has.
func CellOf(cols, rows, pw, ph int) termcaps.Size {
	if cols <= 0 || rows <= 0 || pw <= 0 || ph <= 0 {
		return termcaps.Size{}
	}
	c := termcaps.Size{W: pw / cols, H: ph / rows}
	if c.W < 1 || c.H <= c.W || c.W > termcaps.MaxCell.W || c.H > termcaps.MaxCell.H {
		return termcaps.Size{}
	}
	return c
}

// EnvProfile returns the colour profile a terminal with the environment
// env supports: NO_COLOR set to anything gives ASCII (as in Run); otherwise
// TERM and COLORTERM decide (colorprofile.Env).
func EnvProfile(env []string) colorprofile.Profile {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			return colorprofile.ASCII
		}
	}
	return colorprofile.Env(env)
}

// Session is one explorer running on a Terminal, with its own state.
// Several can run in one process: each reads its own input, writes its own
// output and takes its terminal's environment from Terminal.Environ (the
// program's EnvMsg replaces what New read from the process); none handles
// the process's signals.
type Session struct {
	program *tea.Program
	model   *Model
	profile colorprofile.Profile
	input   io.Reader
	term    string
	silent  *silentInput
	failed  atomic.Pointer[error] // a panic reading the input
}

// NewSession returns an explorer for the options on the terminal. Its
// colour profile is opts.Profile when given; otherwise it starts from
// EnvProfile(t.Environ), and the explorer may still upgrade it from the
// terminal's replies (as it does locally). opts.ProgramOptions come last,
// so they can override the others.
func NewSession(opts Options, t Terminal) (*Session, error) {
	profile := opts.Profile
	if profile == colorprofile.Unknown {
		profile = EnvProfile(t.Environ)
	}
	m, err := New(opts)
	if err != nil {
		return nil, err
	}
	m.gfx.SetHint(t.Cell)
	m.applyTheme(t.Environ) // the client's COLORFGBG, if it sent one
	silent := &silentInput{done: make(chan struct{})}
	var progInput io.Reader // nil: no input
	if t.Input != nil {
		progInput = silent // Run reads t.Input
	}
	popts := []tea.ProgramOption{
		tea.WithInput(progInput),
		tea.WithOutput(t.Output),
		tea.WithEnvironment(t.Environ),
		tea.WithColorProfile(profile),
		// The process's signals belong to whoever hosts the sessions.
		tea.WithoutSignalHandler(),
		// ctrl+z would stop the host process, not the remote terminal.
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.SuspendMsg); ok {
				return tea.ResumeMsg{}
			}
			return msg
		}),
	}
	if t.Width > 0 && t.Height > 0 {
		popts = append(popts, tea.WithWindowSize(t.Width, t.Height))
	}
	popts = append(popts, opts.ProgramOptions...)
	var term string
	for _, kv := range t.Environ {
		if v, ok := strings.CutPrefix(kv, "TERM="); ok {
			term = v
		}
	}
	return &Session{program: tea.NewProgram(m, popts...), model: m, profile: profile,
		input: t.Input, term: term, silent: silent}, nil
}

// Profile is the colour profile the session started with.
func (s *Session) Profile() colorprofile.Profile { return s.profile }

// Run runs the explorer until the user quits or Quit is called, then
// ends everything the session started in the background (runs, the lab,
// the exact posterior …) and waits for it to return (at most
// finishWait), so that nothing outlives the session; when the last
// session of the process has ended and its work has returned, the memory
// the sessions used goes back to the operating system. A panic while
// reading the input ends the explorer, and Run returns it with its stack.
//
// Run reads the terminal's input itself, with the reader bubbletea would
// use, and passes its events on with Send, which gives up once the
// program has ended. The program's own reader (bubbletea v2.1.1) sends
// to the event loop without looking at the program's end: input that
// came as the program ended blocked it for good, with the whole session
// in its hands. The program is given an input that says nothing and ends
// with Run.
func (s *Session) Run() error {
	if s.input != nil {
		stop := s.passInput()
		defer stop()
	}
	defer s.silent.close()
	sessionStarted()
	_, err := s.program.Run()
	s.model.finish(sessionEnded) // the event loop has ended: the model is ours again
	if p := s.failed.Load(); p != nil {
		return *p
	}
	return err
}

// liveSessions counts the sessions running in the process.
var liveSessions struct {
	sync.Mutex
	n int
}

func sessionStarted() {
	liveSessions.Lock()
	liveSessions.n++
	liveSessions.Unlock()
}

// sessionEnded is called once a session's background work has returned.
// After the last session it returns the heap the sessions grew to, now
// garbage, to the operating system: the runtime would otherwise keep it
// for minutes (until a periodic GC and its scavenger), and a server that
// had eight busy sessions would hold hundreds of MB while idle.
func sessionEnded() {
	liveSessions.Lock()
	liveSessions.n--
	last := liveSessions.n == 0
	liveSessions.Unlock()
	if last {
		debug.FreeOSMemory()
	}
}

// recovered, deferred in the goroutines reading the input, turns a panic
// there into the end of the explorer and Run's error (fail).
func (s *Session) recovered() {
	if r := recover(); r != nil {
		s.fail(r)
	}
}

// fail ends the explorer on a panic r, which Run returns with its stack.
// It quits the program as the user would (the input's panic leaves the
// event loop as it was), from a goroutine of its own since Quit waits for
// the program to start.
func (s *Session) fail(r any) {
	err := fmt.Errorf("reading the terminal's input: panic: %v\n%s", r, debug.Stack())
	s.failed.CompareAndSwap(nil, &err)
	go s.program.Quit()
}

// panicSafe reads r for the input decoder, which reads on a goroutine of
// its own: a panic in r's Read ends the explorer (Session.fail) and the
// decoder's reading.
type panicSafe struct {
	s *Session
	r io.Reader
}

func (p panicSafe) Read(b []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.s.fail(r)
			n, err = 0, io.ErrUnexpectedEOF
		}
	}()
	return p.r.Read(b)
}

// passInput passes the input's events, filtered (inputfilter), to the
// program until stop is called; after stop, the goroutines still reading
// hold nothing of the session and end with the Read under way.
func (s *Session) passInput() (stop func()) {
	var prog atomic.Pointer[tea.Program]
	prog.Store(s.program)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan uv.Event)
	read := make(chan struct{})
	r := uv.NewTerminalReader(panicSafe{s, inputfilter.NewReader(s.input)}, s.term)
	go func() {
		defer close(read)
		defer s.recovered()
		r.StreamEvents(ctx, events)
	}()
	go func() {
		defer s.recovered()
		for {
			select {
			case ev := <-events:
				if p := prog.Load(); p != nil {
					p.Send(ev) // returns once the program has ended
				}
			case <-read:
				return
			}
		}
	}()
	return func() {
		prog.Store(nil)
		cancel()
	}
}

// silentInput is the program's own input: it blocks until closed, then
// ends.
type silentInput struct {
	once sync.Once
	done chan struct{}
}

func (in *silentInput) Read([]byte) (int, error) {
	<-in.done
	return 0, io.EOF
}

func (in *silentInput) close() { in.once.Do(func() { close(in.done) }) }

// Resize tells the explorer its terminal's new size in cells, and the
// cell size in pixels the client reported with it (zero: unknown). Like
// Quit, it waits for Run to start and does nothing after Run.
func (s *Session) Resize(width, height int, cell termcaps.Size) {
	s.program.Send(gfx.HintMsg{Cell: cell})
	s.program.Send(tea.WindowSizeMsg{Width: width, Height: height})
}

// Quit ends the explorer as if the user had quit; Run then returns. It
// may be called from any goroutine; after Run it does nothing, and before
// Run it waits for Run to start (so call it on its own goroutine then).
func (s *Session) Quit() { s.program.Quit() }
