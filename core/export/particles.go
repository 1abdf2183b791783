package export

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ParticleSeries is a particle method's lab figures against its number of
// particles N.
type ParticleSeries struct {
	Method string
	N      []int
	// TV and SW are the lab's distances to the exact posterior at each N.
	TV, SW []float64
}

// particleColours are the series' colours, in order.
var particleColours = []color.Color{
	color.RGBA{R: 200, G: 40, B: 40, A: 255},
	color.RGBA{R: 40, G: 80, B: 200, A: 255},
	color.RGBA{R: 30, G: 140, B: 60, A: 255},
}

// WriteParticlePlot draws TV and SW against N (log scale) for each series,
// side by side, with the exact samplers' floors as grey dashed lines, as
// a PNG.
func WriteParticlePlot(w io.Writer, series []ParticleSeries, tvFloor, swFloor float64) error {
	if len(series) == 0 {
		return errors.New("export: no particle series")
	}
	tv, err := particlePanel(series, "TV of the mode frequencies", func(s ParticleSeries) []float64 { return s.TV }, tvFloor)
	if err != nil {
		return err
	}
	sw, err := particlePanel(series, "sliced Wasserstein-2", func(s ParticleSeries) []float64 { return s.SW }, swFloor)
	if err != nil {
		return err
	}
	width, height := 10*vg.Inch, 4*vg.Inch
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align([][]*plot.Plot{{tv, sw}}, tiles, dc)
	tv.Draw(canvases[0][0])
	sw.Draw(canvases[0][1])
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

func particlePanel(series []ParticleSeries, title string, value func(ParticleSeries) []float64, floor float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title + " vs particles"
	p.X.Label.Text = "particles N (log scale)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, s := range series {
		vals := value(s)
		if len(vals) != len(s.N) {
			return nil, fmt.Errorf("export: %s has %d values for %d N", s.Method, len(vals), len(s.N))
		}
		var xy plotter.XYs
		for i, n := range s.N {
			if n >= 1 && !math.IsNaN(vals[i]) {
				xy = append(xy, plotter.XY{X: float64(n), Y: vals[i]})
				lo, hi = math.Min(lo, float64(n)), math.Max(hi, float64(n))
			}
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Color = particleColours[k%len(particleColours)], particleColours[k%len(particleColours)]
		p.Add(l, pts)
		p.Legend.Add(s.Method, l, pts)
	}
	if !math.IsNaN(floor) && lo <= hi {
		f, err := plotter.NewLine(plotter.XYs{{X: lo, Y: floor}, {X: hi, Y: floor}})
		if err != nil {
			return nil, err
		}
		f.Color = color.Gray{Y: 120}
		f.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(f)
		p.Legend.Add("exact samples (floor)", f)
	}
	p.Y.Min = 0
	return p, nil
}
