package main

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"tweedie/assets"
	"tweedie/tui/halfblock"
	"tweedie/tui/termcaps"
)

// writeDigitPNG writes the first embedded test digit as a 28×28 PNG.
func writeDigitPNG(t testing.TB, path string) {
	t.Helper()
	m := halfblock.RGBA(nil, assets.TestDigits()[0].Image, halfblock.Map{})
	gray := image.NewGray(m.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = m.Pix[4*i]
	}
	var b bytes.Buffer
	if err := png.Encode(&b, gray); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWriteDigitPNG writes the digit to $TWEEDIE_DIGIT_PNG, for trying
// `tweedie render` by hand: TWEEDIE_DIGIT_PNG=$PWD/assets-digit.png go test -run WriteDigit .
func TestWriteDigitPNG(t *testing.T) {
	path := os.Getenv("TWEEDIE_DIGIT_PNG")
	if path == "" {
		t.Skip("TWEEDIE_DIGIT_PNG not set")
	}
	writeDigitPNG(t, path)
}

func noProbe(termcaps.Env) (termcaps.Caps, int, termcaps.Size, error) {
	panic("probed a terminal that is not one")
}

func render(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	old := probeTerminal
	probeTerminal = noProbe
	t.Cleanup(func() { probeTerminal = old })
	var out, errb bytes.Buffer
	code := realMain(append([]string{"render"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// TestRenderDigitHalfblock checks the default off a terminal (half-blocks)
// and the size anchor: one 28×28 digit at 28 columns within chafa's 5.1 KB.
func TestRenderDigitHalfblock(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "digit.png")
	writeDigitPNG(t, p)
	out, errs, code := render(t, "--width", "28", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 14 {
		t.Errorf("%d lines, want 14", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 28 {
			t.Errorf("line %d is %d wide", i, w)
		}
	}
	if !strings.Contains(out, "▀") || !strings.Contains(out, "\x1b[38;2;") {
		t.Error("not colour half-blocks")
	}
	if len(out) > 5100 {
		t.Errorf("digit at 28 columns is %d bytes, more than chafa's 5.1 KB", len(out))
	}
	t.Logf("half-block digit: %d bytes", len(out))
	// Flags may follow the images, as in the other subcommands.
	after, errs, code := render(t, p, "--width", "28")
	if code != 0 || after != out {
		t.Errorf("flags after the image: exit %d (%s), output differs: %v", code, errs, after != out)
	}
}

func TestRenderModes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "digit.png")
	writeDigitPNG(t, p)

	out, _, code := render(t, "--graphics", "sixel:10x20", "--width", "28", p)
	if code != 0 || !strings.HasPrefix(out, "\x1bP0;1;0q\"1;1;280;280") {
		t.Errorf("sixel: exit %d, output %q…", code, out[:min(len(out), 40)])
	}
	out, _, code = render(t, "--graphics", "kitty", "--width", "10", p)
	if code != 0 || !strings.HasPrefix(out, "\x1b_Ga=T,f=100") || !strings.Contains(out, ",c=10,r=5,") {
		t.Errorf("kitty: exit %d, output %q…", code, out[:min(len(out), 60)])
	}
	out, _, code = render(t, "--graphics", "ascii", "--width", "14", p)
	if code != 0 || strings.Contains(out, "\x1b") || len(strings.Split(strings.TrimSuffix(out, "\n"), "\n")) != 7 {
		t.Errorf("ascii: exit %d, output\n%s", code, out)
	}
	out, _, code = render(t, "--color", "256", "--width", "28", p)
	if code != 0 || strings.Contains(out, "38;2;") || !strings.Contains(out, "38;5;") {
		t.Errorf("--color 256 kept 24-bit codes: %q…", out[:min(len(out), 60)])
	}
}

// TestRenderGIFFirstFrame renders a two-frame GIF: the first frame is white.
func TestRenderGIFFirstFrame(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	f1 := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
	f2 := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
	for i := range f1.Pix {
		f1.Pix[i] = 1
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{1, 1}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.gif")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := render(t, p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "255;255;255") || strings.Contains(out, "38;2;0;0;0") {
		t.Errorf("not the white first frame: %q", out)
	}
}

func TestRenderErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no image"},
		{[]string{"--graphics", "png", "x.png"}, 2, "--graphics"},
		{[]string{"--color", "lots", "x.png"}, 2, "--color"},
		{[]string{"--graphics", "sixel:0x3", "x.png"}, 2, "cell size"},
		{[]string{"--graphics", "sixel:201x400", "x.png"}, 2, "to 200x400"},
		{[]string{"/nonexistent.png"}, 1, "nonexistent"},
	} {
		_, errs, code := render(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
	var out bytes.Buffer
	if code := realMain([]string{"render", "-h"}, &out, &out); code != 0 || !strings.Contains(out.String(), "--width") {
		t.Errorf("render -h: %d\n%s", code, out.String())
	}
}

// TestRenderBoundsTheDrawing: a drawing's size in pixels is checked before
// the image is resized (a 1×1000 image 1188 columns wide was 1188×1188000
// half-block pixels, a 1×1 image in 1188 cells of 200×400 pixels
// 237600² sixel pixels).
func TestRenderBoundsTheDrawing(t *testing.T) {
	dir := t.TempDir()
	save := func(name string, w, h int) string {
		path := filepath.Join(dir, name)
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tall, dot := save("tall.png", 1, 1000), save("dot.png", 1, 1)
	for _, args := range [][]string{
		{"--width", "1188", tall},
		{"--graphics", "sixel:200x400", "--width", "1188", dot},
		{"--graphics", "kitty:200x400", "--width", "1188", dot},
		{"--graphics", "sixel:200x400", tall},
	} {
		out, errs, code := render(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "pixels, more than") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, %d bytes out", args, code, errs, len(out))
		}
	}
	// Within the bounds: drawn.
	if out, errs, code := render(t, "--graphics", "sixel:10x20", "--width", "100", dot); code != 0 || out == "" {
		t.Errorf("sixel 1000×1000: exit %d, %q", code, errs)
	}
}
