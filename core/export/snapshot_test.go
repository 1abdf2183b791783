package export

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"tweedie/core/run"
)

// TestSnapshotPNG: the snapshot is a PNG wide enough for a slide whose
// panel row shows the panels' own colours.
func TestSnapshotPNG(t *testing.T) {
	red := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(red.Pix); i += 4 {
		red.Pix[i], red.Pix[i+3] = 255, 255
	}
	recs := []run.Record{{Index: 0, GNorm: 1, UpdateNorm: 0.5, Residual: 2, GExactNorm: 1.5}, {Index: 1, GNorm: 2, UpdateNorm: 0.4, Residual: 1, GExactNorm: 1.2}}
	var b bytes.Buffer
	err := WriteSnapshotPNG(&b, Snapshot{Title: "t", Panels: []SnapshotPanel{{Label: "red", Image: red}}, Records: recs, Steps: 10, Step: 1,
		Method: "ΠG", Noise: 1, Lines: []string{"g = Jᵀ Aᵀ"}})
	if err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds().Dx() < 1000 {
		t.Errorf("%d px wide, too narrow for a slide", im.Bounds().Dx())
	}
	reds := 0
	for y := 0; y < im.Bounds().Dy()/3; y++ {
		for x := 0; x < 300; x++ {
			if c := color.RGBAModel.Convert(im.At(x, y)).(color.RGBA); c.R == 255 && c.G == 0 && c.B == 0 {
				reds++
			}
		}
	}
	if reds < 100*100 {
		t.Errorf("%d red pixels in the panel row, want the panel's square", reds)
	}
}
