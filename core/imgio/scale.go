package imgio

import (
	"image"
	"image/color"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// Resize returns src scaled to w×h pixels, composed over black (alpha is
// dropped): by nearest neighbour when neither side shrinks, so that pixels
// stay sharp blocks on slides and in sixel; by Catmull–Rom, whose kernel
// widens with the reduction so that it averages what it drops, when one
// does. It is the one image scaler of the program.
func Resize(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.Black), image.Point{}, draw.Src)
	var s xdraw.Scaler = xdraw.CatmullRom
	if w >= b.Dx() && h >= b.Dy() {
		s = xdraw.NearestNeighbor
	}
	s.Scale(dst, dst.Rect, src, b, draw.Over, nil)
	return dst
}
