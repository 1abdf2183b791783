package tui

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/core/run"
	"tweedie/tui/halfblock"
)

// snapshotMsg reports a snapshot written (key P), or why not.
type snapshotMsg struct {
	Path string
	Err  error
}

// snapshotPanel is a panel as the snapshot draws it.
type snapshotPanel struct {
	label string
	image func() img.Image
	m     halfblock.Map
}

// snapshot writes the step shown as a PNG for slides: the header, the
// panels on screen with their labels, the chart of the run so far (with
// σ√m) and the formula. What it draws is gathered here; the drawing and
// the writing run in a command, off the UI: a task of the explorer's work,
// which the explorer waits for when it quits (a snapshot is not cut short:
// it takes a fraction of a second; served sessions take none).
func (m *Model) snapshot() tea.Cmd {
	if m.opts.SnapshotDir == "" {
		return nil
	}
	var panels []snapshotPanel
	for _, p := range m.layout().panels {
		if p.image != nil {
			panels = append(panels, snapshotPanel{label: p.label, image: p.image, m: p.m})
		}
	}
	var recs []run.Record
	total, step := m.total(), m.step
	if s := m.shown(); s != nil && len(s.steps) > 0 {
		step = m.shownStep(s)
		for _, sd := range s.steps {
			recs = append(recs, sd.Rec)
		}
	}
	f1, f2 := m.formulaLines()
	title := strings.TrimSpace(ansi.Strip(m.header()))
	lines := []string{ansi.Strip(f1), ansi.Strip(f2)}
	for _, l := range m.statusLines() {
		lines = append(lines, ansi.Strip(l))
	}
	name := m.method().Label
	noise := m.noiseLevel()
	path := filepath.Join(m.opts.SnapshotDir, fmt.Sprintf("tweedie-%s-step%04d.png", m.method().Name, step+1))
	return m.work.Cmd(func() tea.Msg {
		err := writeSnapshot(path, title, panels, recs, total, step, name, noise, lines)
		return snapshotMsg{Path: path, Err: err}
	})
}

func writeSnapshot(path, title string, panels []snapshotPanel, recs []run.Record, steps, step int, method string, noise float64, lines []string) error {
	const panelW = 1.7 // inches a panel, its label included
	w := vg.Length(max(9, panelW*float64(len(panels))+0.2)) * vg.Inch
	titleH, panelsH, chartH := 0.4*vg.Inch, (panelW+0.3)*vg.Inch, 4.2*vg.Inch
	textH := vg.Length(len(lines))*0.24*vg.Inch + 0.5*vg.Inch
	h := titleH + panelsH + chartH + textH
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(120), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	style := func(size vg.Length) draw.TextStyle {
		return draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, size), Handler: plot.DefaultTextHandler}
	}
	y := h - 0.3*vg.Inch
	dc.FillText(style(12), vg.Point{X: 0.1 * vg.Inch, Y: y}, title)
	y -= titleH - 0.1*vg.Inch
	side := (panelW - 0.15) * vg.Inch
	for i, p := range panels {
		x := 0.1*vg.Inch + vg.Length(i)*panelW*vg.Inch
		dc.FillText(style(9), vg.Point{X: x, Y: y - 0.12*vg.Inch}, p.label)
		small := halfblock.RGBA(nil, p.image(), p.m)
		rgba := imgio.Resize(small, 8*small.Rect.Dx(), 8*small.Rect.Dy())
		c.DrawImage(vg.Rectangle{Min: vg.Point{X: x, Y: y - 0.2*vg.Inch - side}, Max: vg.Point{X: x + side, Y: y - 0.2*vg.Inch}}, rgba)
	}
	y -= panelsH
	pl, err := export.GradNormPlot(recs, steps, method, noise)
	if err != nil {
		return err
	}
	// The step shown.
	if cur, err := plotter.NewLine(plotter.XYs{{X: float64(step), Y: pl.Y.Min}, {X: float64(step), Y: pl.Y.Max}}); err == nil {
		cur.Color = color.RGBA{R: 200, G: 150, B: 0, A: 255}
		pl.Add(cur)
	}
	pl.Draw(draw.Crop(dc, 0, 0, y-chartH, -(h - y)))
	y -= chartH + 0.1*vg.Inch
	for _, l := range lines {
		dc.FillText(style(10), vg.Point{X: 0.1 * vg.Inch, Y: y - 0.15*vg.Inch}, l)
		y -= 0.22 * vg.Inch
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
