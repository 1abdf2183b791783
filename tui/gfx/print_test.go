package gfx

import (
	"image"
	"testing"

	"tweedie/tui/termcaps"
)

// On a terminal, an image is fitted to the window by default, like chafa:
// a 224-pixel image in xterm vt340 (140×45 cells of 8×17 pixels) was
// drawn 160 columns wide, a 1280-pixel sixel past xterm's 1000 and the
// window, and xterm showed nothing.
func TestRenderFitsTheWindow(t *testing.T) {
	b := image.Rect(0, 0, 224, 224)
	xterm := Printer{mode: termcaps.Sixel, cell: termcaps.Size{W: 8, H: 17}, maxSide: xtermSixelSide}
	cols := xterm.fit(b, 140, 44)
	w, h := xterm.DrawSize(b, cols)
	if rows := xterm.rows(b, cols); cols > 140 || rows > 44 || w > 1000 || h > 1000 {
		t.Errorf("sixel in 140×44 cells: %d columns, %d rows, %d×%d px", cols, rows, w, h)
	}
	if cols < 80 {
		t.Errorf("sixel in 140×44 cells: only %d columns (%d×%d px)", cols, w, h)
	}
	half := Printer{mode: termcaps.Halfblock}
	if cols := half.fit(b, 80, 23); cols != 46 || half.rows(b, cols) > 23 {
		t.Errorf("half-blocks in 80×23 cells: %d columns, %d rows; want 46 columns", cols, half.rows(b, cols))
	}
	wide := image.Rect(0, 0, 1000, 100)
	if cols := half.fit(wide, 80, 23); cols != 80 {
		t.Errorf("a wide image in half-blocks: %d columns, want the window's 80", cols)
	}
}
