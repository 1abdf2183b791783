package halfblock

import (
	"image"

	"tweedie/core/img"
)

// RGBA returns im at its own resolution with the colours a half-block
// drawing gives it (the map, RGB images as they are, unobserved pixels as
// the dim checker): the source that pixel-graphics encoders (sixel, kitty)
// scale to a panel. dst is reused when it has the right size. An image
// whose Pix is shorter than its shape says gives an empty image.
func RGBA(dst *image.RGBA, im img.Image, m Map) *image.RGBA {
	s := im.Shape
	if !valid(im) {
		return image.NewRGBA(image.Rectangle{})
	}
	if dst == nil || dst.Rect.Dx() != s.W || dst.Rect.Dy() != s.H {
		dst = image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	}
	g := resample(im, Options{Scale: 1})
	for y := 0; y < g.h; y++ {
		p := dst.Pix[y*dst.Stride:]
		for x := 0; x < g.w; x++ {
			c, _ := g.color(m, x, y) // y < g.h: always a pixel
			p[4*x], p[4*x+1], p[4*x+2], p[4*x+3] = c.R, c.G, c.B, 255
		}
	}
	return dst
}
