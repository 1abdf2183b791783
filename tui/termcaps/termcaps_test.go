package termcaps

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi/kitty"
)

func TestParseMode(t *testing.T) {
	for _, c := range []struct {
		in   string
		mode Mode
		cell Size
		bad  bool
	}{
		{"auto", Auto, Size{}, false}, {"KITTY", Kitty, Size{}, false}, {"sixel", Sixel, Size{}, false},
		{"sixel:6x13", Sixel, Size{6, 13}, false}, {"halfblock", Halfblock, Size{}, false},
		{"ascii", ASCII, Size{}, false}, {"png", 0, Size{}, true}, {"sixel:6", 0, Size{}, true},
		{"sixel:0x13", 0, Size{}, true},
	} {
		m, cell, err := ParseMode(c.in)
		if (err != nil) != c.bad || (!c.bad && (m != c.mode || cell != c.cell)) {
			t.Errorf("ParseMode(%q) = %v, %v, %v", c.in, m, cell, err)
		}
	}
	for in, want := range map[string]colorprofile.Profile{"auto": colorprofile.Unknown, "truecolor": colorprofile.TrueColor,
		"256": colorprofile.ANSI256, "16": colorprofile.ANSI, "none": colorprofile.ASCII} {
		if p, err := ParseProfile(in); err != nil || p != want {
			t.Errorf("ParseProfile(%q) = %v, %v", in, p, err)
		}
	}
	if _, err := ParseProfile("lots"); err == nil {
		t.Error("ParseProfile accepted lots")
	}
}

func TestEnvAndQueries(t *testing.T) {
	e := ParseEnv([]string{"TERM=screen-256color", "TMUX=/tmp/tmux-0/default,1,0", "SSH_CONNECTION=1 2 3 4"})
	if !e.Tmux || !e.SSH || e.Term != "screen-256color" {
		t.Errorf("ParseEnv = %+v", e)
	}
	q := Queries(e)
	if !strings.HasPrefix(q, "\x1bPtmux;\x1b\x1b_G") {
		t.Errorf("kitty query not wrapped for tmux: %q", q)
	}
	if !strings.HasSuffix(q, "\x1b[c") {
		t.Errorf("DA1 is not last: %q", q)
	}
	if q := Queries(Env{Term: "xterm"}); !strings.HasPrefix(q, kittyQueryPrefix) {
		t.Errorf("plain query %q", q)
	}
}

const kittyQueryPrefix = "\x1b_Gi=31,"

func TestHandleAndChoose(t *testing.T) {
	var c Caps
	c.SetWindow(100, 50)
	for _, msg := range []any{
		uv.KittyGraphicsEvent{Options: kitty.Options{ID: 31}, Payload: []byte("OK")},
		uv.PixelSizeEvent{Width: 1000, Height: 1000},
		tea.TerminalVersionMsg{Name: "kitty(0.35.1)"},
	} {
		if !c.Handle(msg) {
			t.Errorf("%T not taken as a reply", msg)
		}
	}
	if c.Done() {
		t.Error("done before DA1")
	}
	c.Handle(uv.PrimaryDeviceAttributesEvent{62, 22})
	if !c.Done() || c.Choose(colorprofile.ANSI256) != Kitty || c.Cell != (Size{10, 20}) {
		t.Errorf("caps %+v: chose %v", c, c.Choose(colorprofile.ANSI256))
	}
	if p := c.Profile(colorprofile.ANSI256); p != colorprofile.TrueColor {
		t.Errorf("kitty over SSH: profile %v, want truecolor", p)
	}
	c.Handle(uv.CellSizeEvent{Width: 9, Height: 18})
	if c.CellSize(DefaultCell) != (Size{9, 18}) {
		t.Error("CSI 16 t reply not taken")
	}

	var x Caps
	x.Handle(tea.TerminalVersionMsg{Name: "XTerm(379)"})
	x.Handle(uv.PrimaryDeviceAttributesEvent{63, 1, 2, 4, 6})
	if x.Choose(colorprofile.ANSI) != Sixel || x.CellSize(DefaultCell) != DefaultCell {
		t.Errorf("xterm: %v", x.Choose(colorprofile.ANSI))
	}
	var none Caps
	none.Handle(uv.PrimaryDeviceAttributesEvent{1, 2})
	if none.Choose(colorprofile.ASCII) != ASCII || none.Choose(colorprofile.ANSI) != Halfblock {
		t.Error("fallbacks")
	}
	if Halfblock.Next() != ASCII || ASCII.Next() != Kitty {
		t.Error("Next")
	}
}

