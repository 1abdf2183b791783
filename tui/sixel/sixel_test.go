package sixel

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tweedie/assets"
	"tweedie/tui/halfblock"
	"tweedie/tui/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldentest.Check(t, name, got, *update)
}

// digit is the first embedded MNIST test digit as a 28×28 gray image.
func digit() *image.RGBA {
	return halfblock.RGBA(nil, assets.TestDigits()[0].Image, halfblock.Map{})
}

// colors is a small colour test image: a diverging gradient with a checker.
func colors(n int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	mp := halfblock.Map{Kind: halfblock.Diverging, Scale: 1}
	for y := range n {
		for x := range n {
			c := mp.Color(2*float64(x)/float64(n-1) - 1)
			if (x/2+y/2)%2 == 0 && y < n/2 {
				c = halfblock.RGB{R: 20, G: 20, B: 20}
			}
			m.Set(x, y, color.RGBA{c.R, c.G, c.B, 255})
		}
	}
	return m
}

func TestGolden(t *testing.T) {
	var e Encoder
	golden(t, "digit_2x.six", e.Append(nil, digit(), 56, 56))
	golden(t, "colors_10x15.six", e.Append(nil, colors(10), 30, 45))
}

// decode is a minimal sixel decoder for the tests (raster attributes,
// RGB colour registers, repeats, "$" and "-"); ImageMagick checks the
// encoder independently in TestImageMagick.
func decode(t *testing.T, six []byte) image.Image {
	t.Helper()
	if !bytes.HasPrefix(six, []byte("\x1bP")) || !bytes.HasSuffix(six, []byte("\x1b\\")) {
		t.Fatalf("not a DCS sequence: %q…", six[:min(len(six), 20)])
	}
	body := six[bytes.IndexByte(six, 'q')+1 : len(six)-2]
	num := func(i int) (int, int) {
		n := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			n = 10*n + int(body[i]-'0')
			i++
		}
		return n, i
	}
	var regs [256]color.RGBA
	var im *image.RGBA
	x, y, cur := 0, 0, 0
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == '"':
			var v [4]int
			i++
			for k := range v {
				v[k], i = num(i)
				if i < len(body) && body[i] == ';' {
					i++
				}
			}
			im = image.NewRGBA(image.Rect(0, 0, v[2], v[3]))
		case c == '#':
			var n int
			n, i = num(i + 1)
			if i < len(body) && body[i] == ';' {
				var v [4]int
				for k := range v {
					v[k], i = num(i + 1)
				}
				p := func(v int) uint8 { return uint8((v*255 + 50) / 100) }
				regs[n] = color.RGBA{p(v[1]), p(v[2]), p(v[3]), 255}
			}
			cur = n
		case c == '$':
			x = 0
			i++
		case c == '-':
			x, y = 0, y+6
			i++
		case c == '!' || (c >= '?' && c <= '~'):
			n := 1
			if c == '!' {
				n, i = num(i + 1)
				c = body[i]
			}
			for range n {
				for r := range 6 {
					if (c-'?')&(1<<r) != 0 && im != nil {
						im.SetRGBA(x, y+r, regs[cur])
					}
				}
				x++
			}
			i++
		default:
			t.Fatalf("unexpected byte %q at %d", c, i)
		}
	}
	if im == nil {
		t.Fatal("no raster attributes")
	}
	return im
}

// checkScaled checks that got is src scaled by nearest neighbour to w×h,
// to within sixel's 1 % colour precision (≤ 2 of 255 after rounding by
// the decoder).
func checkScaled(t *testing.T, src *image.RGBA, got image.Image, w, h int, tol int) {
	t.Helper()
	if b := got.Bounds(); b.Dx() < w || b.Dy() < h {
		t.Fatalf("decoded %v, want at least %d×%d", b, w, h)
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	bad := 0
	for y := range h {
		for x := range w {
			want := src.RGBAAt(x*sw/w, y*sh/h)
			r, g, b, _ := got.At(x, y).RGBA()
			d := max(absDiff(int(r>>8), int(want.R)), absDiff(int(g>>8), int(want.G)), absDiff(int(b>>8), int(want.B)))
			if d > tol {
				if bad < 5 {
					t.Errorf("pixel (%d,%d) = %d,%d,%d, want %v", x, y, r>>8, g>>8, b>>8, want)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pixels differ by more than %d", bad, w*h, tol)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

func TestRoundTrip(t *testing.T) {
	var e Encoder
	for _, c := range []struct {
		name string
		src  *image.RGBA
		w, h int
	}{
		{"digit 4×", digit(), 112, 112},
		{"digit to a 6×13 cell box of 28×14 cells", digit(), 168, 182},
		{"digit 1×", digit(), 0, 0},
		{"colours, height not a multiple of 6", colors(10), 31, 47},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, h := c.w, c.h
			if w == 0 {
				w, h = c.src.Bounds().Dx(), c.src.Bounds().Dy()
			}
			checkScaled(t, c.src, decode(t, e.Append(nil, c.src, c.w, c.h)), w, h, 2)
		})
	}
}

// TestManyColors checks the reduction of a source with more colours than
// registers: a smooth 4096-colour gradient stays within 24 levels.
func TestManyColors(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			src.Set(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), uint8(2*x + 2*y), 255})
		}
	}
	var e Encoder
	out := e.Append(nil, src, 64, 64)
	if n := len(e.palette); n > MaxColors {
		t.Fatalf("%d registers", n)
	}
	checkScaled(t, src, decode(t, out), 64, 64, 24)
}

