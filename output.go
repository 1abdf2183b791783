package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"tweedie/core/img"
)

// missingColour is how pixels with no value (NaN: the unobserved pixels of
// an inpainting measurement, or a diverged state) are drawn.
var missingColour = color.RGBA{R: 255, G: 0, B: 255, A: 255} // magenta

// viewScale returns the integer factor that makes an image of the given
// shape at least minViewSize pixels on its longer side (8 for 28×28).
func viewScale(s img.Shape) int {
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
// missingColour when a value is NaN.
func pixelColour(im img.Image, y, x int) color.RGBA {
	s := im.Shape
	at := func(c int) float64 { return im.Pix[s.Index(y, x, c)] }
	if s.C == 3 {
		r, g, b := at(0), at(1), at(2)
		if math.IsNaN(r) || math.IsNaN(g) || math.IsNaN(b) {
			return missingColour
		}
		return color.RGBA{R: to8bit(r), G: to8bit(g), B: to8bit(b), A: 255}
	}
	v := at(0)
	if math.IsNaN(v) {
		return missingColour
	}
	g := to8bit(v)
	return color.RGBA{R: g, G: g, B: g, A: 255}
}

// drawImage draws im into dst at (x0, y0), each pixel a scale×scale block
// (nearest-neighbour upscaling).
func drawImage(dst draw.Image, im img.Image, x0, y0, scale int) {
	s := im.Shape
	for y := 0; y < s.H; y++ {
		for x := 0; x < s.W; x++ {
			c := pixelColour(im, y, x)
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					dst.Set(x0+x*scale+dx, y0+y*scale+dy, c)
				}
			}
		}
	}
}

// renderImage turns im into an RGBA image upscaled by scale.
func renderImage(im img.Image, scale int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, im.Shape.W*scale, im.Shape.H*scale))
	drawImage(out, im, 0, 0, scale)
	return out
}

// gridGap is the gap in pixels between the panels of a grid or GIF frame.
const gridGap = 4

