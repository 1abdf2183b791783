package gfx

import (
	"image"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/colorprofile"

	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/tui/halfblock"
	"tweedie/tui/kitty"
	"tweedie/tui/sixel"
	"tweedie/tui/termcaps"
)

// Printer draws images at the cursor, one below the other, outside a
// Bubble Tea program (`tweedie render`, like chafa): in the mode chosen
// once, from what the terminal answered or what the caller forced.
type Printer struct {
	mode         termcaps.Mode
	cell         termcaps.Size
	profile      colorprofile.Profile
	tmux         bool
	placeholders bool
	id           int // kitty image id of the first image
	maxSide      int // the terminal's largest sixel image, in pixels a side; 0 none known
	// maxCols×maxRows is the window a drawing fits by default (maxRows 0:
	// no terminal, any height).
	maxCols, maxRows int
	tty              bool
	six              sixel.Encoder
	kit              kitty.Encoder
}

// PrintOptions force what a Printer would otherwise find out.
type PrintOptions struct {
	// Mode is the mode to draw in (termcaps.Auto: the best the terminal
	// draws; half-blocks off a terminal).
	Mode termcaps.Mode
	// Cell is the cell size in pixels (zero: the terminal's, else
	// termcaps.DefaultCell).
	Cell termcaps.Size
	// Profile is the colour profile (colorprofile.Unknown: detected).
	Profile colorprofile.Profile
	// Out is where the drawings go: a terminal (termcaps.IsTerminal) or not.
	Out io.Writer
	// Environ is the environment, as os.Environ gives it.
	Environ []string
	// Probe asks the terminal what it draws (termcaps.Probe); it is
	// called only on a terminal, and only when Mode or Cell is not forced.
	Probe func(termcaps.Env) (termcaps.Caps, int, termcaps.Size, error)
}

// NewPrinter chooses how to draw: on a terminal from its replies, the
// detected colour profile and the window's size; elsewhere half-blocks in
// true colour, at most 80 columns wide.
func NewPrinter(o PrintOptions) *Printer {
	env := termcaps.ParseEnv(o.Environ)
	caps := termcaps.Caps{Env: env}
	mode, cell, profile := o.Mode, o.Cell, o.Profile
	p := &Printer{maxCols: 80, tty: termcaps.IsTerminal(o.Out)}
	if p.tty {
		if profile == colorprofile.Unknown {
			profile = colorprofile.Detect(o.Out, o.Environ)
		}
		if mode == termcaps.Auto || cell == (termcaps.Size{}) {
			c, cols, px, err := o.Probe(env)
			if err == nil {
				caps = c
				if cols > 0 {
					p.maxCols = cols
				}
				if _, rows := caps.Window(); rows > 1 {
					p.maxRows = rows - 1 // the prompt's line
				}
				if caps.Cell == (termcaps.Size{}) && px.W > 0 {
					caps.Cell = px
				}
			}
		}
		if profile != colorprofile.Unknown && o.Profile == colorprofile.Unknown {
			profile = caps.Profile(profile)
		}
		if mode == termcaps.Auto {
			mode = caps.ChooseDirect(profile)
		}
	} else {
		if profile == colorprofile.Unknown {
			profile = colorprofile.TrueColor
		}
		if mode == termcaps.Auto {
			mode = termcaps.Halfblock
		}
	}
	p.mode = mode.For(profile)
	p.profile = profile
	p.cell = cell
	if cell == (termcaps.Size{}) {
		p.cell = caps.CellSize(termcaps.DefaultCell)
	}
	p.tmux, p.placeholders = env.Tmux, caps.Placeholders() || env.Tmux
	p.id = 1 + (os.Getpid()&0xffff)<<8
	if p.mode == termcaps.Sixel && strings.HasPrefix(caps.Version, "XTerm(") {
		p.maxSide = xtermSixelSide
	}
	return p
}

// Bounds of a drawing in pixels (sixel and kitty: columns × the cell
// width; half-blocks and characters: one pixel a column, two a row),
// checked before the image is resized.
const (
	MaxDrawSide   = 4096
	MaxDrawPixels = 8 << 20
)

// xtermSixelSide is xterm's largest sixel image by default (its
// maxGraphicSize resource, 1000×1000): it draws nothing of a larger one.
const xtermSixelSide = 1000

// DrawSize is the size in pixels of a drawing of an image with bounds b,
// cols cells wide: the image's aspect ratio kept.
func (p *Printer) DrawSize(b image.Rectangle, cols int) (w, h int) {
	w = max(cols, 1)
	if p.mode == termcaps.Sixel || p.mode == termcaps.Kitty {
		w *= p.cell.W
	}
	return w, max(1, (b.Dy()*w+b.Dx()/2)/b.Dx())
}

