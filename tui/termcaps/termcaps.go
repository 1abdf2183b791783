// Package termcaps finds out how a terminal can draw images: the kitty
// graphics protocol, sixel, half-blocks in colour, or characters only.
//
// Detection asks the terminal in-band, so it works over SSH, where the
// server sees TERM and little else: send [Queries] once, feed every reply
// to [Caps.Handle] until [Caps.Done] (the DA1 reply comes last, since
// every terminal answers it), then [Caps.Choose]. The replies are
//
//   - the kitty query (a=q): an "OK" means the kitty protocol;
//   - CSI 16 t and CSI 14 t: the cell size in pixels, directly or as the
//     window's pixel size over its size in cells (xterm answers neither
//     by default, hence a default and an override); sizes beyond
//     [MaxCell] and [MaxWindow] are ignored;
//   - XTVERSION: the terminal's name, which tells kitty and ghostty (the
//     only ones that draw Unicode placeholders) from WezTerm and others
//     that speak the protocol but do not;
//   - DA1: attribute 4 means sixel. Inside tmux, tmux answers DA1 itself
//     (3.3a: [1 2], and it swallows sixel), while the kitty query must be
//     wrapped in tmux's passthrough to reach the outer terminal.
package termcaps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"

	"tweedie/tui/kitty"
)

// Mode is how images are drawn.
type Mode int

const (
	// Auto detects the mode.
	Auto Mode = iota
	// Kitty is the kitty graphics protocol with Unicode placeholders.
	Kitty
	// Sixel is DEC sixel graphics.
	Sixel
	// Halfblock is '▀' cells with 24-bit colours (downsampled to the
	// terminal's colour profile).
	Halfblock
	// ASCII is a grayscale character ramp with no colour.
	ASCII
)

// Modes are the modes in the order the explorer's key cycles through them.
var Modes = []Mode{Kitty, Sixel, Halfblock, ASCII}

var modeNames = map[Mode]string{Auto: "auto", Kitty: "kitty", Sixel: "sixel", Halfblock: "halfblock", ASCII: "ascii"}

func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Next is the mode after m in Modes.
func (m Mode) Next() Mode {
	i := slices.Index(Modes, m)
	return Modes[(i+1)%len(Modes)]
}

// Size is a size in pixels.
type Size struct{ W, H int }

// DefaultCell is the cell size assumed when the terminal does not report
// one.
var DefaultCell = Size{W: 10, H: 20}

// MaxCell is the largest cell size in pixels taken from an option
// (sixel:WxH) or a terminal's replies, and MaxWindow the largest window
// size in pixels: a reply beyond them (real cells are a few dozen pixels)
// is ignored, since the images drawn grow with the cell size.
var (
	MaxCell   = Size{W: 200, H: 400}
	MaxWindow = Size{W: 16384, H: 16384}
)

// within reports whether s is at least 1×1 and at most limit.
func (s Size) within(limit Size) bool {
	return s.W >= 1 && s.H >= 1 && s.W <= limit.W && s.H <= limit.H
}

// ParseMode parses MODE or MODE:WxH (the cell size in pixels, for sixel
// on terminals that do not report it, e.g. "sixel:6x13"). MODE is auto,
// kitty, sixel, halfblock (or half, blocks) or ascii.
func ParseMode(s string) (Mode, Size, error) {
	name, cell, hasCell := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	var m Mode
	switch name {
	case "auto", "":
		m = Auto
	case "kitty":
		m = Kitty
	case "sixel":
		m = Sixel
	case "halfblock", "half", "blocks", "symbols":
		m = Halfblock
	case "ascii", "ramp", "none":
		m = ASCII
	default:
		return Auto, Size{}, fmt.Errorf("graphics mode %q: want auto, kitty, sixel, halfblock or ascii", s)
	}
	var sz Size
	if hasCell {
		w, h, ok := strings.Cut(cell, "x")
		var err1, err2 error
		sz.W, err1 = strconv.Atoi(w)
		sz.H, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || !sz.within(MaxCell) {
			return Auto, Size{}, fmt.Errorf("graphics mode %q: want a cell size WxH in pixels after the colon, from 1x1 to %dx%d, e.g. sixel:10x20", s, MaxCell.W, MaxCell.H)
		}
	}
	return m, sz, nil
}

