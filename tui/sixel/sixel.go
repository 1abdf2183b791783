// Package sixel encodes images as DEC sixel graphics, scaled by nearest
// neighbour to an exact pixel size (the cell box the image must cover,
// since terminals do not scale sixel images).
//
// The encoder is built for small sources drawn large, such as a 28×28
// digit filling a panel: the palette is taken from the source pixels, and
// each output band is run-length coded per colour, so the cost grows with
// the output width and the number of colours per band, not with the
// scale factor squared.
//
// Sixel colours have a precision of 1 % per channel: colours that agree at
// that precision share a register, so a grayscale image needs at most 101
// registers and is reproduced to within one percent. Sources with more
// distinct colours than registers get a median-cut palette.
package sixel

import (
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
)

// MaxColors is the number of colour registers an image uses at most.
const MaxColors = 256

// MaxSide bounds the width and height of an encoded image and MaxPixels
// its area (a 3840×2160 screen fits): Append scales a larger w×h down to
// fit, keeping its aspect ratio, and draws nothing for a larger source.
const (
	MaxSide   = 8192
	MaxPixels = 1 << 23
)

// Fit returns w×h scaled down, keeping its aspect ratio, to within MaxSide
// and MaxPixels; sizes within the limits are returned as they are.
func Fit(w, h int) (int, int) {
	if w <= MaxSide && h <= MaxSide && w*h <= MaxPixels {
		return w, h
	}
	fw, fh := float64(w), float64(h)
	f := math.Min(MaxSide/math.Max(fw, fh), math.Sqrt(MaxPixels/fw/fh))
	return max(1, int(fw*f)), max(1, int(fh*f))
}

// Encoder encodes images; it reuses its buffers between calls, so an
// Encoder must not be used concurrently. The zero value is ready to use.
type Encoder struct {
	pix     [][3]uint8 // the source as 8-bit RGB
	idx     []uint8    // palette index of each source pixel
	table   map[uint32]uint8
	palette []pal
	xmap    []int
	bits    []byte // per colour and output column: the band's six bits
	minX    []int
	maxX    []int
	used    []int
}

type pal struct{ r, g, b int } // percent

// Append appends to dst the DCS sequence that draws src scaled to w×h
// pixels (nearest neighbour) and returns the extended slice. Transparent
// source pixels are drawn as their colour (alpha is ignored). A w or h ≤ 0
// means the source's own size. A w×h beyond MaxSide or MaxPixels is
// scaled down by Fit; a source beyond them, or empty, draws nothing.
func (e *Encoder) Append(dst []byte, src image.Image, w, h int) []byte {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if fw, fh := Fit(sw, sh); sw <= 0 || sh <= 0 || fw != sw || fh != sh {
		return dst
	}
	if w <= 0 {
		w = sw
	}
	if h <= 0 {
		h = sh
	}
	w, h = Fit(w, h)
	e.quantize(src)
	np := len(e.palette)

	// DCS P1;P2;P3 q: P2 = 1 leaves pixels not drawn as they are (the
	// last band's rows below h). Raster attributes: 1:1 aspect, w×h.
	dst = append(dst, "\x1bP0;1;0q\"1;1;"...)
	dst = strconv.AppendInt(dst, int64(w), 10)
	dst = append(dst, ';')
	dst = strconv.AppendInt(dst, int64(h), 10)
	for i, p := range e.palette {
		dst = append(dst, '#')
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, ";2;"...)
		dst = strconv.AppendInt(dst, int64(p.r), 10)
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(p.g), 10)
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(p.b), 10)
	}

	e.xmap = grow(e.xmap, w)
	for x := range w {
		e.xmap[x] = x * sw / w
	}
	e.bits = growBytes(e.bits, np*w)
	clear(e.bits)
	e.minX = grow(e.minX, np)
	e.maxX = grow(e.maxX, np)
	for i := range np {
		e.minX[i], e.maxX[i] = -1, -1
	}

	for y0 := 0; y0 < h; y0 += 6 {
		e.used = e.used[:0]
		for r := 0; r < 6 && y0+r < h; r++ {
			row := e.idx[((y0+r)*sh/h)*sw:][:sw]
			bit := byte(1) << r
			for x := range w {
				c := int(row[e.xmap[x]])
				e.bits[c*w+x] |= bit
				switch {
				case e.minX[c] < 0:
					e.minX[c], e.maxX[c] = x, x
					e.used = append(e.used, c)
				case x < e.minX[c]:
					e.minX[c] = x
				case x > e.maxX[c]:
					e.maxX[c] = x
				}
			}
		}
		for k, c := range e.used {
			if k > 0 {
				dst = append(dst, '$')
			}
			dst = append(dst, '#')
			dst = strconv.AppendInt(dst, int64(c), 10)
			line := e.bits[c*w : c*w+e.maxX[c]+1]
			dst = appendRun(dst, 0, e.minX[c]) // nothing before the colour's first column
			dst = appendLine(dst, line[e.minX[c]:])
			clear(line)
			e.minX[c], e.maxX[c] = -1, -1
		}
		dst = append(dst, '-')
	}
	return append(dst, "\x1b\\"...)
}

