package export

import (
	"bytes"
	"image/png"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestLabPlotsDecode: the panels and the heat map are PNGs of the size
// asked, NaN cells and breaks included; a mismatched grid is refused.
func TestLabPlotsDecode(t *testing.T) {
	nan := math.NaN()
	var b bytes.Buffer
	err := WritePanelsPNG(&b, 6*vg.Inch, 3*vg.Inch, []LinePanel{
		{Title: "TV", XLabel: "t", InvertX: true, Series: []Series{
			{Name: "a", X: []float64{1000, 500, 0}, Y: []float64{0, nan, 0.3}},
			{Name: "exact", X: []float64{1000, 500, 0}, Y: []float64{0, 0.01, 0.02}, Lo: []float64{0, 0, 0}, Hi: []float64{0.01, 0.02, 0.04}, Grey: true},
		}},
		{Title: "NLL", Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{3, 4}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != int(6*vg.Inch/vg.Inch*96) && w < 100 || h <= w/2 {
		t.Errorf("panels %d×%d", w, h)
	}
	b.Reset()
	hm := HeatMap{Title: "SW", XLabel: "ζ", ZLabel: "SW", XTicks: []string{"0.1", "1", "10"}, Rows: []string{"DPS", "MCG"},
		Z: [][]float64{{1, 2, nan}, {0.5, 4, 8}}, Log: true}
	if err := WriteHeatMapPNG(&b, 6*vg.Inch, 3*vg.Inch, hm); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&b); err != nil {
		t.Fatal(err)
	}
	hm.Rows = hm.Rows[:1]
	if err := WriteHeatMapPNG(&b, 6*vg.Inch, 3*vg.Inch, hm); err == nil {
		t.Error("mismatched heat map accepted")
	}
}