// renderGrid lays images of one shape out in rows of cols, upscaled by
// scale, on a dark background.
func renderGrid(ims []img.Image, cols, scale int) *image.RGBA {
	if len(ims) == 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	cols = max(1, min(cols, len(ims)))
	rows := (len(ims) + cols - 1) / cols
	s := ims[0].Shape
	w, h := s.W*scale, s.H*scale
	out := image.NewRGBA(image.Rect(0, 0, cols*w+(cols-1)*gridGap, rows*h+(rows-1)*gridGap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{R: 40, G: 40, B: 40, A: 255}), image.Point{}, draw.Src)
	for i, im := range ims {
		drawImage(out, im, (i%cols)*(w+gridGap), (i/cols)*(h+gridGap), scale)
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
	return append(p, missingColour, color.RGBA{R: 40, G: 40, B: 40, A: 255})
}()

// paletted converts a rendered frame for a GIF: the gray palette for
// one-channel images, Plan 9's for colour.
func paletted(src *image.RGBA, colour bool) *image.Paletted {
	p := gifPalette
	if colour {
		p = append(color.Palette{missingColour}, palette.Plan9[:255]...)
	}
	dst := image.NewPaletted(src.Bounds(), p)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	return dst
}

// writeGIF writes frames (each a row of panels) as an endless animation,
// delay in 1/100 s per frame and a longer pause on the last.
func writeGIF(w io.Writer, frames [][]img.Image, scale, delay int) error {
	anim := &gif.GIF{}
	for i, panels := range frames {
		colour := len(panels) > 0 && panels[0].Shape.C == 3
		anim.Image = append(anim.Image, paletted(renderGrid(panels, len(panels), scale), colour))
		d := delay
		if i == len(frames)-1 {
			d = 150
		}
		anim.Delay = append(anim.Delay, d)
	}
	return gif.EncodeAll(w, anim)
}

// writePNG encodes im as PNG.
func writePNG(w io.Writer, im image.Image) error { return png.Encode(w, im) }

// jsonFloat is a float64 that marshals non-finite values (NaN, ±Inf) as
// null, so a diverged run still gives valid JSON.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func jsonFloats(xs []float64) []jsonFloat {
	out := make([]jsonFloat, len(xs))
	for i, x := range xs {
		out[i] = jsonFloat(x)
	}
	return out
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// csvFloat formats a number for CSV: shortest round-trip form, NaN and ±Inf
// as NaN, Inf and -Inf (which pandas and numpy read).
func csvFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// outDir collects the files of one command into a temporary directory next
// to the destination and moves them into place only when every file was
// written, so a failure leaves nothing behind.
type outDir struct {
	dst     string // the final directory
	tmp     string // where files are written until commit
	created string // the topmost parent directory made for dst, removed on abort
	names   []string
}

// prepareOutDir checks that dst can be written (it is a directory or does
// not exist) and makes the temporary directory beside it, creating missing
// parents. Call commit or abort.
func prepareOutDir(dst string) (*outDir, error) {
	if dst == "" {
		return nil, fmt.Errorf("--out: empty directory name")
	}
	dst = filepath.Clean(dst)
	if fi, err := os.Stat(dst); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("--out %s: exists and is not a directory", dst)
	} else if err == nil {
		if err := checkWritable(dst); err != nil {
			return nil, fmt.Errorf("--out %s: %w", dst, err)
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("--out: %w", err)
	}
	o := &outDir{dst: dst}
	parent := filepath.Dir(dst)
	created, err := mkdirAllTop(parent)
	if err != nil {
		return nil, fmt.Errorf("--out %s: %w", dst, err)
	}
	o.created = created
	o.tmp, err = os.MkdirTemp(parent, ".tweedie-tmp-")
	if err != nil {
		o.removeCreated()
		return nil, fmt.Errorf("--out %s: %w", dst, err)
	}
	return o, nil
}

// mkdirAllTop is os.MkdirAll that also returns the topmost directory it
// created ("" when dir existed).
func mkdirAllTop(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !os.IsNotExist(err) {
			return "", err
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(dir, 0o755)
}

func (o *outDir) removeCreated() {
	if o.created != "" {
		os.RemoveAll(o.created)
	}
}

// write creates the file name in the temporary directory and fills it.
func (o *outDir) write(name string, fill func(w io.Writer) error) error {
	f, err := os.Create(filepath.Join(o.tmp, name))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := fill(bw); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	o.names = append(o.names, name)
	return nil
}

// commit moves the files into dst: the whole directory when dst does not
// exist, file by file (replacing files of the same name) when it does.
// Every target is checked first: one that is not a regular file fails the
// commit before any is replaced.
func (o *outDir) commit() error {
	if _, err := os.Stat(o.dst); os.IsNotExist(err) {
		if err := os.Rename(o.tmp, o.dst); err != nil {
			return err
		}
		return os.Chmod(o.dst, 0o755) // MkdirTemp makes it 0700
	}
	for _, n := range o.names {
		if err := checkReplaceable(filepath.Join(o.dst, n)); err != nil {
			return err
		}
	}
	for _, n := range o.names {
		if err := os.Rename(filepath.Join(o.tmp, n), filepath.Join(o.dst, n)); err != nil {
			return err
		}
	}
	return os.RemoveAll(o.tmp)
}

// abort removes everything written, and the parents prepareOutDir made.
func (o *outDir) abort() {
	os.RemoveAll(o.tmp)
	o.removeCreated()
}

// atomicFile writes one file through a temporary file in the same
// directory, renamed into place when complete.
func atomicFile(path string, fill func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tweedie-tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = checkReplaceable(path)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// checkFileDest checks, before any work, that path can be written: it is
// missing or a regular file, and its directory exists and takes new files.
func checkFileDest(flagName, path string) error {
	if path == "" {
		return fmt.Errorf("%s: empty file name", flagName)
	}
	if err := checkReplaceable(path); err != nil {
		return fmt.Errorf("%s %w", flagName, err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s %s: directory %s does not exist", flagName, path, dir)
	}
	if err := checkWritable(dir); err != nil {
		return fmt.Errorf("%s %s: %w", flagName, path, err)
	}
	return nil
}

// checkWritable checks that a file can be created in dir, by creating and
// removing one.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".tweedie-tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary file's name says nothing
		}
		return fmt.Errorf("cannot create a file in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkReplaceable refuses a target that exists and is not a regular file:
// outputs are written to a temporary file and renamed over the target,
// which would replace a device, FIFO, symbolic link or directory instead of
// writing through it.
func checkReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var kind string
	switch m := fi.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeSymlink != 0:
		kind = "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&os.ModeDevice != 0:
		kind = "a device"
	default:
		kind = "a special file"
	}
	return fmt.Errorf("%s is %s, not a regular file: not replaced", path, kind)
}
