package imgio

import (
	"image"
	"image/color"
	"testing"
)

func TestResize(t *testing.T) {
	src := image.NewNRGBA(image.Rect(2, 3, 4, 5)) // 2×2, offset bounds
	src.Set(2, 3, color.NRGBA{R: 255, A: 255})
	src.Set(3, 3, color.NRGBA{G: 255, A: 255})
	src.Set(2, 4, color.NRGBA{B: 255, A: 255})
	src.Set(3, 4, color.NRGBA{R: 255, G: 255, B: 255, A: 128}) // half transparent
	big := Resize(src, 6, 6)
	for y := range 6 {
		for x := range 6 {
			want := src.NRGBAAt(2+x/3, 3+y/3)
			got := big.RGBAAt(x, y)
			if want.A == 128 { // over black
				want = color.NRGBA{R: 128, G: 128, B: 128, A: 255}
			}
			if got != (color.RGBA{R: want.R, G: want.G, B: want.B, A: 255}) {
				t.Fatalf("enlarged (%d,%d) = %v, want the block of %v", x, y, got, want)
			}
		}
	}

	// A fine checkerboard shrunk 4× is grey: the filter averages.
	chk := image.NewGray(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			if (x+y)%2 == 0 {
				chk.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	small := Resize(chk, 4, 4)
	for y := range 4 {
		for x := range 4 {
			if g := small.RGBAAt(x, y).G; g < 100 || g > 155 {
				t.Errorf("shrunk checkerboard (%d,%d) = %d, want about 128", x, y, g)
			}
		}
	}
}