// rows is the number of lines a drawing of an image with bounds b, cols
// cells wide, takes.
func (p *Printer) rows(b image.Rectangle, cols int) int {
	_, h := p.DrawSize(b, cols)
	switch p.mode {
	case termcaps.Sixel, termcaps.Kitty:
		return (h + p.cell.H - 1) / max(p.cell.H, 1)
	case termcaps.Halfblock:
		return (h + 1) / 2
	}
	return h
}

// Width is the width in cells an image with bounds b is drawn at by
// default: on a terminal fitted to the window, as chafa does; elsewhere
// its width in pixels, at most 80.
func (p *Printer) Width(b image.Rectangle) int {
	if !p.tty {
		return min(b.Dx(), p.maxCols)
	}
	return p.fit(b, p.maxCols, p.maxRows)
}

// fit is the width in cells that fits an image with bounds b in a window
// of maxCols×maxRows cells (maxRows 0: any height), aspect kept: the
// widest drawing that fits, within the terminal's largest sixel image and
// the drawing bounds.
func (p *Printer) fit(b image.Rectangle, maxCols, maxRows int) int {
	cols := max(maxCols, 1)
	for cols > 1 {
		w, h := p.DrawSize(b, cols)
		fits := (maxRows == 0 || p.rows(b, cols) <= maxRows) &&
			w <= MaxDrawSide && h <= MaxDrawSide && w*h <= MaxDrawPixels &&
			(p.maxSide == 0 || (w <= p.maxSide && h <= p.maxSide))
		if fits {
			break
		}
		cols--
	}
	return cols
}

// Append appends the drawing of im, cols cells wide and followed by a
// newline; n numbers the image (for kitty ids). Check the drawing's size
// (DrawSize against MaxDrawSide and MaxDrawPixels) first.
func (p *Printer) Append(dst []byte, im image.Image, cols, n int) ([]byte, error) {
	b := im.Bounds()
	cols = max(cols, 1)
	pw, ph := p.DrawSize(b, cols)
	switch p.mode {
	case termcaps.Sixel, termcaps.Kitty:
		rows := (ph + p.cell.H - 1) / p.cell.H
		if p.mode == termcaps.Sixel {
			src := im
			if b.Dx() > pw { // shrink here; sixel enlarges by nearest neighbour
				src = imgio.Resize(im, pw, ph)
			}
			dst = p.six.Append(dst, src, pw, ph)
			return append(dst, '\n'), nil
		}
		src := im
		if b.Dx() > pw {
			src = imgio.Resize(im, pw, ph)
		}
		id := p.id + n
		var err error
		dst, err = p.kit.Append(dst, src, kitty.Options{ID: id, Cols: cols, Rows: rows, Placeholder: p.placeholders, Tmux: p.tmux})
		if err != nil {
			return dst, err
		}
		if p.placeholders {
			dst = append(dst, kitty.Placeholders(id, cols, rows)...)
			return append(dst, '\n'), nil
		}
		for range rows {
			dst = append(dst, '\n')
		}
		return dst, nil
	}
	// Half-blocks or characters: one pixel per column, two per row.
	small := imgio.Resize(im, pw, ph)
	out := halfblock.Append(nil, toImg(small), halfblock.Options{Scale: 1, ASCII: p.mode == termcaps.ASCII})
	if p.mode == termcaps.Halfblock && p.profile != colorprofile.TrueColor {
		out = downsample(out, p.profile)
	}
	dst = append(dst, out...)
	return append(dst, '\n'), nil
}

// downsample converts 24-bit SGR codes to the profile.
func downsample(s []byte, p colorprofile.Profile) []byte {
	var b writerBuf
	w := &colorprofile.Writer{Forward: &b, Profile: p}
	_, _ = w.Write(s)
	return b.b
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// toImg converts an RGBA image to an RGB img.Image in [-1, 1] (grayscale
// images to one channel, so that they stay gray under every map).
func toImg(m *image.RGBA) img.Image {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	gray := true
	for i := 0; i < len(m.Pix) && gray; i += 4 {
		gray = m.Pix[i] == m.Pix[i+1] && m.Pix[i+1] == m.Pix[i+2]
	}
	c := 3
	if gray {
		c = 1
	}
	s := img.Shape{H: h, W: w, C: c}
	out := img.Image{Shape: s, Pix: make([]float64, s.Len())}
	for y := range h {
		for x := range w {
			p := m.Pix[m.PixOffset(x, y):]
			for k := range c {
				out.Pix[s.Index(y, x, k)] = 2*float64(p[k])/255 - 1
			}
		}
	}
	return out
}
