package halfblock

import (
	"flag"
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"tweedie/assets"
	"tweedie/core/img"
	"tweedie/tui/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// ring is a test image: a bright ring on a dark background, with an
// unobserved square in one corner when holes is set.
func ring(n int, holes bool) img.Image {
	s := img.Shape{H: n, W: n, C: 1}
	pix := make([]float64, s.Len())
	c := float64(n-1) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			r := math.Hypot(float64(x)-c, float64(y)-c)
			pix[s.Index(y, x, 0)] = 2*math.Exp(-(r-c*0.6)*(r-c*0.6)/4) - 1
			if holes && x < n/3 && y < n/3 {
				pix[s.Index(y, x, 0)] = math.NaN()
			}
		}
	}
	return img.Image{Shape: s, Pix: pix}
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	goldentest.Check(t, name, []byte(got), *update)
}

func TestSize(t *testing.T) {
	s := img.Shape{H: 28, W: 28, C: 1}
	for _, c := range []struct{ scale, w, h int }{{1, 28, 14}, {0, 28, 14}, {2, 56, 28}, {3, 84, 42}, {-2, 14, 7}} {
		w, h := Size(s, c.scale)
		if w != c.w || h != c.h {
			t.Errorf("Size(scale %d) = %d×%d, want %d×%d", c.scale, w, h, c.w, c.h)
		}
		out := Render(ring(28, true), Options{Scale: c.scale})
		lines := strings.Split(out, "\n")
		if len(lines) != c.h {
			t.Errorf("scale %d: %d lines, want %d", c.scale, len(lines), c.h)
		}
		for i, l := range lines {
			if got := ansi.StringWidth(l); got != c.w {
				t.Errorf("scale %d line %d: width %d, want %d", c.scale, i, got, c.w)
			}
		}
	}
}

func TestASCIIGolden(t *testing.T) {
	golden(t, "ring_ascii.golden", Render(ring(16, true), Options{Scale: 1, ASCII: true}))
}

func TestColorGolden(t *testing.T) {
	golden(t, "ring_color.golden", Render(ring(8, true), Options{Scale: 1}))
}

func TestNoColorCodesInASCII(t *testing.T) {
	out := Render(ring(16, false), Options{ASCII: true, Map: Map{Kind: Diverging, Scale: 1}})
	if strings.Contains(out, "\x1b") {
		t.Fatal("ASCII mode wrote an escape sequence")
	}
}

// TestRunMerging checks that a constant image writes its colours once per line.
func TestRunMerging(t *testing.T) {
	s := img.Shape{H: 4, W: 10, C: 1}
	im := img.Image{Shape: s, Pix: make([]float64, s.Len())}
	out := Render(im, Options{})
	for i, l := range strings.Split(out, "\n") {
		if n := strings.Count(l, "\x1b[38;2;"); n != 1 {
			t.Errorf("line %d: %d foreground codes, want 1", i, n)
		}
	}
}

func TestDivergingEnds(t *testing.T) {
	m := Map{Kind: Diverging, Scale: 2}
	if c := m.Color(0); c != (RGB{255, 255, 255}) {
		t.Errorf("0 → %v, want white", c)
	}
	if c := m.Color(5); c.R != 255 || c.B > 40 {
		t.Errorf("+ → %v, want red", c)
	}
	if c := m.Color(-5); c.B != 255 || c.R > 40 {
		t.Errorf("− → %v, want blue", c)
	}
}

func TestCache(t *testing.T) {
	var c Cache
	im := ring(8, false)
	a := c.Render(1, im, Options{})
	im.Pix[0] = 1 // the cache trusts the key
	if b := c.Render(1, im, Options{}); b != a {
		t.Error("same key redrew")
	}
	if b := c.Render(2, im, Options{}); b == a {
		t.Error("new key did not redraw")
	}
}

func BenchmarkRender28x2(b *testing.B) {
	im := ring(28, true)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], im, Options{Scale: 2})
	}
}

// TestDigitSize is the size anchor: one 28×28 digit at 28 columns is no
// larger than chafa's 5.1 KB (colour codes of repeated colours merged).
func TestDigitSize(t *testing.T) {
	for _, d := range assets.TestDigits()[:10] {
		if n := len(Render(d.Image, Options{Scale: 1})); n > 5100 {
			t.Errorf("digit %d (test #%d): %d bytes at 28 columns, want ≤ 5100", d.Label, d.Index, n)
		}
	}
}

func BenchmarkDigit28(b *testing.B) {
	im := assets.TestDigits()[0].Image
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], im, Options{Scale: 1})
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

