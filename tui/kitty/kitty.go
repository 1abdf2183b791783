// Package kitty draws images with the kitty graphics protocol.
//
// An image is sent once as a PNG at its own size and the terminal scales
// it to a box of cells (c=, r=). It is shown with Unicode placeholders:
// cells holding U+10EEEE with diacritics for their row and column in the
// image, in a foreground colour that names the image id. Placeholders are
// ordinary text, so they go into the Bubble Tea view, move with it, and
// pass through tmux; only the transmission (an APC sequence) goes out raw,
// wrapped for tmux's passthrough when needed.
//
// Ids up to 255 are written as indexed colours (38;5;id), larger ones as
// 24-bit colours. Either survives only a true-colour renderer: the caller
// must stop the renderer from downsampling colours.
package kitty

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	xkitty "github.com/charmbracelet/x/ansi/kitty"
)

// Query asks whether the terminal speaks the protocol: a 1×1 RGB image
// with id 31 to query (a=q); a terminal that does replies with an APC
// "Gi=31;OK".
const Query = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"

// QueryID is the image id of Query.
const QueryID = 31

// chunk is the largest base64 payload of one escape sequence.
const chunk = 4096

// Encoder encodes PNGs; it reuses its buffers, so it must not be used
// concurrently. The zero value is ready to use.
type Encoder struct {
	png  bytes.Buffer
	b64  []byte
	enc  png.Encoder
	pool pool
}

// pool keeps the PNG encoder's buffers between calls.
type pool struct{ b *png.EncoderBuffer }

func (p *pool) Get() *png.EncoderBuffer  { return p.b }
func (p *pool) Put(b *png.EncoderBuffer) { p.b = b }

// Options say how an image is sent.
type Options struct {
	// ID names the image, 1 ≤ ID < 2^24.
	ID int
	// Cols and Rows are the box of cells the terminal scales the image to.
	Cols, Rows int
	// Placeholder makes a virtual placement (U=1) to show with
	// Placeholders; otherwise the image is placed at the cursor, which
	// does not move (C=1).
	Placeholder bool
	// Tmux wraps every chunk in tmux's passthrough.
	Tmux bool
}

// MaxSide bounds the width and height of an image Append sends (kitty's
// own limit) and MaxPixels its area, so that encoding stays quick.
const (
	MaxSide   = 10000
	MaxPixels = 1 << 22
)

// Append appends the sequences that transmit src as a PNG (and place it)
// and returns the extended slice. Sending an id again replaces its image.
// It refuses, before encoding, an empty source or one beyond MaxSide or
// MaxPixels, an id outside 1 ≤ ID < 2^24, a negative box and, with
// Placeholder, a box beyond MaxCells.
func (e *Encoder) Append(dst []byte, src image.Image, o Options) ([]byte, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch {
	case w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || w*h > MaxPixels:
		return dst, fmt.Errorf("kitty: image of %d×%d pixels: want 1×1 to %d×%d and at most %d pixels", w, h, MaxSide, MaxSide, MaxPixels)
	case o.ID < 1 || o.ID >= 1<<24:
		return dst, fmt.Errorf("kitty: image id %d: want 1 to 2^24−1", o.ID)
	case o.Cols < 0 || o.Rows < 0 || (o.Placeholder && (o.Cols > MaxCells || o.Rows > MaxCells)):
		return dst, fmt.Errorf("kitty: box of %d×%d cells: want 0 to %d (placeholders name at most %d)", o.Cols, o.Rows, MaxCells, MaxCells)
	}
	e.png.Reset()
	e.enc.CompressionLevel = png.BestCompression
	e.enc.BufferPool = &e.pool
	if err := e.enc.Encode(&e.png, src); err != nil {
		return dst, err
	}
	n := base64.StdEncoding.EncodedLen(e.png.Len())
	if cap(e.b64) < n {
		e.b64 = make([]byte, n)
	}
	e.b64 = e.b64[:n]
	base64.StdEncoding.Encode(e.b64, e.png.Bytes())

	var ctl []byte
	ctl = append(ctl, "a=T,f=100,t=d,q=2,i="...)
	ctl = strconv.AppendInt(ctl, int64(o.ID), 10)
	ctl = append(ctl, ",c="...)
	ctl = strconv.AppendInt(ctl, int64(o.Cols), 10)
	ctl = append(ctl, ",r="...)
	ctl = strconv.AppendInt(ctl, int64(o.Rows), 10)
	if o.Placeholder {
		ctl = append(ctl, ",U=1"...)
	} else {
		ctl = append(ctl, ",C=1"...)
	}
	for i := 0; i < len(e.b64) || i == 0; i += chunk {
		end := min(i+chunk, len(e.b64))
		more := end < len(e.b64)
		var seq []byte
		seq = append(seq, "\x1b_G"...)
		if i == 0 {
			seq = append(seq, ctl...)
			if more {
				seq = append(seq, ",m=1"...)
			}
		} else if more {
			seq = append(seq, "m=1"...)
		} else {
			seq = append(seq, "m=0"...)
		}
		seq = append(seq, ';')
		seq = append(seq, e.b64[i:end]...)
		seq = append(seq, "\x1b\\"...)
		dst = appendWrapped(dst, seq, o.Tmux)
	}
	return dst, nil
}

func appendWrapped(dst, seq []byte, tmux bool) []byte {
	if tmux {
		return append(dst, ansi.TmuxPassthrough(string(seq))...)
	}
	return append(dst, seq...)
}

// Delete returns the sequence that deletes image id and frees its data
// (a=d, d=I).
func Delete(id int, tmux bool) string {
	seq := "\x1b_Ga=d,d=I,q=2,i=" + strconv.Itoa(id) + "\x1b\\"
	if tmux {
		return ansi.TmuxPassthrough(seq)
	}
	return seq
}

// Placeholders returns the cells that show image id over cols×rows cells,
// lines joined by '\n', each line ending with an SGR reset. Every cell
// carries its row and column, so a renderer may rewrite any cell alone.
// cols and rows are clamped to 0…MaxCells, the cells a placeholder can name.
func Placeholders(id, cols, rows int) string {
	cols, rows = min(max(cols, 0), MaxCells), min(max(rows, 0), MaxCells)
	var sgr string
	if id <= 255 {
		sgr = "\x1b[38;5;" + strconv.Itoa(id) + "m"
	} else {
		sgr = "\x1b[38;2;" + strconv.Itoa(id>>16&255) + ";" + strconv.Itoa(id>>8&255) + ";" + strconv.Itoa(id&255) + "m"
	}
	var b strings.Builder
	b.Grow(rows * (len(sgr) + 4 + cols*8))
	for r := range rows {
		if r > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(sgr)
		for c := range cols {
			b.WriteRune(xkitty.Placeholder)
			b.WriteRune(xkitty.Diacritic(r))
			b.WriteRune(xkitty.Diacritic(c))
		}
		b.WriteString("\x1b[m")
	}
	return b.String()
}

// MaxCells is the largest row or column a placeholder can name.
const MaxCells = 297