// ParseProfile parses a --color value: auto (Unknown), truecolor, 256,
// 16 or none.
func ParseProfile(s string) (colorprofile.Profile, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return colorprofile.Unknown, nil
	case "truecolor", "24bit", "24-bit", "rgb":
		return colorprofile.TrueColor, nil
	case "256", "ansi256":
		return colorprofile.ANSI256, nil
	case "16", "ansi", "8":
		return colorprofile.ANSI, nil
	case "none", "ascii", "no", "mono":
		return colorprofile.ASCII, nil
	}
	return colorprofile.Unknown, fmt.Errorf("colour profile %q: want auto, truecolor, 256, 16 or none", s)
}

// Env is what the environment says about the terminal.
type Env struct {
	Term string
	// Tmux: inside tmux (TMUX set or TERM tmux*/screen*).
	Tmux bool
	// SSH: over SSH (SSH_CONNECTION, SSH_CLIENT or SSH_TTY set). The
	// server then sees only TERM: OpenSSH forwards neither COLORTERM nor
	// TERM_PROGRAM unless the user sets SendEnv.
	SSH bool
	// KittyHint: the variables kitty and ghostty set (KITTY_WINDOW_ID,
	// GHOSTTY_RESOURCES_DIR, TERM_PROGRAM=ghostty), which survive into tmux.
	KittyHint bool
}

// ParseEnv reads the environment, as os.Environ gives it.
func ParseEnv(environ []string) Env {
	get := func(k string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(environ[i], k+"="); ok {
				return v
			}
		}
		return ""
	}
	e := Env{Term: get("TERM")}
	e.Tmux = get("TMUX") != "" || strings.HasPrefix(e.Term, "tmux") || strings.HasPrefix(e.Term, "screen")
	e.SSH = get("SSH_CONNECTION") != "" || get("SSH_CLIENT") != "" || get("SSH_TTY") != ""
	e.KittyHint = get("KITTY_WINDOW_ID") != "" || get("GHOSTTY_RESOURCES_DIR") != "" ||
		strings.EqualFold(get("TERM_PROGRAM"), "ghostty")
	return e
}

// Queries returns the queries to send, DA1 last.
func Queries(e Env) string {
	q := kitty.Query
	if e.Tmux {
		q = ansi.TmuxPassthrough(q)
	}
	return q + "\x1b[16t" + "\x1b[14t" + ansi.RequestNameVersion + ansi.RequestPrimaryDeviceAttributes
}

// Caps is what the terminal said.
type Caps struct {
	Env Env
	// Kitty: the kitty query was answered OK.
	Kitty bool
	// DA1 is the primary device attributes reply; DA1Seen that it came.
	DA1     []int
	DA1Seen bool
	// Version is the XTVERSION reply, e.g. "kitty(0.32.2)", "XTerm(390)".
	Version string
	// Cell is the cell size in pixels, zero if not reported; never more
	// than MaxCell.
	Cell Size
	// Window sizes in cells and pixels (for CSI 14 t).
	cols, rows int
	px         Size
}

// Handle takes a message that may be a reply and reports whether it was.
// It also takes the window size in cells (tea.WindowSizeMsg), which turns
// a window pixel size into a cell size. A cell size outside 1×1 to MaxCell
// is ignored.
func (c *Caps) Handle(msg any) bool {
	switch msg := msg.(type) {
	case uv.MultiEvent:
		taken := false
		for _, e := range msg {
			taken = c.Handle(e) || taken
		}
		return taken
	case uv.KittyGraphicsEvent:
		if msg.Options.ID == kitty.QueryID {
			c.Kitty = string(msg.Payload) == "OK"
			return true
		}
	case uv.PrimaryDeviceAttributesEvent:
		c.DA1, c.DA1Seen = []int(msg), true
		return true
	case tea.TerminalVersionMsg:
		c.Version = msg.Name
		return true
	case uv.TerminalVersionEvent:
		c.Version = msg.Name
		return true
	case uv.CellSizeEvent:
		if s := (Size{msg.Width, msg.Height}); s.within(MaxCell) {
			c.Cell = s
		}
		return true
	case uv.PixelSizeEvent:
		if s := (Size{msg.Width, msg.Height}); s.within(MaxWindow) {
			c.px = s
			c.cellFromWindow()
		}
		return true
	case tea.WindowSizeMsg:
		c.cols, c.rows = msg.Width, msg.Height
		c.cellFromWindow()
	case uv.WindowSizeEvent:
		c.cols, c.rows = msg.Width, msg.Height
		c.cellFromWindow()
	}
	return false
}

// Window is the window size in cells, zero when unknown.
func (c *Caps) Window() (cols, rows int) { return c.cols, c.rows }

// SetWindow sets the window size in cells.
func (c *Caps) SetWindow(cols, rows int) {
	c.cols, c.rows = cols, rows
	c.cellFromWindow()
}

