package tui

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	xkitty "github.com/charmbracelet/x/ansi/kitty"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"tweedie/tui/gfx"
	"tweedie/tui/termcaps"
)

// sixelAt is a sixel image the emulator received, with the cursor where
// it was drawn.
type sixelAt struct {
	x, y, w, h int // cell and pixel size
}

var raster = regexp.MustCompile(`^"1;1;(\d+);(\d+)`)

// startGraphics runs the explorer in mode on a w×h emulator that records
// the sixel images (DCS q) and kitty commands (APC G) it gets.
func startGraphics(t *testing.T, mode termcaps.Mode, profile colorprofile.Profile, w, h int) (*teatest.TestModel, *screen, *[]sixelAt, *[]string) {
	t.Helper()
	opts := testOptions()
	opts.Graphics = mode
	opts.Cell = termcaps.Size{W: 10, H: 20}
	opts.Profile = colorprofile.Unknown
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(profile), tea.WithFPS(30)))
	scr := newScreen(w, h)
	var sixels []sixelAt
	var apcs []string
	scr.emu.RegisterDcsHandler('q', func(_ ansi.Params, data []byte) bool {
		p := scr.emu.CursorPosition()
		s := sixelAt{x: p.X, y: p.Y}
		if m := raster.FindSubmatch(data); m != nil {
			s.w, _ = strconv.Atoi(string(m[1]))
			s.h, _ = strconv.Atoi(string(m[2]))
		}
		sixels = append(sixels, s)
		return true
	})
	scr.emu.RegisterApcHandler(func(data []byte) bool {
		if bytes.HasPrefix(data, []byte("G")) {
			ctl, _, _ := strings.Cut(string(data[1:]), ";")
			apcs = append(apcs, ctl)
		}
		return true
	})
	return tm, scr, &sixels, &apcs
}

// labels are the captions of the panels that hold images.
var labels = []string{"ground truth", "measurement y", "x_t", "x̂0 Tweedie", "Δ ±", "exact E[x0|y]", "exact std"}

// captions finds the panels' captions on the screen: the cell each
// starts at.
func captions(e *vt.Emulator) [][2]int {
	var out [][2]int
	for y := 0; y < e.Height(); y++ {
		cells := make([]string, e.Width())
		for x := range cells {
			if c := e.CellAt(x, y); c != nil {
				cells[x] = c.Content
			}
		}
		for x := range cells {
			rest := strings.Join(cells[x:min(x+20, len(cells))], "")
			for _, l := range labels {
				if strings.HasPrefix(rest, l) && (x == 0 || cells[x-1] == " ") {
					out = append(out, [2]int{x, y})
				}
			}
		}
	}
	return out
}

// panelSize infers a panel's image size in cells from the captions' grid
// (0 when there is one column or one row).
func panelSize(caps [][2]int) (pw, ph int) {
	for _, a := range caps {
		for _, b := range caps {
			if a[1] == b[1] && b[0] > a[0] && (pw == 0 || b[0]-a[0]-1 < pw) {
				pw = b[0] - a[0] - 1
			}
			if b[1] > a[1] && (ph == 0 || b[1]-a[1]-1 < ph) {
				ph = b[1] - a[1] - 1
			}
		}
	}
	return pw, ph
}

// sixelsPlaced reports whether the latest sixel images cover exactly the
// panels under the captions, each at the panel's cell box.
func sixelsPlaced(e *vt.Emulator, sixels []sixelAt) bool {
	cs := captions(e)
	if len(cs) < 5 || !screenHas(e, "exact std") {
		return false
	}
	pw, ph := panelSize(cs)
	last := map[[2]int]sixelAt{}
	for _, s := range sixels {
		last[[2]int{s.x, s.y}] = s
	}
	for _, c := range cs {
		s, ok := last[[2]int{c[0], c[1] + 1}]
		if !ok || s.w%10 != 0 || s.h%20 != 0 || (pw > 0 && s.w != pw*10) || (ph > 0 && s.h != ph*20) {
			return false
		}
	}
	return true
}

