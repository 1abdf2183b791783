package kitty

import (
	"bytes"
	"encoding/base64"
	"flag"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"tweedie/assets"
	"tweedie/tui/halfblock"
	"tweedie/tui/internal/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldentest.Check(t, name, got, *update)
}

func digit() *image.RGBA {
	return halfblock.RGBA(nil, assets.TestDigits()[0].Image, halfblock.Map{})
}

var apc = regexp.MustCompile("\x1b_G([^;\x1b]*);?([^\x1b]*)\x1b\\\\")

func TestGolden(t *testing.T) {
	var e Encoder
	out, err := e.Append(nil, digit(), Options{ID: 7, Cols: 28, Rows: 14, Placeholder: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "digit_28x14.kitty", out)
	golden(t, "placeholders_7_4x2.txt", []byte(Placeholders(7, 4, 2)))
}

// TestPayload decodes the transmitted PNG and compares it with the source.
func TestPayload(t *testing.T) {
	src := digit()
	var e Encoder
	out, err := e.Append(nil, src, Options{ID: 2, Cols: 10, Rows: 5, Placeholder: true})
	if err != nil {
		t.Fatal(err)
	}
	m := apc.FindAllSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("%d sequences, want 1", len(m))
	}
	for _, kv := range []string{"a=T", "f=100", "i=2", "c=10", "r=5", "U=1", "q=2"} {
		if !strings.Contains(","+string(m[0][1])+",", ","+kv+",") {
			t.Errorf("control %q lacks %s", m[0][1], kv)
		}
	}
	raw, err := base64.StdEncoding.DecodeString(string(m[0][2]))
	if err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds() != src.Bounds() {
		t.Fatalf("PNG is %v, want the native %v", im.Bounds(), src.Bounds())
	}
	for y := range 28 {
		for x := range 28 {
			r1, g1, b1, _ := im.At(x, y).RGBA()
			r2, g2, b2, _ := src.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
	if len(out) > 1024 {
		t.Errorf("a 28×28 digit takes %d bytes, want ≤ 1 KiB", len(out))
	}
}

// TestChunksAndTmux checks chunking (m=1 … m=0) of a large image and
// tmux's passthrough wrapping.
func TestChunksAndTmux(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7919 % 251)
	}
	var e Encoder
	out, err := e.Append(nil, src, Options{ID: 300, Cols: 20, Rows: 10})
	if err != nil {
		t.Fatal(err)
	}
	m := apc.FindAllSubmatch(out, -1)
	if len(m) < 2 {
		t.Fatalf("%d chunks, want several", len(m))
	}
	var payload []byte
	for i, s := range m {
		ctl := string(s[1])
		last := i == len(m)-1
		switch {
		case i == 0 && !strings.Contains(ctl, "m=1"), i > 0 && !last && ctl != "m=1", last && ctl != "m=0":
			t.Errorf("chunk %d control %q", i, ctl)
		}
		if len(s[2]) > chunk || (!last && len(s[2])%4 != 0) {
			t.Errorf("chunk %d has %d bytes", i, len(s[2]))
		}
		payload = append(payload, s[2]...)
	}
	if raw, err := base64.StdEncoding.DecodeString(string(payload)); err != nil {
		t.Fatal(err)
	} else if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m[0][1]), "C=1") {
		t.Error("direct placement moves the cursor")
	}

	tm, _ := e.Append(nil, src, Options{ID: 300, Cols: 20, Rows: 10, Tmux: true})
	if n := strings.Count(string(tm), "\x1bPtmux;"); n != len(m) {
		t.Errorf("%d passthrough wrappers for %d chunks", n, len(m))
	}
	if d := Delete(5, true); !strings.HasPrefix(d, "\x1bPtmux;\x1b\x1b_Ga=d,d=I") {
		t.Errorf("Delete under tmux = %q", d)
	}
}

func TestPlaceholders(t *testing.T) {
	p := Placeholders(9, 3, 2)
	lines := strings.Split(p, "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w != 3 {
			t.Errorf("line %q is %d cells wide, want 3", l, w)
		}
		if !strings.HasPrefix(l, "\x1b[38;5;9m") {
			t.Errorf("line %q does not name image 9", l)
		}
	}
	if p := Placeholders(0x012345, 1, 1); !strings.HasPrefix(p, "\x1b[38;2;1;35;69m") {
		t.Errorf("24-bit id: %q", p)
	}
}

func BenchmarkDigit(b *testing.B) {
	src := digit()
	var e Encoder
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = e.Append(buf[:0], src, Options{ID: 1, Cols: 28, Rows: 14, Placeholder: true})
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

// TestLimits: Append refuses, before encoding, sources, ids and boxes
// beyond the limits, and Placeholders clamps its box to MaxCells.
func TestLimits(t *testing.T) {
	var e Encoder
	ok := Options{ID: 7, Cols: 4, Rows: 2, Placeholder: true}
	for name, c := range map[string]struct {
		src  image.Image
		o    Options
		frag string
	}{
		"tall":         {image.NewRGBA(image.Rect(0, 0, 1, MaxSide+1)), ok, "pixels"},
		"large":        {image.NewGray(image.Rect(0, 0, 4096, 2048)), ok, "pixels"},
		"unbounded":    {image.NewUniform(image.White.C), ok, "pixels"},
		"empty":        {image.NewRGBA(image.Rectangle{}), ok, "pixels"},
		"id 0":         {digit(), Options{ID: 0, Cols: 1, Rows: 1}, "id 0"},
		"id 2^24":      {digit(), Options{ID: 1 << 24, Cols: 1, Rows: 1}, "id 16777216"},
		"negative box": {digit(), Options{ID: 1, Cols: -1, Rows: 1}, "box"},
		"wide box":     {digit(), Options{ID: 1, Cols: 1188, Rows: 1, Placeholder: true}, "box of 1188×1"},
	} {
		out, err := e.Append([]byte("x"), c.src, c.o)
		if err == nil || !strings.Contains(err.Error(), c.frag) || string(out) != "x" {
			t.Errorf("%s: %q, error %v; want dst unchanged and an error with %q", name, out, err, c.frag)
		}
	}
	if _, err := e.Append(nil, digit(), Options{ID: 1, Cols: 1188, Rows: 500}); err != nil {
		t.Errorf("a large box without placeholders: %v", err)
	}
	lines := strings.Split(Placeholders(9, 1<<40, 1000), "\n")
	if len(lines) != MaxCells || ansi.StringWidth(lines[0]) != MaxCells {
		t.Errorf("Placeholders(1<<40, 1000): %d lines of %d cells, want %d of %d", len(lines), ansi.StringWidth(lines[0]), MaxCells, MaxCells)
	}
	if p := Placeholders(9, -3, 2); p != "\x1b[38;5;9m\x1b[m\n\x1b[38;5;9m\x1b[m" {
		t.Errorf("negative cols: %q", p)
	}
}