// appendLine run-length codes one colour's sixels along a band.
func appendLine(dst []byte, line []byte) []byte {
	for i := 0; i < len(line); {
		j := i + 1
		for j < len(line) && line[j] == line[i] {
			j++
		}
		dst = appendRun(dst, line[i], j-i)
		i = j
	}
	return dst
}

// appendRun writes n sixels of the given bits: "!n" + char when shorter.
func appendRun(dst []byte, bits byte, n int) []byte {
	ch := '?' + bits
	switch {
	case n <= 0:
	case n <= 3:
		for range n {
			dst = append(dst, ch)
		}
	default:
		dst = append(dst, '!')
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ch)
	}
	return dst
}

// quantize fills e.idx and e.palette for src.
func (e *Encoder) quantize(src image.Image) {
	b := src.Bounds()
	n := b.Dx() * b.Dy()
	e.idx = growBytes(e.idx, n)
	e.pix = grow(e.pix, n)
	pix := e.pix
	if e.table == nil {
		e.table = make(map[uint32]uint8)
	}
	i := 0
	switch s := src.(type) {
	case *image.RGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			p := s.Pix[s.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				pix[i] = [3]uint8{p[4*x], p[4*x+1], p[4*x+2]}
				i++
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			p := s.Pix[s.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				pix[i] = [3]uint8{p[x], p[x], p[x]}
				i++
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				pix[i] = [3]uint8{c.R, c.G, c.B}
				i++
			}
		}
	}
	// Sixel's own precision first: enough for gray and for the explorer's
	// colour maps.
	const L = 101
	clear(e.table)
	e.palette = e.palette[:0]
	q := func(v uint8) int { return (int(v)*100 + 127) / 255 }
	for i, p := range pix {
		key := uint32((q(p[0])*L+q(p[1]))*L + q(p[2]))
		c, seen := e.table[key]
		if !seen {
			if len(e.palette) == MaxColors {
				e.medianCut(pix)
				return
			}
			c = uint8(len(e.palette))
			e.table[key] = c
			e.palette = append(e.palette, pal{q(p[0]), q(p[1]), q(p[2])})
		}
		e.idx[i] = c
	}
}

// medianCut is the quantizer for sources with more colours than
// registers: colours are binned at 5 bits per channel, the bins are split
// by median cut (the box with the widest channel range is split at its
// pixel-weighted median) into MaxColors boxes, and every box is drawn in
// its mean colour.
func (e *Encoder) medianCut(pix [][3]uint8) {
	type bin struct {
		n   int
		sum [3]int
		idx int
	}
	bins := make(map[uint32]*bin)
	key := func(p [3]uint8) uint32 { return uint32(p[0]>>3)<<10 | uint32(p[1]>>3)<<5 | uint32(p[2]>>3) }
	all := make([]*bin, 0, 1024)
	for _, p := range pix {
		k := key(p)
		bn := bins[k]
		if bn == nil {
			bn = &bin{}
			bins[k] = bn
			all = append(all, bn)
		}
		bn.n++
		for c := range 3 {
			bn.sum[c] += int(p[c])
		}
	}
	mean := func(bn *bin, c int) int { return bn.sum[c] / bn.n }
	type box struct{ bins []*bin }
	widest := func(b box) (ch, rng int) {
		for c := range 3 {
			lo, hi := 255, 0
			for _, bn := range b.bins {
				m := mean(bn, c)
				lo, hi = min(lo, m), max(hi, m)
			}
			if hi-lo > rng {
				ch, rng = c, hi-lo
			}
		}
		return ch, rng
	}
	boxes := []box{{all}}
	for len(boxes) < MaxColors {
		bi, bc, br := -1, 0, 0
		for i, b := range boxes {
			if len(b.bins) < 2 {
				continue
			}
			if c, r := widest(b); r > br {
				bi, bc, br = i, c, r
			}
		}
		if bi < 0 {
			break
		}
		b := boxes[bi].bins
		slices.SortFunc(b, func(x, y *bin) int { return mean(x, bc) - mean(y, bc) })
		total := 0
		for _, bn := range b {
			total += bn.n
		}
		cut, acc := 1, 0
		for k, bn := range b[:len(b)-1] {
			acc += bn.n
			cut = k + 1
			if 2*acc >= total {
				break
			}
		}
		boxes[bi] = box{b[:cut]}
		boxes = append(boxes, box{b[cut:]})
	}
	e.palette = e.palette[:0]
	for i, b := range boxes {
		var n int
		var sum [3]int
		for _, bn := range b.bins {
			bn.idx = i
			n += bn.n
			for c := range 3 {
				sum[c] += bn.sum[c]
			}
		}
		pct := func(s int) int { return (s*100/n + 127) / 255 }
		e.palette = append(e.palette, pal{pct(sum[0]), pct(sum[1]), pct(sum[2])})
	}
	for i, p := range pix {
		e.idx[i] = uint8(bins[key(p)].idx)
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func growBytes(s []byte, n int) []byte { return grow(s, n) }