// TestOddHeightPadding: below an odd height, the last row's bottom halves
// keep the terminal's default background (SGR 49), not black, which shows
// as a strip on a light terminal.
func TestOddHeightPadding(t *testing.T) {
	s := img.Shape{H: 3, W: 4, C: 1}
	im := img.Image{Shape: s, Pix: make([]float64, s.Len())}
	for i := range im.Pix {
		im.Pix[i] = 1 // white
	}
	lines := strings.Split(Render(im, Options{}), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	if want := "\x1b[38;2;255;255;255;48;2;255;255;255m▀▀▀▀\x1b[m"; lines[0] != want {
		t.Errorf("full row %q, want %q", lines[0], want)
	}
	if want := "\x1b[38;2;255;255;255;49m▀▀▀▀\x1b[m"; lines[1] != want {
		t.Errorf("padded row %q, want %q", lines[1], want)
	}
	// Every odd height pads the same way: at scale 1, downscaled, in RGB.
	for _, c := range []struct {
		name string
		im   img.Image
		o    Options
	}{
		{"ring 13 scale 1", ring(13, true), Options{Scale: 1}},
		{"ring 28 scale -4", ring(28, false), Options{Scale: -4}},
		{"rgb", img.Image{Shape: img.Shape{H: 5, W: 2, C: 3}, Pix: make([]float64, 30)}, Options{}},
	} {
		_, h := Size(c.im.Shape, c.o.Scale)
		last := strings.Split(Render(c.im, c.o), "\n")[h-1]
		if strings.Contains(last, "48;2;") || !strings.Contains(last, ";49m") {
			t.Errorf("%s: last row %q sets a background", c.name, last)
		}
	}
}

func TestColorGoldenOddHeight(t *testing.T) {
	golden(t, "ring_color_odd.golden", Render(ring(7, true), Options{Scale: 1}))
}

// TestLimits: a drawing beyond MaxSide or MaxPixels gets a smaller scale
// (a shrink if need be) before anything is allocated, Size and Render
// agree on it, and shapes that overflow or exceed Pix draw nothing.
func TestLimits(t *testing.T) {
	for _, c := range []struct {
		shape  img.Shape
		scale  int
		w, h   int // cells
		render bool
	}{
		{img.Shape{H: 28, W: 28, C: 1}, 1 << 40, 1428, 714, true}, // scale 51: 1428² ≤ 2^21 pixels
		{img.Shape{H: 1000, W: 1, C: 1}, 1188, 4, 2000, true},     // scale 4: 4000 ≤ 4096 rows
		{img.Shape{H: 1188000, W: 1188, C: 1}, 1, 5, 2042, false}, // shrink 291
		{img.Shape{H: 28, W: 28, C: 1}, math.MinInt, 1, 1, true},  // shrink beyond the image: 1×1
		{img.Shape{H: 5000, W: 5000, C: 1}, -1, 1250, 625, false}, // shrink 4: 1250² ≤ 2^21 pixels
	} {
		w, h := Size(c.shape, c.scale)
		if w != c.w || h != c.h || w > MaxSide || 2*h > MaxSide+1 || w*2*h > MaxPixels+w {
			t.Errorf("Size(%v, %d) = %d×%d, want %d×%d", c.shape, c.scale, w, h, c.w, c.h)
		}
		if !c.render {
			continue
		}
		im := img.Image{Shape: c.shape, Pix: make([]float64, c.shape.Len())}
		lines := strings.Split(Render(im, Options{Scale: c.scale, ASCII: true}), "\n")
		if len(lines) != h || ansi.StringWidth(lines[0]) != w {
			t.Errorf("Render(%v, %d): %d lines of %d, want %d of %d", c.shape, c.scale, len(lines), ansi.StringWidth(lines[0]), h, w)
		}
	}
	for _, s := range []img.Shape{{H: 1 << 32, W: 1 << 32, C: 2}, {H: 4, W: 4, C: 1}} {
		im := img.Image{Shape: s, Pix: make([]float64, 3)}
		if out := Render(im, Options{Scale: 2}); out != "" {
			t.Errorf("shape %v with 3 values drew %q", s, out)
		}
		if r := RGBA(nil, im, Map{}); r.Rect.Dx() != 0 {
			t.Errorf("RGBA of shape %v with 3 values is %v", s, r.Rect)
		}
	}
}

// TestHalfScale: Scale + ½ draws 28 pixels as 42 columns and 21 rows,
// every source pixel 1 or 2 times in turn, and Size agrees with Render.
func TestHalfScale(t *testing.T) {
	s := img.Shape{H: 28, W: 28, C: 1}
	pix := make([]float64, s.Len())
	for i := range pix {
		pix[i] = float64(i%28)/27*2 - 1
	}
	o := Options{Scale: 1, Half: true}
	w, h := SizeOf(s, o)
	if w != 42 || h != 21 {
		t.Fatalf("SizeOf = %d×%d, want 42×21", w, h)
	}
	out := Render(img.Image{Shape: s, Pix: pix}, o)
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for _, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Fatalf("a line %d cells wide, want %d", n, w)
		}
	}
	g := resample(img.Image{Shape: s, Pix: pix}, o)
	counts := make([]int, 28)
	for x := 0; x < g.w; x++ {
		v := g.at(x, 0)[0]
		counts[int(math.Round((v+1)/2*27))]++
	}
	for i, c := range counts {
		if c != 1 && c != 2 {
			t.Fatalf("source column %d drawn %d times", i, c)
		}
	}
	if w, _ := SizeOf(s, Options{Scale: 2}); w != 56 {
		t.Errorf("whole scales unchanged: %d", w)
	}
}
