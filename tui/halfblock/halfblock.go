// Package halfblock draws images in a terminal with one cell per pixel
// column and two pixel rows: the cell holds '▀' with the foreground set to
// the top pixel and the background to the bottom one. Below an odd height
// the last row's bottom halves keep the terminal's default background.
//
// Colours are written as 24-bit SGR codes, merged across runs of equal
// colours; the Bubble Tea renderer converts them down to the terminal's
// profile. Without colour (NO_COLOR, ASCII profile) each cell becomes one
// character of a grayscale ramp instead.
//
// Pixels that are NaN have no value (the unobserved pixels of an
// inpainting measurement) and are drawn as a dim checker (a hatch '░' in
// ASCII mode).
package halfblock

import (
	"math"
	"strconv"
	"strings"

	"tweedie/core/img"
)

// Ramp is the grayscale character ramp of ASCII mode, dark to bright.
const Ramp = " .:-=+*#%@"

// hatch is the character of an unobserved cell in ASCII mode.
const hatch = '░'

// RGB is a 24-bit colour.
type RGB struct{ R, G, B uint8 }

// MapKind says how a pixel value becomes a colour.
type MapKind int

const (
	// Gray maps [-1, 1] to black…white (clamped).
	Gray MapKind = iota
	// Diverging maps [-Scale, Scale] to blue…white…red (clamped): a signed
	// colour map for guidance updates.
	Diverging
	// Heat maps [0, Scale] to black…yellow…white: for standard deviations.
	Heat
)

// Map is a colour map.
type Map struct {
	Kind MapKind
	// Scale is the value that maps to the end of the Diverging and Heat maps.
	Scale float64
}

// Options are how an image is drawn.
type Options struct {
	// Scale repeats every pixel Scale×Scale times (Scale ≥ 1). A negative
	// Scale -f shrinks the image by averaging f×f blocks instead.
	Scale int
	// Half adds ½ to a Scale ≥ 1: the image is drawn at (Scale + ½) times
	// its size, pixels repeated Scale or Scale + 1 times in turn (nearest
	// neighbour), so a layout can take sizes between the whole scales.
	Half bool
	Map  Map
	// ASCII draws a grayscale character ramp with no colour codes.
	ASCII bool
}

// MaxSide bounds the pixel columns and rows of a drawing and MaxPixels
// their product: Size and Render lower Options.Scale (shrinking if need
// be) until the drawing fits, before allocating anything.
const (
	MaxSide   = 4096
	MaxPixels = 1 << 21
)

// fit returns the scale Render uses for an image of the shape: scale, or
// the largest smaller one (a shrink -f when even 1 is too large) whose
// drawing fits MaxSide and MaxPixels. Scales in [-1, 1] are 1.
func fit(s img.Shape, scale int) int {
	W, H := s.W, s.H
	if scale > 1 {
		// The largest scale ≤ scale within the limits, or 1.
		k := min(scale, MaxSide/W, MaxSide/H, int(math.Sqrt(MaxPixels/(float64(W)*float64(H)))))
		for k > 1 && W*k*H*k > MaxPixels {
			k--
		}
		if k > 1 {
			return k
		}
	}
	f := 1
	if scale < -1 {
		f = min(-(scale+1), max(W, H)) + 1 // -scale without overflow; f ≥ max(W, H) draws 1×1
	}
	for {
		w, h := (W+f-1)/f, (H+f-1)/f
		if w <= MaxSide && h <= MaxSide && w*h <= MaxPixels {
			break
		}
		f = max(f+1, (W+MaxSide-1)/MaxSide, (H+MaxSide-1)/MaxSide)
	}
	if f == 1 {
		return 1
	}
	return -f
}

// SizeOf returns the size in cells (columns, rows) that Render gives an
// image of the shape with the options' Scale and Half.
func SizeOf(s img.Shape, o Options) (w, h int) {
	if num, ok := halfScale(s, o); ok {
		return s.W * num / 2, (s.H*num/2 + 1) / 2
	}
	return Size(s, o.Scale)
}

// halfScale returns 2·(Scale + ½) when the options ask for a half scale
// that fits MaxSide and MaxPixels.
func halfScale(s img.Shape, o Options) (num int, ok bool) {
	if !o.Half || o.Scale < 1 || !s.Valid() || o.Scale > MaxSide {
		return 0, false
	}
	num = 2*o.Scale + 1
	w, h := s.W*num/2, s.H*num/2
	if s.W > MaxSide || s.H > MaxSide || w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return 0, false
	}
	return num, true
}

// Size returns the size in cells (columns, rows) that Render gives an image
// of the shape.
func Size(s img.Shape, scale int) (w, h int) {
	if !s.Valid() {
		return 0, 0
	}
	pw, ph := s.W, s.H
	switch scale = fit(s, scale); {
	case scale > 1:
		pw, ph = pw*scale, ph*scale
	case scale < -1:
		f := -scale
		pw, ph = (pw+f-1)/f, (ph+f-1)/f
	}
	return pw, (ph + 1) / 2
}

