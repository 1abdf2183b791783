package main

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/core/imgio"
)

func TestRenderImage(t *testing.T) {
	im := img.Image{Shape: img.Shape{H: 2, W: 3, C: 1}, Pix: []float64{-1, 0, 1, 2, math.NaN(), -5}}
	out := imgio.RGBA(im, 4)
	if b := out.Bounds(); b.Dx() != 12 || b.Dy() != 8 {
		t.Fatalf("bounds %v", b)
	}
	for _, c := range []struct {
		x, y int
		want uint8
	}{{0, 0, 0}, {5, 3, 128}, {11, 0, 255}, {3, 7, 255}, {11, 7, 0}} {
		if got := out.RGBAAt(c.x, c.y); got.R != c.want || got.G != c.want {
			t.Errorf("(%d, %d) = %v, want gray %d", c.x, c.y, got, c.want)
		}
	}
	if got := out.RGBAAt(5, 5); got != imgio.MissingColour {
		t.Errorf("NaN pixel is %v", got)
	}
	if s := imgio.ViewScale(img.Shape{H: 28, W: 28, C: 1}); s != 8 {
		t.Errorf("scale for 28×28 is %d", s)
	}
}

func TestOutDirAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	o, err := export.PrepareDir(filepath.Join(root, "a", "b", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Write("x.txt", func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	if err := o.Write("bad.txt", func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("failing writer reported no error")
	}
	o.Abort()
	if got := listDir(t, root); len(got) != 0 {
		t.Errorf("left %v", got)
	}
	// Commit to a new directory.
	o, err = export.PrepareDir(filepath.Join(root, "new"))
	if err != nil {
		t.Fatal(err)
	}
	o.Write("x.txt", func(w io.Writer) error { return nil })
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, root); !slices.Equal(got, []string{"new"}) {
		t.Errorf("root holds %v", got)
	}
	if fi, _ := os.Stat(filepath.Join(root, "new")); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func TestAtomicFileFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := export.AtomicFile(path, func(w io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left %v", got)
	}
}

func TestComponentLabels(t *testing.T) {
	p, err := loadPrior("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.ComponentLabels; !slices.Equal(got, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {
		t.Errorf("MNIST component labels %v", p.ComponentLabels)
	}
}

func TestImageFileFlag(t *testing.T) {
	p, err := parse(t, "--image-file", "x.png")
	if err != nil || p.ImagePath != "x.png" {
		t.Errorf("--image-file: %+v %v", p, err)
	}
	if _, err := parse(t, "--image", "2", "--image-file", "x.png"); err == nil {
		t.Error("--image and --image-file both accepted")
	}
}

func TestLoadImageConverts(t *testing.T) {
	dir := t.TempDir()
	src := image.NewNRGBA(image.Rect(0, 0, 10, 20))
	for i := range src.Pix {
		src.Pix[i] = 255 // opaque white
	}
	path := filepath.Join(dir, "w.png")
	f, _ := os.Create(path)
	png.Encode(f, src)
	f.Close()
	for _, shape := range []img.Shape{{H: 28, W: 28, C: 1}, {H: 8, W: 8, C: 3}} {
		im, err := imgio.Load(path, shape)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range im.Pix {
			if math.Abs(v-1) > 1e-9 {
				t.Fatalf("%v: pixel %d = %v, want 1", shape, i, v)
			}
		}
	}
	if _, err := imgio.Load(path, img.Shape{H: 4, W: 4, C: 2}); err == nil || !strings.Contains(err.Error(), "channels") {
		t.Errorf("2 channels: %v", err)
	}
}

// writePNGHeader writes a PNG that claims w×h pixels and holds none: all
// DecodeConfig reads.
func writePNGHeader(t *testing.T, path string, w, h uint32) {
	t.Helper()
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit gray
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadImageBoundsEachSide: a file claiming 1×67,000,000 pixels (under
// the pixel-count bound) is refused from its header, before the resize
// would allocate for every source row.
func TestLoadImageBoundsEachSide(t *testing.T) {
	dir := t.TempDir()
	for _, size := range [][2]uint32{{1, 67_000_000}, {67_000_000, 1}, {imgio.MaxSide + 1, 1}, {8000, 8000}} {
		path := filepath.Join(dir, "tall.png")
		writePNGHeader(t, path, size[0], size[1])
		_, err := imgio.Load(path, img.Shape{H: 28, W: 28, C: 1})
		if err == nil || !strings.Contains(err.Error(), "at most") {
			t.Errorf("%d×%d: %v", size[0], size[1], err)
		}
		code, _, stderr := runMain(t, "run", "--image-file", path, "--steps", "2")
		if code != 2 || !strings.Contains(stderr, "at most") {
			t.Errorf("run --image-file %d×%d: exit %d, %q", size[0], size[1], code, stderr)
		}
		if _, err := imgio.Decode(path); err == nil {
			t.Errorf("render decoded %d×%d", size[0], size[1])
		}
	}
}