func (c *Caps) cellFromWindow() {
	if c.px.W > 0 && c.px.H > 0 && c.cols > 0 && c.rows > 0 {
		if s := (Size{c.px.W / c.cols, c.px.H / c.rows}); s.within(MaxCell) {
			c.Cell = s
		}
	}
}

// Done reports whether the last reply (DA1) has come.
func (c *Caps) Done() bool { return c.DA1Seen }

// Sixel reports whether DA1 lists sixel graphics (4).
func (c *Caps) Sixel() bool { return slices.Contains(c.DA1, 4) }

// Placeholders reports whether the terminal draws kitty's Unicode
// placeholders: kitty from 0.28 (0.26, Debian 12's, shows empty boxes)
// and ghostty by XTVERSION (or by TERM, or inside tmux, whose XTVERSION is
// its own, by the variables they set).
func (c *Caps) Placeholders() bool {
	v := strings.ToLower(c.Version)
	if strings.HasPrefix(v, "ghostty") {
		return true
	}
	if strings.HasPrefix(v, "kitty") {
		major, minor, ok := kittyVersion(v)
		return !ok || major > 0 || minor >= 28
	}
	t := c.Env.Term
	if c.Version == "" && (t == "xterm-kitty" || t == "xterm-ghostty") {
		return true
	}
	return c.Env.Tmux && c.Env.KittyHint
}

// kittyVersion parses kitty's XTVERSION reply, "kitty(0.26.5)".
func kittyVersion(v string) (major, minor int, ok bool) {
	_, rest, found := strings.Cut(v, "(")
	if !found {
		return 0, 0, false
	}
	rest, _, _ = strings.Cut(rest, ")")
	parts := strings.Split(rest, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(parts[0])
	minor, err2 = strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// Drawable are the modes the terminal was found to draw, in the order of
// Modes: kitty with placeholders, sixel, half-blocks where there is
// colour, and the character ramp always.
func (c *Caps) Drawable(p colorprofile.Profile) []Mode {
	var ms []Mode
	if c.Kitty && c.Placeholders() {
		ms = append(ms, Kitty)
	}
	if c.Sixel() {
		ms = append(ms, Sixel)
	}
	if !NoColour(p) {
		ms = append(ms, Halfblock)
	}
	return append(ms, ASCII)
}

// Choose picks the best mode: kitty with placeholders, then sixel, then
// half-blocks when there is colour, then the character ramp.
func (c *Caps) Choose(p colorprofile.Profile) Mode {
	switch {
	case c.Kitty && c.Placeholders():
		return Kitty
	case c.Sixel():
		return Sixel
	}
	return Halfblock.For(p)
}

// NoColour reports whether a terminal with profile p shows no colour.
func NoColour(p colorprofile.Profile) bool {
	return p == colorprofile.ASCII || p == colorprofile.NoTTY
}

// For is the mode that draws m on a terminal with profile p: half-blocks
// become the character ramp where there is no colour. It is the one place
// of that rule.
func (m Mode) For(p colorprofile.Profile) Mode {
	if m == Halfblock && NoColour(p) {
		return ASCII
	}
	return m
}

// ChooseDirect is Choose for drawing at the cursor (tweedie render), where
// kitty's protocol serves without placeholders too.
func (c *Caps) ChooseDirect(p colorprofile.Profile) Mode {
	if c.Kitty {
		return Kitty
	}
	return c.Choose(p)
}

// CellSize is the reported cell size, or def when there is none (or it is
// outside 1×1 to MaxCell, as one set directly may be).
func (c *Caps) CellSize(def Size) Size {
	if c.Cell.within(MaxCell) {
		return c.Cell
	}
	return def
}

// Profile upgrades a detected colour profile with what the replies
// show: over SSH (or anywhere COLORTERM is missing) a terminal that
// answered as kitty, ghostty, WezTerm, foot, iTerm2, Konsole or
// contour — or TERM ending in -direct, kitty or ghostty — has true colour.
func (c *Caps) Profile(p colorprofile.Profile) colorprofile.Profile {
	if p == colorprofile.TrueColor || p == colorprofile.ASCII || p == colorprofile.NoTTY {
		return p
	}
	v := strings.ToLower(c.Version)
	for _, n := range []string{"kitty", "ghostty", "wezterm", "foot", "iterm2", "konsole", "contour", "alacritty"} {
		if strings.HasPrefix(v, n) {
			return colorprofile.TrueColor
		}
	}
	t := c.Env.Term
	if c.Kitty || strings.HasSuffix(t, "-direct") || t == "xterm-kitty" || t == "xterm-ghostty" {
		return colorprofile.TrueColor
	}
	return p
}