// valid reports whether im has a valid shape and H·W·C ≤ len(Pix),
// without overflow.
func valid(im img.Image) bool {
	s, n := im.Shape, len(im.Pix)
	return s.Valid() && s.H <= n && s.W <= n/s.H && s.C <= n/(s.H*s.W)
}

var (
	unobservedA = RGB{38, 38, 46}
	unobservedB = RGB{62, 62, 72}
)

// Color returns the colour of pixel value v under the map.
func (m Map) Color(v float64) RGB {
	switch m.Kind {
	case Diverging:
		s := m.Scale
		if !(s > 0) {
			s = 1
		}
		u := clamp(v/s, -1, 1)
		if u >= 0 { // white → red
			return RGB{255, uint8(255 - 225*u + 0.5), uint8(255 - 225*u + 0.5)}
		}
		u = -u // white → blue
		return RGB{uint8(255 - 225*u + 0.5), uint8(255 - 165*u + 0.5), 255}
	case Heat:
		s := m.Scale
		if !(s > 0) {
			s = 1
		}
		u := clamp(v/s, 0, 1)
		// black → orange → yellow → white
		r := clamp(3*u, 0, 1)
		g := clamp(3*u-1, 0, 1)
		b := clamp(3*u-2, 0, 1)
		return RGB{uint8(255*r + 0.5), uint8(255*g + 0.5), uint8(255*b + 0.5)}
	}
	g := uint8(255*clamp((v+1)/2, 0, 1) + 0.5)
	return RGB{g, g, g}
}

// level returns v's brightness in [0, 1] for the ASCII ramp.
func (m Map) level(v float64) float64 {
	switch m.Kind {
	case Diverging:
		s := m.Scale
		if !(s > 0) {
			s = 1
		}
		return clamp((v/s+1)/2, 0, 1)
	case Heat:
		s := m.Scale
		if !(s > 0) {
			s = 1
		}
		return clamp(v/s, 0, 1)
	}
	return clamp((v+1)/2, 0, 1)
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// grid is an image resampled to the pixels that will be drawn: one value
// per pixel for gray, three for RGB.
type grid struct {
	w, h, c int
	v       []float64
}

func (g *grid) at(x, y int) []float64 {
	i := (y*g.w + x) * g.c
	return g.v[i : i+g.c]
}

// resample applies Options.Scale and Half, as fit bounds them, to im.
func resample(im img.Image, o Options) grid {
	s := im.Shape
	scale := fit(s, o.Scale)
	c := 1
	if s.C >= 3 {
		c = 3
	}
	pick := func(dst []float64, y, x int) {
		for k := 0; k < c; k++ {
			dst[k] = im.Pix[s.Index(y, x, k)]
		}
	}
	if num, ok := halfScale(s, o); ok {
		w, h := s.W*num/2, s.H*num/2
		g := grid{w, h, c, make([]float64, w*h*c)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				pick(g.at(x, y), min(y*2/num, s.H-1), min(x*2/num, s.W-1))
			}
		}
		return g
	}
	switch {
	case scale < -1:
		f := -scale
		w, h := (s.W+f-1)/f, (s.H+f-1)/f
		g := grid{w, h, c, make([]float64, w*h*c)}
		tmp := make([]float64, c)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst := g.at(x, y)
				n, nan := 0, 0
				for yy := y * f; yy < min(y*f+f, s.H); yy++ {
					for xx := x * f; xx < min(x*f+f, s.W); xx++ {
						pick(tmp, yy, xx)
						if math.IsNaN(tmp[0]) {
							nan++
							continue
						}
						for k := range dst {
							dst[k] += tmp[k]
						}
						n++
					}
				}
				if nan > n || n == 0 { // mostly unobserved
					for k := range dst {
						dst[k] = math.NaN()
					}
					continue
				}
				for k := range dst {
					dst[k] /= float64(n)
				}
			}
		}
		return g
	case scale > 1:
		w, h := s.W*scale, s.H*scale
		g := grid{w, h, c, make([]float64, w*h*c)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				pick(g.at(x, y), y/scale, x/scale)
			}
		}
		return g
	}
	g := grid{s.W, s.H, c, make([]float64, s.W*s.H*c)}
	for y := 0; y < s.H; y++ {
		for x := 0; x < s.W; x++ {
			pick(g.at(x, y), y, x)
		}
	}
	return g
}

// Render draws im and returns the cells as lines joined by '\n', each line
// exactly as wide as Size says and ending with an SGR reset. An image whose
// Pix is shorter than its shape says draws nothing.
func Render(im img.Image, o Options) string {
	var b []byte
	b = Append(b, im, o)
	return string(b)
}

