package gfx

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"tweedie/tui/internal/cmdtest"
	"tweedie/tui/termcaps"
)

// TestKittyForcedProfileRepaints: once the true colour forced for kitty
// is in effect, the screen is repainted, since cells the renderer wrote
// under the lesser profile keep their cut-down colours (the image ids).
func TestKittyForcedProfileRepaints(t *testing.T) {
	g := New(Options{Want: termcaps.Kitty})
	g.profile = colorprofile.ANSI
	if cmd := g.SetMode(termcaps.Kitty); cmd == nil || !g.forced {
		t.Fatal("kitty on a 16-colour terminal did not force true colour")
	}
	clear := fmt.Sprintf("%T", tea.ClearScreen())
	clears := func(msg tea.Msg) bool {
		cmd, _ := g.Update(msg)
		for _, msg := range cmdtest.Messages(cmd) {
			if fmt.Sprintf("%T", msg) == clear {
				return true
			}
		}
		return false
	}
	if !clears(tea.ColorProfileMsg{Profile: colorprofile.TrueColor}) {
		t.Error("no repaint once the forced true colour is in effect")
	}
	// The program's own profile: forced again, then repainted again.
	cmd, _ := g.Update(tea.ColorProfileMsg{Profile: colorprofile.ANSI})
	var back bool
	for _, msg := range cmdtest.Messages(cmd) {
		if p, ok := msg.(tea.ColorProfileMsg); ok && p.Profile == colorprofile.TrueColor {
			back = true
		}
	}
	if !back || !clears(tea.ColorProfileMsg{Profile: colorprofile.TrueColor}) {
		t.Errorf("the program's profile: forced back %v, then no repaint", back)
	}
}
