package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"golang.org/x/sys/unix"

	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/tui/halfblock"
	"tweedie/tui/kitty"
	"tweedie/tui/sixel"
	"tweedie/tui/termcaps"
)

const renderUsage = `Usage: tweedie render [--graphics MODE] [--width COLS] [--color PROFILE] IMAGE...

Prints images (PNG, JPEG, the first frame of a GIF) in the terminal, one
after another, like chafa. On a terminal it asks what the terminal can draw
(kitty graphics, sixel, half-blocks in colour, characters); when stdout is
not a terminal it writes half-blocks unless --graphics says otherwise.

Flags:
`

// displayFlags are the flags that say how images are drawn: the
// explorer's and render's.
type displayFlags struct {
	graphics, color string
}

func addDisplayFlags(fs *flag.FlagSet) *displayFlags {
	d := &displayFlags{}
	fs.StringVar(&d.graphics, "graphics", "auto", "images as `MODE`: auto, kitty, sixel, halfblock or ascii; sixel:WxH also sets the cell size in pixels (when the terminal does not report it)")
	fs.StringVar(&d.color, "color", "auto", "colour `PROFILE`: auto, truecolor, 256, 16 or none (over SSH only TERM reaches the program, so auto may under-report)")
	return d
}

// parse returns the parsed mode, cell size and colour profile.
func (d *displayFlags) parse() (termcaps.Mode, termcaps.Size, colorprofile.Profile, error) {
	mode, cell, err := termcaps.ParseMode(d.graphics)
	if err != nil {
		return 0, cell, 0, fmt.Errorf("--graphics: %w", err)
	}
	p, err := termcaps.ParseProfile(d.color)
	if err != nil {
		return 0, cell, 0, fmt.Errorf("--color: %w", err)
	}
	return mode, cell, p, nil
}

// renderCommand is `tweedie render`.
var renderCommand = command{
	summary: "print images in the terminal (kitty, sixel, half-blocks or characters)",
	run:     func(args []string, stdout, stderr io.Writer) int { return runRender(args, stdout, stderr, probeTTY) },
}

// prober asks the terminal what it can draw; tests replace it.
type prober func(env termcaps.Env) (caps termcaps.Caps, cols int, cell termcaps.Size, err error)

