package tui

import (
	"io"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Terminal is a terminal other than the process's own that the explorer
// can run on, such as an SSH session's pseudo-terminal.
type Terminal struct {
	Input  io.Reader
	Output io.Writer
	// Environ is the terminal's environment as its client reported it:
	// TERM, plus COLORTERM or NO_COLOR only when the client sent them.
	Environ []string
	// Width and Height are its size in cells; zero when unknown.
	Width, Height int
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
	popts := []tea.ProgramOption{
		tea.WithInput(t.Input),
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
	return &Session{program: tea.NewProgram(m, popts...), model: m, profile: profile}, nil
}

// Profile is the colour profile the session started with.
func (s *Session) Profile() colorprofile.Profile { return s.profile }

// Run runs the explorer until the user quits or Quit is called, then
// cancels its background runs so that nothing outlives the session.
func (s *Session) Run() error {
	_, err := s.program.Run()
	s.model.cancelRuns() // the event loop has ended: the model is ours again
	return err
}

// Resize tells the explorer its terminal's new size. Like Quit, it waits
// for Run to start and does nothing after Run.
func (s *Session) Resize(width, height int) {
	s.program.Send(tea.WindowSizeMsg{Width: width, Height: height})
}

// Quit ends the explorer as if the user had quit; Run then returns. It
// may be called from any goroutine; after Run it does nothing, and before
// Run it waits for Run to start (so call it on its own goroutine then).
func (s *Session) Quit() { s.program.Quit() }