// TestImageMagick decodes the output with ImageMagick, an independent
// sixel decoder, and compares its pixels with the source scaled up.
func TestImageMagick(t *testing.T) {
	convert, err := exec.LookPath("convert")
	if err != nil {
		t.Skip("ImageMagick's convert is not installed")
	}
	// Another program may stand in for convert: only ImageMagick decodes sixel.
	if v, err := exec.Command(convert, "-version").Output(); err != nil || !strings.Contains(string(v), "ImageMagick") {
		t.Skip("convert is not ImageMagick's (install imagemagick for this test)")
	}
	dir := t.TempDir()
	var e Encoder
	for _, c := range []struct {
		name string
		src  *image.RGBA
		w, h int
	}{
		{"digit", digit(), 112, 112},
		{"colors", colors(10), 31, 47},
	} {
		six := filepath.Join(dir, c.name+".six")
		out := filepath.Join(dir, c.name+".png")
		if err := os.WriteFile(six, e.Append(nil, c.src, c.w, c.h), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(convert, six, out).CombinedOutput(); err != nil {
			t.Fatalf("convert: %v\n%s", err, b)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := im.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("%s: ImageMagick decoded %d×%d, want %d×%d", c.name, b.Dx(), b.Dy(), c.w, c.h)
		}
		checkScaled(t, c.src, im, c.w, c.h, 2)
	}
}

// BenchmarkDigit4x encodes a 28×28 digit drawn at 4× (112×112 pixels).
func BenchmarkDigit4x(b *testing.B) {
	src := digit()
	var e Encoder
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = e.Append(buf[:0], src, 112, 112)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

// BenchmarkDigitPanel encodes a digit to a 28×14-cell panel of 10×20-pixel
// cells (280×280), the explorer's usual case.
func BenchmarkDigitPanel(b *testing.B) {
	src := digit()
	var e Encoder
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = e.Append(buf[:0], src, 280, 280)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

// TestLimits: an output beyond MaxSide or MaxPixels is scaled down to fit,
// keeping its aspect ratio (a 1×1 source drawn at 16000×9600 used to run
// for minutes), and a source beyond them draws nothing.
func TestLimits(t *testing.T) {
	for _, c := range [][4]int{ // w, h → want w, h
		{16000, 9600, 3739, 2243},
		{1188, 1188000, 8, 8192},
		{1 << 62, 1 << 62, 2896, 2896},
		{8192, 1024, 8192, 1024},
		{100, 50, 100, 50},
	} {
		w, h := Fit(c[0], c[1])
		if w != c[2] || h != c[3] || w > MaxSide || h > MaxSide || w*h > MaxPixels {
			t.Errorf("Fit(%d, %d) = %d, %d; want %d, %d", c[0], c[1], w, h, c[2], c[3])
		}
	}
	var e Encoder
	one := image.NewRGBA(image.Rect(0, 0, 1, 1))
	start := time.Now()
	six := e.Append(nil, one, 16000, 9600)
	if !bytes.Contains(six, []byte(`"1;1;3739;2243`)) {
		t.Errorf("raster attributes %q, want 3739×2243", six[:min(len(six), 30)])
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	huge := image.NewUniform(color.White) // bounds ±1e9
	if got := e.Append([]byte("x"), huge, 10, 10); string(got) != "x" {
		t.Errorf("a source beyond the limits drew %d bytes", len(got)-1)
	}
}
