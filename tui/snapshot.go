package tui

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/tui/halfblock"
)

// snapshotMsg reports a snapshot written (key P), or why not.
type snapshotMsg struct {
	Path string
	Err  error
}

// snapshot writes the step shown as a PNG for slides (export.Snapshot): the
// header, the panels on screen in their colours, the chart of the run so
// far and the formula. What is on screen is gathered here; the images are
// coloured, drawn and written in a command, off the UI: a task of the
// explorer's work, which the explorer waits for when it quits (a snapshot
// is not cut short: it takes a fraction of a second; served sessions take
// none).
func (m *Model) snapshot() tea.Cmd {
	if m.opts.SnapshotDir == "" {
		return nil
	}
	// The panels' images are taken here (they read the model); colouring
	// them is the command's.
	type shot struct {
		label string
		im    img.Image
		m     halfblock.Map
	}
	var panels []shot
	for _, p := range m.layout().panels {
		if p.image != nil {
			panels = append(panels, shot{p.label, p.image(), p.m})
		}
	}
	s := export.Snapshot{Steps: m.total(), Step: m.step, Method: m.method().Label, Noise: m.noiseLevel()}
	if sl := m.shown(); sl != nil && len(sl.steps) > 0 {
		s.Step = m.shownStep(sl)
		for _, sd := range sl.steps {
			s.Records = append(s.Records, sd.Rec)
		}
	}
	f1, f2 := m.formulaLines()
	s.Title = strings.TrimSpace(ansi.Strip(m.header()))
	s.Lines = []string{ansi.Strip(f1), ansi.Strip(f2)}
	for _, l := range m.statusLines() {
		s.Lines = append(s.Lines, ansi.Strip(l))
	}
	path := filepath.Join(m.opts.SnapshotDir, fmt.Sprintf("tweedie-%s-step%04d.png", m.method().Name, s.Step+1))
	return m.work.Cmd(func() tea.Msg {
		for _, p := range panels {
			s.Panels = append(s.Panels, export.SnapshotPanel{Label: p.label, Image: halfblock.RGBA(nil, p.im, p.m)})
		}
		err := export.AtomicFile(path, func(w io.Writer) error { return export.WriteSnapshotPNG(w, s) })
		return snapshotMsg{Path: path, Err: err}
	})
}