// Append is Render appending to dst.
func Append(dst []byte, im img.Image, o Options) []byte {
	if !valid(im) {
		return dst
	}
	g := resample(im, o)
	if o.ASCII {
		return appendASCII(dst, &g, o.Map)
	}
	return appendColor(dst, &g, o.Map)
}

// color returns the colour of pixel (x, y); ok is false for the padding
// row below an odd height, which has none.
func (g *grid) color(m Map, x, y int) (c RGB, ok bool) {
	if y >= g.h {
		return RGB{}, false
	}
	p := g.at(x, y)
	if math.IsNaN(p[0]) {
		if (x+y)%2 == 0 {
			return unobservedA, true
		}
		return unobservedB, true
	}
	if g.c == 3 {
		return RGB{
			uint8(255*clamp((p[0]+1)/2, 0, 1) + 0.5),
			uint8(255*clamp((p[1]+1)/2, 0, 1) + 0.5),
			uint8(255*clamp((p[2]+1)/2, 0, 1) + 0.5),
		}, true
	}
	return m.Color(p[0]), true
}

func appendColor(dst []byte, g *grid, m Map) []byte {
	rows := (g.h + 1) / 2
	for r := 0; r < rows; r++ {
		if r > 0 {
			dst = append(dst, '\n')
		}
		var fg, bg RGB
		var hasBg bool
		first := true
		for x := 0; x < g.w; x++ {
			top, _ := g.color(m, x, 2*r)
			bot, botOK := g.color(m, x, 2*r+1)
			newFg, newBg := first || top != fg, first || botOK != hasBg || bot != bg
			if newFg || newBg {
				dst = append(dst, "\x1b["...)
				if newFg {
					dst = appendRGB(dst, "38;2;", top)
				}
				if newBg {
					if newFg {
						dst = append(dst, ';')
					}
					if botOK {
						dst = appendRGB(dst, "48;2;", bot)
					} else {
						dst = append(dst, "49"...) // the terminal's own background
					}
				}
				dst = append(dst, 'm')
				fg, bg, hasBg, first = top, bot, botOK, false
			}
			dst = append(dst, "▀"...)
		}
		dst = append(dst, "\x1b[m"...)
	}
	return dst
}

func appendRGB(dst []byte, prefix string, c RGB) []byte {
	dst = append(dst, prefix...)
	dst = strconv.AppendUint(dst, uint64(c.R), 10)
	dst = append(dst, ';')
	dst = strconv.AppendUint(dst, uint64(c.G), 10)
	dst = append(dst, ';')
	return strconv.AppendUint(dst, uint64(c.B), 10)
}

func appendASCII(dst []byte, g *grid, m Map) []byte {
	rows := (g.h + 1) / 2
	ramp := []rune(Ramp)
	for r := 0; r < rows; r++ {
		if r > 0 {
			dst = append(dst, '\n')
		}
		for x := 0; x < g.w; x++ {
			sum, n := 0.0, 0
			for _, y := range [2]int{2 * r, 2*r + 1} {
				if y >= g.h {
					continue
				}
				p := g.at(x, y)
				if math.IsNaN(p[0]) {
					continue
				}
				l := 0.0
				if g.c == 3 {
					l = clamp(((0.299*p[0]+0.587*p[1]+0.114*p[2])+1)/2, 0, 1)
				} else {
					l = m.level(p[0])
				}
				sum += l
				n++
			}
			if n == 0 {
				dst = append(dst, string(hatch)...)
				continue
			}
			i := int(sum/float64(n)*float64(len(ramp)-1) + 0.5)
			dst = append(dst, string(ramp[i])...)
		}
	}
	return dst
}

// Cache keeps the last drawing of one image and redraws only when the
// caller's key or the options change. The key names the image's content
// (a run id and step, say); the cache never looks at the pixels.
type Cache struct {
	key   any
	opts  Options
	out   string
	valid bool
	buf   []byte
}

// Render returns the drawing of im, from the cache when key and o are
// those of the last call. key must be comparable.
func (c *Cache) Render(key any, im img.Image, o Options) string {
	if c.valid && c.key == key && c.opts == o {
		return c.out
	}
	c.buf = Append(c.buf[:0], im, o)
	c.out = string(c.buf)
	c.key, c.opts, c.valid = key, o, true
	return c.out
}

// Invalidate forgets the cached drawing.
func (c *Cache) Invalidate() { c.valid = false }

// Blank returns a block of w×h spaces, lines joined by '\n'.
func Blank(w, h int) string {
	line := strings.Repeat(" ", max(w, 0))
	lines := make([]string, max(h, 0))
	for i := range lines {
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// Valid reports whether Render(key, _, o) would come from the cache.
func (c *Cache) Valid(key any, o Options) bool {
	return c.valid && c.key == key && c.opts == o
}
