package export

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one line of a LinePanel: Y over X, with an optional shaded
// band [Lo, Hi] (nil for none). Points with a non-finite Y break the line.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
	// Grey draws the series (and its band) in grey, dashed: a reference.
	Grey bool
}

// LinePanel is one chart of lines.
type LinePanel struct {
	Title, XLabel, YLabel string
	// InvertX draws X from right to left (time runs from T down to 0).
	InvertX bool
	Series  []Series
}

// finiteRuns splits the points with finite coordinates into runs.
func finiteRuns(x, y []float64) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i := range x {
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			if len(cur) > 0 {
				runs, cur = append(runs, cur), nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: x[i], Y: y[i]})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

func (lp LinePanel) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = lp.Title
	p.X.Label.Text, p.Y.Label.Text = lp.XLabel, lp.YLabel
	if lp.InvertX {
		p.X.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	for i, s := range lp.Series {
		if len(s.X) != len(s.Y) || (s.Lo != nil && (len(s.Lo) != len(s.X) || len(s.Hi) != len(s.X))) {
			return nil, fmt.Errorf("plot %q: series %q has mismatched lengths", lp.Title, s.Name)
		}
		col := plotutil.Color(i)
		if s.Grey {
			col = color.RGBA{R: 110, G: 110, B: 110, A: 255}
		}
		if s.Lo != nil {
			for _, lo := range finiteRuns(s.X, s.Lo) {
				var poly plotter.XYs
				hiByX := map[float64]float64{}
				for j := range s.X {
					hiByX[s.X[j]] = s.Hi[j]
				}
				poly = append(poly, lo...)
				for j := len(lo) - 1; j >= 0; j-- {
					poly = append(poly, plotter.XY{X: lo[j].X, Y: hiByX[lo[j].X]})
				}
				pg, err := plotter.NewPolygon(poly)
				if err != nil {
					return nil, err
				}
				r, g, b, _ := col.RGBA()
				pg.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 50}
				pg.LineStyle.Width = 0
				p.Add(pg)
			}
		}
		for j, run := range finiteRuns(s.X, s.Y) {
			l, err := plotter.NewLine(run)
			if err != nil {
				return nil, err
			}
			l.Color = col
			l.Width = vg.Points(1.3)
			if s.Grey {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			}
			p.Add(l)
			if j == 0 {
				p.Legend.Add(s.Name, l)
			}
		}
	}
	return p, nil
}

// WritePanelsPNG draws the panels stacked, each width × panelHeight, as a PNG.
func WritePanelsPNG(w io.Writer, width, panelHeight vg.Length, panels []LinePanel) error {
	if len(panels) == 0 {
		return errors.New("no panels to draw")
	}
	plots := make([][]*plot.Plot, len(panels))
	for i, lp := range panels {
		p, err := lp.plot()
		if err != nil {
			return err
		}
		plots[i] = []*plot.Plot{p}
	}
	img := vgimg.New(width, panelHeight*vg.Length(len(panels)))
	dc := draw.New(img)
	canvases := plot.Align(plots, draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: vg.Millimeter * 3,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// HeatMap is a grid of values: Rows (e.g. methods) by columns (e.g. the
// values of a swept parameter), Z[row][col], NaN for no value.
type HeatMap struct {
	Title, XLabel, ZLabel string
	XTicks                []string // a label per column
	Rows                  []string // a label per row
	Z                     [][]float64
	// Log colours by log10 of Z (positive values; others are NaN's grey).
	Log bool
}

type heatGrid struct {
	z   [][]float64
	log bool
}

func (g heatGrid) Dims() (c, r int) { return len(g.z[0]), len(g.z) }
func (g heatGrid) X(c int) float64  { return float64(c) }
func (g heatGrid) Y(r int) float64  { return float64(r) }
func (g heatGrid) Z(c, r int) float64 {
	v := g.z[r][c]
	if g.log {
		if !(v > 0) {
			return math.NaN()
		}
		return math.Log10(v)
	}
	return v
}

type nominalTicks []string

func (t nominalTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for i, s := range t {
		out = append(out, plot.Tick{Value: float64(i), Label: s})
	}
	return out
}

// WriteHeatMapPNG draws the heat map with each cell's value written in it
// and a colour legend, as a PNG of width × height.
func WriteHeatMapPNG(w io.Writer, width, height vg.Length, hm HeatMap) error {
	if len(hm.Z) == 0 || len(hm.Z[0]) == 0 || len(hm.Rows) != len(hm.Z) || len(hm.XTicks) != len(hm.Z[0]) {
		return errors.New("heat map: empty or mismatched grid")
	}
	g := heatGrid{z: hm.Z, log: hm.Log}
	lo, hi := math.Inf(1), math.Inf(-1)
	c, r := g.Dims()
	for i := 0; i < c; i++ {
		for j := 0; j < r; j++ {
			if v := g.Z(i, j); !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi == lo {
		hi = lo + 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	pal := cm.Palette(64)
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = lo, hi
	h.NaN = color.RGBA{R: 200, G: 200, B: 200, A: 255}
	p := plot.New()
	p.Title.Text = hm.Title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = hm.XLabel
	p.X.Tick.Marker = nominalTicks(hm.XTicks)
	p.Y.Tick.Marker = nominalTicks(hm.Rows)
	p.Add(h)
	var labels plotter.XYLabels
	for j := 0; j < r; j++ {
		for i := 0; i < c; i++ {
			v := hm.Z[j][i]
			text := "—"
			if !math.IsNaN(v) {
				text = fmt.Sprintf("%.3g", v)
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: float64(j)})
			labels.Labels = append(labels.Labels, text)
		}
	}
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(lb)
	// Colour legend: the palette's range in a thin strip.
	leg := plot.New()
	leg.HideX()
	leg.Title.Text = " "
	leg.Title.Padding = vg.Points(8)
	leg.Y.Label.Text = hm.ZLabel
	if hm.Log {
		leg.Y.Label.Text = "log10 " + hm.ZLabel
	}
	cb := &plotter.ColorBar{ColorMap: cm, Vertical: true}
	leg.Add(cb)
	img := vgimg.New(width, height)
	dc := draw.New(img)
	legW := vg.Length(0.12) * width
	main := draw.Crop(dc, vg.Points(8), -legW, vg.Points(4), 0)
	side := draw.Crop(dc, width-legW, 0, vg.Points(4), 0)
	p.Draw(main)
	leg.Draw(side)
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