// TestCellBounds: a cell size beyond MaxCell, reported or computed from the
// window, is ignored (it would scale images to boxes of any size).
func TestCellBounds(t *testing.T) {
	var c Caps
	c.Handle(uv.CellSizeEvent{Width: 1 << 30, Height: 20})
	c.SetWindow(1, 1)
	c.Handle(uv.PixelSizeEvent{Width: 100000, Height: 100000})
	if c.Cell != (Size{}) || c.CellSize(DefaultCell) != DefaultCell {
		t.Errorf("cell %v taken", c.Cell)
	}
	c.Cell = Size{W: 500, H: 20}
	if c.CellSize(DefaultCell) != DefaultCell {
		t.Errorf("CellSize gives %v", c.CellSize(DefaultCell))
	}
	if _, _, err := ParseMode("sixel:201x20"); err == nil {
		t.Error("sixel:201x20 accepted")
	}
}

// FuzzReplies feeds arbitrary terminal input through the decoder that
// reads the replies (as tweedie render does) into Caps, and checks that
// nothing panics, the decoder always progresses, the cell size stays
// within 1×1 to MaxCell and Choose picks a mode.
func FuzzReplies(f *testing.F) {
	f.Add([]byte(kittyQueryPrefix + "OK\x1b\\" + "\x1b[6;18;9t\x1b[4;900;1600t\x1bP>|kitty(0.35.1)\x1b\\\x1b[?62;22c"))
	f.Add([]byte("\x1bP>|XTerm(390)\x1b\\\x1b[?63;1;2;4;6c"))
	f.Add([]byte("\x1b[6;99999999999;99999999999t\x1b[4;-5;7t\x1b[6;0;0t"))
	f.Add([]byte("\x1b_Gi=31;ENOTSUPPORTED\x1b\\\x1b[?1;2c"))
	f.Add([]byte("\x1b[?" + strings.Repeat("4;", 100) + "c\x1b"))
	f.Add([]byte("\x1bP"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Caps
		c.SetWindow(80, 24)
		var dec uv.EventDecoder
		for buf := data; len(buf) > 0; {
			n, ev := dec.Decode(buf)
			if n <= 0 || n > len(buf) {
				if n == 0 {
					break // an incomplete sequence: wait for more input
				}
				t.Fatalf("Decode consumed %d of %d bytes", n, len(buf))
			}
			buf = buf[n:]
			c.Handle(ev)
		}
		if c.Cell != (Size{}) && !c.Cell.within(MaxCell) {
			t.Fatalf("cell size %v taken", c.Cell)
		}
		if s := c.CellSize(DefaultCell); !s.within(MaxCell) {
			t.Fatalf("CellSize = %v", s)
		}
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ASCII} {
			if m := c.Choose(p); !slices.Contains(Modes, m) {
				t.Fatalf("Choose = %v", m)
			}
		}
	})
}

// Sizes out of range, as a hostile client may report, are taken as
// replies and ignored: the images drawn grow with the cell size.
func TestHandleIgnoresHugeSizes(t *testing.T) {
	var c Caps
	c.SetWindow(80, 24)
	for _, msg := range []any{
		uv.CellSizeEvent{Width: 40000, Height: 20000}, // CSI 6;40000;20000 t
		uv.CellSizeEvent{Width: 10, Height: MaxCell.H + 1},
		uv.CellSizeEvent{Width: -1, Height: 20},
		uv.PixelSizeEvent{Width: MaxWindow.W + 1, Height: 1000},
		uv.PixelSizeEvent{Width: 80 * (MaxCell.W + 1), Height: 24 * 20}, // cells too wide
	} {
		if !c.Handle(msg) {
			t.Errorf("%+v not taken as a reply", msg)
		}
		if got := c.CellSize(DefaultCell); got != DefaultCell {
			t.Fatalf("after %+v: cell %v, want the default %v", msg, got, DefaultCell)
		}
	}
	// A window one cell wide: its pixel width is the cell's.
	c.SetWindow(1, 1)
	if got := c.CellSize(DefaultCell); got != DefaultCell {
		t.Errorf("1×1 window of %v pixels: cell %v, want the default", c.px, got)
	}
	c.Handle(uv.CellSizeEvent{Width: MaxCell.W, Height: MaxCell.H})
	if got := c.CellSize(DefaultCell); got != MaxCell {
		t.Errorf("cell %v, want %v (the largest taken)", got, MaxCell)
	}
}
