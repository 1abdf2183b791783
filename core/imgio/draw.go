package imgio

import (
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"math"

	"tweedie/core/img"
)

// MissingColour is how pixels with no value (NaN: the unobserved pixels of
// an inpainting measurement, or a diverged state) are drawn.
var MissingColour = color.RGBA{R: 255, G: 0, B: 255, A: 255} // magenta

// ViewScale returns the integer factor that makes an image of the given
// shape at least minViewSize pixels on its longer side (8 for 28×28).
func ViewScale(s img.Shape) int {
	const minViewSize = 224
	n := max(s.H, s.W)
	if n <= 0 {
		return 1
	}
	return max(1, (minViewSize+n-1)/n)
}

// to8bit maps v in [-1, 1] to 0..255, clipping outside.
func to8bit(v float64) uint8 {
	x := math.Round((v + 1) * 127.5)
	switch {
	case x <= 0:
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x)
}

// pixelColour is the colour of pixel (y, x): gray for one channel, RGB for
// three (other channel counts show the first channel as gray), and
// MissingColour when a value is NaN.
func pixelColour(im img.Image, y, x int) color.RGBA {
	s := im.Shape
	at := func(c int) float64 { return im.Pix[s.Index(y, x, c)] }
	if s.C == 3 {
		r, g, b := at(0), at(1), at(2)
		if math.IsNaN(r) || math.IsNaN(g) || math.IsNaN(b) {
			return MissingColour
		}
		return color.RGBA{R: to8bit(r), G: to8bit(g), B: to8bit(b), A: 255}
	}
	v := at(0)
	if math.IsNaN(v) {
		return MissingColour
	}
	g := to8bit(v)
	return color.RGBA{R: g, G: g, B: g, A: 255}
}

// drawImage draws im into dst at (x0, y0), each pixel a scale×scale block.
func drawImage(dst draw.Image, im img.Image, x0, y0, scale int) {
	big := RGBA(im, scale)
	draw.Draw(dst, big.Rect.Add(image.Pt(x0, y0)), big, image.Point{}, draw.Src)
}

// RGBA turns im into an RGBA image upscaled by scale.
func RGBA(im img.Image, scale int) *image.RGBA {
	s := im.Shape
	px := image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	for y := 0; y < s.H; y++ {
		for x := 0; x < s.W; x++ {
			px.Set(x, y, pixelColour(im, y, x))
		}
	}
	return Resize(px, s.W*scale, s.H*scale)
}

// GridGap is the gap in pixels between the panels of a grid or GIF frame.
const GridGap = 4

// Grid lays images of one shape out in rows of cols, upscaled by
// scale, on a dark background.
func Grid(ims []img.Image, cols, scale int) *image.RGBA {
	if len(ims) == 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	cols = max(1, min(cols, len(ims)))
	rows := (len(ims) + cols - 1) / cols
	s := ims[0].Shape
	w, h := s.W*scale, s.H*scale
	out := image.NewRGBA(image.Rect(0, 0, cols*w+(cols-1)*GridGap, rows*h+(rows-1)*GridGap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{R: 40, G: 40, B: 40, A: 255}), image.Point{}, draw.Src)
	for i, im := range ims {
		drawImage(out, im, (i%cols)*(w+GridGap), (i/cols)*(h+GridGap), scale)
	}
	return out
}

// gifPalette is 254 grays, the missing colour and the background.
var gifPalette = func() color.Palette {
	p := make(color.Palette, 0, 256)
	for i := 0; i < 254; i++ {
		g := uint8(math.Round(float64(i) * 255 / 253))
		p = append(p, color.RGBA{R: g, G: g, B: g, A: 255})
	}
	return append(p, MissingColour, color.RGBA{R: 40, G: 40, B: 40, A: 255})
}()

// paletted converts a rendered frame for a GIF: the gray palette for
// one-channel images, Plan 9's for colour.
func paletted(src *image.RGBA, colour bool) *image.Paletted {
	p := gifPalette
	if colour {
		p = append(color.Palette{MissingColour}, palette.Plan9[:255]...)
	}
	dst := image.NewPaletted(src.Bounds(), p)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	return dst
}

// WriteGIF writes n frames (each a row of panels, made by frame(i) when
// its turn comes: one frame's images are alive at a time) as an endless
// animation, delay in 1/100 s per frame and a longer pause on the last.
func WriteGIF(w io.Writer, n int, frame func(i int) []img.Image, scale, delay int) error {
	anim := &gif.GIF{}
	for i := range n {
		panels := frame(i)
		colour := len(panels) > 0 && panels[0].Shape.C == 3
		anim.Image = append(anim.Image, paletted(Grid(panels, len(panels), scale), colour))
		d := delay
		if i == n-1 {
			d = 150
		}
		anim.Delay = append(anim.Delay, d)
	}
	return gif.EncodeAll(w, anim)
}

// WritePNG encodes im as PNG.
func WritePNG(w io.Writer, im image.Image) error { return png.Encode(w, im) }