func runRender(args []string, stdout, stderr io.Writer, probe prober) int {
	fs := newFlagSet("tweedie render")
	df := addDisplayFlags(fs)
	width := fs.Int("width", 0, "width in `COLS` (default: on a terminal, the image fitted to its window, like chafa; elsewhere its width in pixels, at most 80)")
	files, err := parseFlags(fs, args) // flags may follow the images
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, renderUsage)
		return exitOK
	}
	if err != nil {
		return fail(stderr, "render", usageError{err})
	}
	mode, cell, profile, err := df.parse()
	if err != nil {
		return fail(stderr, "render", usageError{err})
	}
	if len(files) == 0 {
		return fail(stderr, "render", usagef("no image given"))
	}
	if *width < 0 || *width > kitty.MaxCells*4 {
		return fail(stderr, "render", usagef("--width %d: want 0 (automatic) or 1…%d columns", *width, kitty.MaxCells*4))
	}

	env := termcaps.ParseEnv(os.Environ())
	caps := termcaps.Caps{Env: env}
	maxCols, maxRows := 80, 0 // maxRows 0: no terminal, no bound on rows
	tty := renderIsTerminal(stdout)
	if tty {
		if profile == colorprofile.Unknown {
			profile = colorprofile.Detect(stdout, os.Environ())
		}
		if mode == termcaps.Auto || cell == (termcaps.Size{}) {
			c, cols, px, err := probe(env)
			if err == nil {
				caps = c
				if cols > 0 {
					maxCols = cols
				}
				if _, rows := caps.Window(); rows > 1 {
					maxRows = rows - 1 // the prompt's line
				}
				if caps.Cell == (termcaps.Size{}) && px.W > 0 {
					caps.Cell = px
				}
			}
		}
		if profile != colorprofile.Unknown && !df.pinnedColor() {
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
	mode = mode.For(profile)
	if cell == (termcaps.Size{}) {
		cell = caps.CellSize(termcaps.DefaultCell)
	}

	r := renderer{mode: mode, cell: cell, profile: profile, tmux: env.Tmux,
		placeholders: caps.Placeholders() || env.Tmux, id: 1 + (os.Getpid()&0xffff)<<8}
	if mode == termcaps.Sixel && strings.HasPrefix(caps.Version, "XTerm(") {
		r.maxSide = xtermSixelSide
	}
	status := 0
	for i, path := range files {
		im, err := imgio.Decode(path)
		if err != nil {
			status = max(status, fail(stderr, "render", err))
			continue
		}
		cols := *width
		switch {
		case cols == 0 && tty:
			cols = r.fit(im.Bounds(), maxCols, maxRows)
		case cols == 0:
			cols = min(im.Bounds().Dx(), maxCols)
		}
		if w, h := r.drawSize(im.Bounds(), cols); w > maxDrawSide || h > maxDrawSide || w*h > maxDrawPixels {
			status = max(status, fail(stderr, "render", usagef("%s: drawn in %d columns it would be %d×%d pixels, more than %d on a side or %d in all",
				path, cols, w, h, maxDrawSide, maxDrawPixels)))
			continue
		}
		out, err := r.render(nil, im, cols, i)
		if err != nil {
			status = max(status, fail(stderr, "render", fmt.Errorf("%s: %w", path, err)))
			continue
		}
		if _, err := stdout.Write(out); err != nil {
			return fail(stderr, "render", err)
		}
	}
	return status
}

func (d *displayFlags) pinnedColor() bool {
	p, _ := termcaps.ParseProfile(d.color)
	return p != colorprofile.Unknown
}

func renderIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// renderer draws images in one mode.
type renderer struct {
	mode         termcaps.Mode
	cell         termcaps.Size
	profile      colorprofile.Profile
	tmux         bool
	placeholders bool
	id           int // kitty image id of the first image
	maxSide      int // the terminal's largest sixel image, in pixels a side; 0 none known
	six          sixel.Encoder
	kit          kitty.Encoder
}

// Bounds of a drawing in pixels (sixel and kitty: columns × the cell
// width; half-blocks and characters: one pixel a column, two a row),
// checked before the image is resized.
const (
	maxDrawSide   = 4096
	maxDrawPixels = 8 << 20
)

// drawSize is the size in pixels of a drawing of an image with bounds b,
// cols cells wide: the image's aspect ratio kept.
func (r *renderer) drawSize(b image.Rectangle, cols int) (w, h int) {
	w = max(cols, 1)
	if r.mode == termcaps.Sixel || r.mode == termcaps.Kitty {
		w *= r.cell.W
	}
	return w, max(1, (b.Dy()*w+b.Dx()/2)/b.Dx())
}

// xtermSixelSide is xterm's largest sixel image by default (its
// maxGraphicSize resource, 1000×1000): it draws nothing of a larger one.
const xtermSixelSide = 1000

// rows is the number of lines a drawing of an image with bounds b, cols
// cells wide, takes.
func (r *renderer) rows(b image.Rectangle, cols int) int {
	_, h := r.drawSize(b, cols)
	switch r.mode {
	case termcaps.Sixel, termcaps.Kitty:
		return (h + r.cell.H - 1) / max(r.cell.H, 1)
	case termcaps.Halfblock:
		return (h + 1) / 2
	}
	return h
}

// fit is the width in cells that fits an image with bounds b in a window
// of maxCols×maxRows cells (maxRows 0: any height), aspect kept, as chafa
// does by default: the widest drawing that fits, within the terminal's
// largest sixel image and the drawing bounds.
func (r *renderer) fit(b image.Rectangle, maxCols, maxRows int) int {
	cols := max(maxCols, 1)
	for cols > 1 {
		w, h := r.drawSize(b, cols)
		fits := (maxRows == 0 || r.rows(b, cols) <= maxRows) &&
			w <= maxDrawSide && h <= maxDrawSide && w*h <= maxDrawPixels &&
			(r.maxSide == 0 || (w <= r.maxSide && h <= r.maxSide))
		if fits {
			break
		}
		cols--
	}
	return cols
}

// render appends the drawing of im, cols cells wide and followed by a
// newline; n numbers the image (for kitty ids).
func (r *renderer) render(dst []byte, im image.Image, cols, n int) ([]byte, error) {
	b := im.Bounds()
	cols = max(cols, 1)
	pw, ph := r.drawSize(b, cols)
	switch r.mode {
	case termcaps.Sixel, termcaps.Kitty:
		rows := (ph + r.cell.H - 1) / r.cell.H
		if r.mode == termcaps.Sixel {
			src := im
			if b.Dx() > pw { // shrink here; sixel enlarges by nearest neighbour
				src = imgio.Resize(im, pw, ph)
			}
			dst = r.six.Append(dst, src, pw, ph)
			return append(dst, '\n'), nil
		}
		src := im
		if b.Dx() > pw {
			src = imgio.Resize(im, pw, ph)
		}
		id := r.id + n
		var err error
		dst, err = r.kit.Append(dst, src, kitty.Options{ID: id, Cols: cols, Rows: rows, Placeholder: r.placeholders, Tmux: r.tmux})
		if err != nil {
			return dst, err
		}
		if r.placeholders {
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
	out := halfblock.Append(nil, toImg(small), halfblock.Options{Scale: 1, ASCII: r.mode == termcaps.ASCII})
	if r.mode == termcaps.Halfblock && r.profile != colorprofile.TrueColor {
		out = downsample(out, r.profile)
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

// probeTTY asks the terminal on /dev/tty, in raw mode, what it can draw,
// and waits for the replies (DA1 comes last) at most probeTimeout. It
// also returns the window's width in cells and the cell size in pixels
// that the kernel knows (TIOCGWINSZ), zero when unknown.
func probeTTY(env termcaps.Env) (caps termcaps.Caps, cols int, cell termcaps.Size, err error) {
	caps.Env = env
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return caps, 0, cell, err
	}
	defer f.Close()
	fd := int(f.Fd())
	if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil {
		cols = int(ws.Col)
		caps.SetWindow(int(ws.Col), int(ws.Row))
		if ws.Xpixel > 0 && ws.Ypixel > 0 && ws.Col > 0 && ws.Row > 0 {
			cell = termcaps.Size{W: int(ws.Xpixel) / int(ws.Col), H: int(ws.Ypixel) / int(ws.Row)}
		}
	}
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return caps, cols, cell, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 0, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return caps, cols, cell, err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old) //nolint:errcheck
	if _, err := f.WriteString(termcaps.Queries(env)); err != nil {
		return caps, cols, cell, err
	}
	readReplies(fd, &caps, probeTimeout)
	return caps, cols, cell, nil
}

// probeTimeout bounds the wait for a terminal's replies (over SSH, a
// round trip).
const probeTimeout = 600 * time.Millisecond

// readReplies reads from fd until DA1 arrives or the timeout passes.
func readReplies(fd int, caps *termcaps.Caps, timeout time.Duration) {
	var dec uv.EventDecoder
	var buf []byte
	tmp := make([]byte, 4096)
	deadline := time.Now().Add(timeout)
	for !caps.Done() {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if n <= 0 {
			continue
		}
		k, err := unix.Read(fd, tmp)
		switch {
		case errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN):
			continue
		case err != nil || k <= 0: // hung up or closed: no more replies
			return
		}
		buf = append(buf, tmp[:k]...)
		for len(buf) > 0 {
			n, ev := dec.Decode(buf)
			if n == 0 {
				break
			}
			buf = buf[n:]
			handleEvent(caps, ev)
		}
	}
}

func handleEvent(caps *termcaps.Caps, ev uv.Event) {
	if multi, ok := ev.(uv.MultiEvent); ok {
		for _, e := range multi {
			handleEvent(caps, e)
		}
		return
	}
	caps.Handle(ev)
}