// TestSixelInEmulator checks where the explorer's sixel images land: each
// at the top-left cell of its panel, just under the caption, scaled to the
// panel's cell box, over blank cells; again after a step, and all again
// after a resize, at the new layout.
func TestSixelInEmulator(t *testing.T) {
	tm, scr, sixels, _ := startGraphics(t, termcaps.Sixel, colorprofile.TrueColor, 100, 30)
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return screenHas(e, "step 1/40 t ") && sixelsPlaced(e, *sixels)
	})
	checkBlank := func() {
		t.Helper()
		scr.mu.Lock()
		defer scr.mu.Unlock()
		cs := captions(scr.emu)
		pw, ph := panelSize(cs)
		for _, c := range cs {
			for y := c[1] + 1; y <= c[1]+ph; y++ {
				for x := c[0]; x < c[0]+pw; x++ {
					if cell := scr.emu.CellAt(x, y); cell != nil && cell.Content != " " && cell.Content != "" {
						t.Fatalf("cell (%d,%d) under a sixel holds %q", x, y, cell.Content)
					}
				}
			}
		}
		// The cursor was restored after each image: the renderer's
		// (hidden) cursor is not left in a panel.
		p := scr.emu.CursorPosition()
		for _, c := range cs {
			if p.X >= c[0] && p.X < c[0]+pw && p.Y > c[1] && p.Y <= c[1]+ph {
				t.Errorf("cursor left at %v, inside a panel", p)
			}
		}
	}
	checkBlank()

	// A step sends the images whose content changed, at the same places.
	n := len(*sixels)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyRight})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return screenHas(e, "step 2/40 t ") && len(*sixels) > n && sixelsPlaced(e, *sixels)
	})

	// Resize: the renderer clears the screen, and every image is sent
	// again at the new layout.
	n = len(*sixels)
	scr.mu.Lock()
	scr.emu.Resize(160, 48)
	scr.mu.Unlock()
	tm.Send(tea.WindowSizeMsg{Width: 160, Height: 48})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		return len(*sixels) >= n+len(captions(e)) && sixelsPlaced(e, (*sixels)[n:])
	})
	checkBlank()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
}

// kittyCtl parses a kitty control string "a=T,i=3,…".
func kittyCtl(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// TestKittyInEmulator checks kitty mode on a 16-colour program: images
// are transmitted for virtual placement at the panel's cell box, the
// panel's cells hold placeholders whose foreground is the image id (so
// true colour was forced), and the images are deleted on quit.
func TestKittyInEmulator(t *testing.T) {
	tm, scr, _, apcs := startGraphics(t, termcaps.Kitty, colorprofile.ANSI, 100, 30)
	placeholder := string(xkitty.Placeholder)
	// placed reports whether every panel's top-left and bottom-right
	// cells hold its placeholders, in the id's colour.
	placed := func(e *vt.Emulator) bool {
		cs := captions(e)
		if len(cs) < 5 || !screenHas(e, "exact std") {
			return false
		}
		pw, ph := panelSize(cs)
		for i, c := range cs {
			for _, p := range [][2]int{{0, 0}, {pw - 1, ph - 1}} {
				cell := e.CellAt(c[0]+p[0], c[1]+1+p[1])
				want := placeholder + string(xkitty.Diacritic(p[1])) + string(xkitty.Diacritic(p[0]))
				if cell == nil || cell.Content != want || cell.Style.Fg != ansi.IndexedColor(i+1) {
					return false
				}
			}
		}
		return true
	}
	// The transmissions may come a frame after the placeholders (they go
	// out as raw output); wait for both.
	sent := func(e *vt.Emulator) bool {
		ids := map[string]bool{}
		for _, a := range *apcs {
			if c := kittyCtl(a); c["a"] == "T" {
				ids[c["i"]] = true
			}
		}
		for i := range captions(e) {
			if !ids[strconv.Itoa(i+1)] {
				return false
			}
		}
		return true
	}
	scr.waitFor(t, tm, func(e *vt.Emulator) bool { return screenHas(e, "step 1/40 t ") && placed(e) && sent(e) })
	scr.mu.Lock()
	cs := captions(scr.emu)
	pw, ph := panelSize(cs)
	last := map[string]map[string]string{}
	for _, a := range *apcs {
		if c := kittyCtl(a); c["a"] == "T" {
			last[c["i"]] = c
		}
	}
	for i := range cs {
		c, ok := last[strconv.Itoa(i+1)]
		if !ok {
			t.Errorf("image %d never transmitted", i+1)
			continue
		}
		if c["U"] != "1" || c["f"] != "100" || c["c"] != strconv.Itoa(pw) || c["r"] != strconv.Itoa(ph) {
			t.Errorf("image %d sent with %v, want U=1, f=100, c=%d, r=%d", i+1, c, pw, ph)
		}
	}
	n := len(*apcs)
	scr.mu.Unlock()

	// A step sends the changed images again under the same ids.
	tm.Send(tea.KeyPressMsg{Code: tea.KeyRight})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool { return screenHas(e, "step 2/40 t ") && len(*apcs) > n })

	// Quitting deletes every image (a=d, d=I) before the program ends.
	n = len(*apcs)
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	scr.waitFor(t, tm, func(e *vt.Emulator) bool {
		del := map[string]bool{}
		for _, a := range (*apcs)[n:] {
			if c := kittyCtl(a); c["a"] == "d" && c["d"] == "I" {
				del[c["i"]] = true
			}
		}
		for i := range cs {
			if !del[strconv.Itoa(i+1)] {
				return false
			}
		}
		return true
	})
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
}

