package export

import (
	"image"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"tweedie/core/imgio"
	"tweedie/core/run"
)

// Snapshot is one step of a run as a slide shows it: a title, image
// panels with their labels, the chart of the run's guidance norms so far
// with the step marked, and lines of text (the formula, the status).
type Snapshot struct {
	Title  string
	Panels []SnapshotPanel
	// Records are the run's steps so far, of Steps planned; Step is the
	// step shown. Method names the run in the chart's title.
	Records []run.Record
	Steps   int
	Step    int
	Method  string
	// Noise is the level σ·√m the residual is expected to reach (0: none).
	Noise float64
	Lines []string
}

// SnapshotPanel is an image with its label, in the colours it is to have.
type SnapshotPanel struct {
	Label string
	Image image.Image
}

// WriteSnapshotPNG draws the snapshot as a PNG at 120 dpi: the title, the
// panels in a row (each image upscaled ×8 by nearest neighbour), the chart
// and the lines, on white.
func WriteSnapshotPNG(w io.Writer, s Snapshot) error {
	const panelW = 1.7 // inches a panel, its label included
	width := vg.Length(max(9, panelW*float64(len(s.Panels))+0.2)) * vg.Inch
	titleH, panelsH, chartH := 0.4*vg.Inch, (panelW+0.3)*vg.Inch, 4.2*vg.Inch
	textH := vg.Length(len(s.Lines))*0.24*vg.Inch + 0.5*vg.Inch
	h := titleH + panelsH + chartH + textH
	c := vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(120), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	style := func(size vg.Length) draw.TextStyle {
		return draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, size), Handler: plot.DefaultTextHandler}
	}
	y := h - 0.3*vg.Inch
	dc.FillText(style(12), vg.Point{X: 0.1 * vg.Inch, Y: y}, s.Title)
	y -= titleH - 0.1*vg.Inch
	side := (panelW - 0.15) * vg.Inch
	for i, p := range s.Panels {
		x := 0.1*vg.Inch + vg.Length(i)*panelW*vg.Inch
		dc.FillText(style(9), vg.Point{X: x, Y: y - 0.12*vg.Inch}, p.Label)
		b := p.Image.Bounds()
		big := imgio.Resize(p.Image, 8*b.Dx(), 8*b.Dy())
		c.DrawImage(vg.Rectangle{Min: vg.Point{X: x, Y: y - 0.2*vg.Inch - side}, Max: vg.Point{X: x + side, Y: y - 0.2*vg.Inch}}, big)
	}
	y -= panelsH
	pl, err := GradNormPlot(s.Records, s.Steps, s.Method, s.Noise)
	if err != nil {
		return err
	}
	// The step shown.
	if cur, err := plotter.NewLine(plotter.XYs{{X: float64(s.Step), Y: pl.Y.Min}, {X: float64(s.Step), Y: pl.Y.Max}}); err == nil {
		cur.Color = color.RGBA{R: 200, G: 150, B: 0, A: 255}
		pl.Add(cur)
	}
	pl.Draw(draw.Crop(dc, 0, 0, y-chartH, -(h - y)))
	y -= chartH + 0.1*vg.Inch
	for _, l := range s.Lines {
		dc.FillText(style(10), vg.Point{X: 0.1 * vg.Inch, Y: y - 0.15*vg.Inch}, l)
		y -= 0.22 * vg.Inch
	}
	_, err = vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}
