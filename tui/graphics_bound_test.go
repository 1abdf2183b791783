package tui

import (
	"testing"

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
	clamped := false
	for _, wh := range sixelSizes(t, tm, 5) {
		w, h := wh[0], wh[1]
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