// TestGraphicsKeyCycles checks the g key's cycle and its help entry.
func TestGraphicsKeyCycles(t *testing.T) {
	m := newModel(t)
	drain(m, m.Init())
	if m.GraphicsMode() != termcaps.Halfblock {
		t.Fatalf("mode %v, want the given halfblock", m.GraphicsMode())
	}
	// Nothing detected (no replies): only half-blocks, given, and the
	// character ramp; kitty and sixel only once the terminal says so.
	for _, want := range []termcaps.Mode{termcaps.ASCII, termcaps.Halfblock, termcaps.ASCII} {
		m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"})
		if got := m.GraphicsMode(); got != want {
			t.Fatalf("after g: %v, want %v", got, want)
		}
		if !strings.Contains(m.noticeLine(), "graphics: "+want.String()) {
			t.Errorf("notice %q does not name %v", m.noticeLine(), want)
		}
	}
	m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"}) // back to half-blocks
	m.Update(da1(62, 4))                            // sixel
	for _, want := range []termcaps.Mode{termcaps.ASCII, termcaps.Sixel, termcaps.Halfblock} {
		m.Update(tea.KeyPressMsg{Code: 'g', Text: "g"})
		if got := m.GraphicsMode(); got != want {
			t.Fatalf("with sixel detected, after g: %v, want %v", got, want)
		}
	}
	m.Help.ShowAll = true
	if !strings.Contains(m.Help.View(m.KeyMap), "graphics mode") {
		t.Error("full help lacks the graphics key")
	}
}

// TestDetectionChooses feeds replies to an auto-detecting model.
func TestDetectionChooses(t *testing.T) {
	for _, c := range []struct {
		name    string
		replies []tea.Msg
		want    termcaps.Mode
	}{
		{"xterm vt340", []tea.Msg{tea.TerminalVersionMsg{Name: "XTerm(379)"}, da1(63, 1, 2, 4, 6, 9)}, termcaps.Sixel},
		{"kitty", []tea.Msg{kittyOK(), tea.TerminalVersionMsg{Name: "kitty(0.32.2)"}, da1(62, 4)}, termcaps.Kitty},
		{"kitty 0.28", []tea.Msg{kittyOK(), tea.TerminalVersionMsg{Name: "kitty(0.28.0)"}, da1(62, 4)}, termcaps.Kitty},
		{"kitty 0.26 (Debian 12): no placeholders", []tea.Msg{kittyOK(), tea.TerminalVersionMsg{Name: "kitty(0.26.5)"}, da1(62)}, termcaps.Halfblock},
		{"wezterm: kitty protocol, no placeholders, sixel", []tea.Msg{kittyOK(), tea.TerminalVersionMsg{Name: "WezTerm 20240203"}, da1(65, 4, 6)}, termcaps.Sixel},
		{"tmux 3.3a", []tea.Msg{tea.TerminalVersionMsg{Name: "tmux 3.3a"}, da1(1, 2)}, termcaps.Halfblock},
		{"no reply", []tea.Msg{gfx.DetectTimeoutMsg{}}, termcaps.Halfblock},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions()
			o.Graphics = termcaps.Auto
			m, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
			if m.GraphicsMode() != termcaps.Auto {
				t.Fatal("mode chosen before detection")
			}
			for _, r := range c.replies {
				m.Update(r)
			}
			if got := m.GraphicsMode(); got != c.want {
				t.Errorf("chose %v, want %v", got, c.want)
			}
		})
	}
}

func da1(attrs ...int) tea.Msg { return uv.PrimaryDeviceAttributesEvent(attrs) }

func kittyOK() tea.Msg {
	return uv.KittyGraphicsEvent{Options: xkitty.Options{ID: 31}, Payload: []byte("OK")}
}
