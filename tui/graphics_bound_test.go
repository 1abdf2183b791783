package tui

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"tweedie/tui/gfx"
	"tweedie/tui/termcaps"
)

// However large the cells (200×400 px here, the most --graphics takes), no
// sixel image is more than gfx.MaxSixelSide pixels a side: a frame's work and
// output stay bounded.
func TestSixelImageBounded(t *testing.T) {
	opts := testOptions()
	opts.Graphics = termcaps.Sixel
	opts.Cell = termcaps.Size{W: 200, H: 400}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(200, 60),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor)))
	raster := regexp.MustCompile(`\x1bP0;1;0q"1;1;(\d+);(\d+)`)
	var out []byte
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(maxWait(t))
	for len(raster.FindAllSubmatch(out, -1)) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 5 sixel images after %v", maxWait(t))
		}
		n, _ := tm.Output().Read(buf)
		out = append(out, buf[:n]...)
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	clamped := false
	for _, m := range raster.FindAllSubmatch(out, -1) {
		w, _ := strconv.Atoi(string(m[1]))
		h, _ := strconv.Atoi(string(m[2]))
		if w > gfx.MaxSixelSide || h > gfx.MaxSixelSide || w < 1 || h < 1 {
			t.Errorf("sixel image %d×%d px: want 1 to %d a side", w, h, gfx.MaxSixelSide)
		}
		clamped = clamped || max(w, h) == gfx.MaxSixelSide
	}
	if !clamped {
		t.Error("no image was shrunk to the bound: the test's panels are too small to tell")
	}
	tm.Quit()
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
}
