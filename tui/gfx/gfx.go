// Package gfx is the explorer's images as a component: it asks the
// terminal what it can draw, chooses a mode (kitty, sixel, half-blocks or
// characters), and keeps the terminal's images in step with the frames the
// page lays out. The page tells it where its images are (Sync) after every
// update and draws, in its text, what Mode and Placeholder say.
package gfx

import (
	"fmt"
	"image"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"tweedie/core/img"
	"tweedie/tui/halfblock"
	"tweedie/tui/kitty"
	"tweedie/tui/sixel"
	"tweedie/tui/termcaps"
)

// How graphics reach the terminal.
//
// Half-blocks and characters are text in the view. Kitty images are
// placeholders in the view (one image id per panel position) plus a
// transmission sent raw whenever a panel's content or box changes; ids
// that leave the screen are deleted (a=d), and all are deleted on quit.
//
// Sixel images cannot live in the view: the panel's cells are blank there,
// and each image goes out raw — save cursor, CUP to the panel, the DCS,
// restore cursor — a little after the frame with the blank cells, so the
// renderer never draws over it. When a panel's box changes or it stops
// showing an image, the screen is cleared (the renderer repaints) and
// every image is sent again; after a resize the renderer clears the
// screen itself, and the images follow after resendDelay.

// Delays before sixel images go out: after a content change (one frame
// or two, so that the frame with the blank cells is out first), and after
// the screen was cleared.
const (
	sixelDelay  = 40 * time.Millisecond
	resendDelay = 100 * time.Millisecond
	// detectTimeout ends detection when a terminal answers no DA1.
	detectTimeout = 1500 * time.Millisecond
	// quitDelay lets the last raw output (kitty deletions) go out.
	quitDelay = 60 * time.Millisecond
)

// tickMsg sends the sixel images that are due; Gen ties it to one
// state of the screen.
type tickMsg struct{ Gen int }

// DetectTimeoutMsg ends terminal detection (sent after detectTimeout, or
// by a caller that knows no reply will come).
type DetectTimeoutMsg struct{}

// HintMsg tells the component the cell size its terminal's client
// reported outside the terminal's replies (an SSH client's pty-req or
// window-change pixel sizes over its cells); zero when unknown. Sixel
// images are drawn again at the new size.
type HintMsg struct{ Cell termcaps.Size }

// quitMsg quits after the last raw output went out.
type quitMsg struct{}

// Rect is a box of cells, 0-based.
type Rect struct{ X, Y, W, H int }

// Placed is an image the page shows at a position (Pos numbers the
// page's panel positions: one terminal image each).
type Placed struct {
	Pos int
	// ID names the panel, Key its content: the image is drawn again only
	// when either, the map or the rectangle changes.
	ID    string
	Key   any
	Map   halfblock.Map
	Rect  Rect
	Image func() img.Image
}

// Frame is the images of a frame, and the signature of its layout: when
// the signature changes every image moved.
type Frame struct {
	Images []Placed
	Sig    [4]int
}

// sentImage is what the terminal shows at a panel position.
type sentImage struct {
	id   string
	key  any
	m    halfblock.Map
	rect Rect
}

func (p *Placed) sent() sentImage { return sentImage{id: p.ID, key: p.Key, m: p.Map, rect: p.Rect} }

// Options are how the component starts.
type Options struct {
	// Want is the mode asked for; Auto detects.
	Want termcaps.Mode
	// Cell is a cell size to use whatever the terminal says (zero: ask).
	Cell termcaps.Size
	// Profile is the colour profile; Unknown lets the terminal's replies decide.
	Profile colorprofile.Profile
	// Env is the terminal's environment.
	Env termcaps.Env
}

// Model is the component's state.
type Model struct {
	want    termcaps.Mode // from the options; Auto detects
	mode    termcaps.Mode // in effect (Auto while detecting)
	caps    termcaps.Caps
	cell    termcaps.Size // cell size forced by the options
	hint    termcaps.Size // cell size from the kernel (local terminals)
	env     termcaps.Env
	pinned  bool                 // the colour profile was given
	profile colorprofile.Profile // the terminal's colour profile
	forced  bool                 // truecolor forced for kitty
	done    bool                 // detection ended

	sent    map[int]sentImage // by panel position
	gen     int
	pending bool   // a tickMsg of gen is on its way
	sig     [4]int // the layout the sixel images were sent for

	frame Frame // the last frame synced
	// Notice is a message for the page's notice line ("" for none).
	Notice string

	six  sixel.Encoder
	kit  kitty.Encoder
	rgba *image.RGBA
	buf  []byte
}

// New returns the component for the options.
func New(o Options) Model {
	g := Model{want: o.Want, cell: o.Cell, profile: o.Profile, env: o.Env,
		pinned: o.Profile != colorprofile.Unknown}
	g.caps.Env = o.Env
	return g
}

// SetHint sets the cell size the kernel reports for a local terminal.
func (g *Model) SetHint(c termcaps.Size) { g.hint = c }

// kittyID is the kitty image id of panel position i.
func kittyID(i int) int { return i + 1 }

// Mode is how panels are drawn now: half-blocks until detection ends, and
// characters instead of half-blocks on a terminal without colour (the one
// place that rule lives).
func (g *Model) Mode() termcaps.Mode {
	mode := g.mode
	if mode == termcaps.Auto {
		mode = termcaps.Halfblock // until detection ends
	}
	return mode.For(g.profile)
}

// ASCII reports whether the terminal has no colour (draw bars and images
// with characters).
func (g *Model) ASCII() bool { return termcaps.NoColour(g.profile) }

// Chosen returns the mode in effect (Auto while detecting).
func (g *Model) Chosen() termcaps.Mode { return g.mode }

// Placeholder is what the page's text holds where image pos goes, w×h
// cells, in the kitty and sixel modes ("" in the others: the page draws
// the image as text).
func (g *Model) Placeholder(pos, w, h int) string {
	switch g.Mode() {
	case termcaps.Sixel:
		return halfblock.Blank(w, h)
	case termcaps.Kitty:
		return kitty.Placeholders(kittyID(pos), w, h)
	}
	return ""
}

// Init sends the detection queries (the cell size and the colour profile
// matter even when the mode is given) and sets a given mode.
func (g *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{g.SetMode(g.want), tea.Raw(termcaps.Queries(g.env))}
	if g.want == termcaps.Auto {
		cmds = append(cmds, tea.Tick(detectTimeout, func(time.Time) tea.Msg { return DetectTimeoutMsg{} }))
	}
	return tea.Batch(cmds...)
}

// Update handles the messages of detection and drawing; handled reports
// whether msg needs no other handling.
func (g *Model) Update(msg tea.Msg) (cmd tea.Cmd, handled bool) {
	switch msg := msg.(type) {
	case tea.EnvMsg:
		g.env = termcaps.ParseEnv(msg)
		g.caps.Env = g.env
		return nil, true
	case tea.WindowSizeMsg:
		g.caps.SetWindow(msg.Width, msg.Height)
		if g.mode == termcaps.Sixel {
			// The renderer clears the screen: send every image again.
			return g.resendSixel(false), false
		}
		return nil, false
	case HintMsg:
		if msg.Cell == g.hint {
			return nil, true
		}
		old := g.CellSize()
		g.hint = msg.Cell
		if g.mode == termcaps.Sixel && g.CellSize() != old && (len(g.sent) > 0 || g.pending) {
			return g.resendSixel(true), true
		}
		return nil, true
	case tickMsg:
		if msg.Gen != g.gen {
			return nil, true
		}
		g.pending = false
		return g.sendSixel(), true
	case DetectTimeoutMsg:
		return g.endDetection(), true
	case quitMsg:
		return tea.Quit, true
	case tea.ColorProfileMsg:
		if g.forced && msg.Profile == colorprofile.TrueColor {
			// Ours, for kitty. The renderer converts colours as it writes
			// cells and does not repaint those it already wrote: frames
			// drawn under the lesser profile (before this message, or
			// between the program's own profile message and this) left
			// placeholders whose colour, the image id, was cut down to the
			// 16 or 256 colours. Repaint them all.
			return tea.ClearScreen, true
		}
		g.profile = msg.Profile
		if g.forced { // the program changed it back: kitty still needs true colour
			return setProfile(colorprofile.TrueColor), true
		}
		return nil, true
	}
	if g.caps.Handle(msg) {
		if g.caps.Done() {
			return g.endDetection(), true
		}
		return nil, true
	}
	return nil, false
}

// endDetection chooses the mode once the replies are in (or late).
func (g *Model) endDetection() tea.Cmd {
	if g.done {
		return nil
	}
	g.done = true
	var cmds []tea.Cmd
	if !g.pinned {
		if p := g.caps.Profile(g.profile); p != g.profile {
			g.profile = p
			cmds = append(cmds, setProfile(p))
		}
	}
	if g.mode == termcaps.Auto {
		mode := g.want
		if mode == termcaps.Auto {
			mode = g.caps.Choose(g.profile)
		}
		cmds = append(cmds, g.SetMode(mode))
	}
	return tea.Batch(cmds...)
}

func setProfile(p colorprofile.Profile) tea.Cmd {
	return func() tea.Msg { return tea.ColorProfileMsg{Profile: p} }
}

// SetMode switches the graphics mode, cleaning up after the old one.
func (g *Model) SetMode(mode termcaps.Mode) tea.Cmd {
	old := g.mode
	if old == mode {
		return nil
	}
	var cmds []tea.Cmd
	switch old {
	case termcaps.Kitty:
		cmds = append(cmds, tea.Raw(g.kittyDeleteAll()))
		if g.forced && g.profile != colorprofile.TrueColor {
			cmds = append(cmds, setProfile(g.profile))
		}
		g.forced = false
	case termcaps.Sixel:
		cmds = append(cmds, tea.ClearScreen)
	}
	g.sent = map[int]sentImage{}
	g.gen++
	g.pending = false
	g.mode = mode
	if mode == termcaps.Kitty && g.profile != colorprofile.TrueColor {
		// The image id is a colour: the renderer must not downsample it.
		g.forced = true
		cmds = append(cmds, setProfile(colorprofile.TrueColor))
	}
	return tea.Batch(cmds...)
}

// Cycle is the graphics key: the next of the modes the terminal was found
// to draw (termcaps.Caps.Drawable), and the one given by the options; a
// mode it cannot draw is only ever forced. It returns a notice naming the
// mode.
func (g *Model) Cycle() (tea.Cmd, string) {
	mode := g.mode
	if mode == termcaps.Auto {
		mode = termcaps.Halfblock
	}
	ok := map[termcaps.Mode]bool{g.want: g.want != termcaps.Auto}
	for _, m := range g.caps.Drawable(g.profile) {
		ok[m] = true
	}
	next := mode
	for range termcaps.Modes {
		if next = next.Next(); ok[next] {
			break
		}
	}
	if next == mode {
		return nil, "graphics: " + mode.String() + " (the only mode detected)"
	}
	return g.SetMode(next), "graphics: " + next.String()
}

// Quit deletes kitty images and quits once that went out.
func (g *Model) Quit() tea.Cmd {
	if g.mode != termcaps.Kitty || len(g.sent) == 0 {
		return tea.Quit
	}
	del := g.kittyDeleteAll()
	g.sent = map[int]sentImage{}
	return tea.Sequence(tea.Raw(del), tea.Tick(quitDelay, func(time.Time) tea.Msg { return quitMsg{} }))
}

func (g *Model) kittyDeleteAll() string {
	var s string
	for i := range g.sent {
		s += kitty.Delete(kittyID(i), g.env.Tmux)
	}
	return s
}

// Sync brings the terminal's images up to date with the page's frame; the
// page calls it after every update. frame is called only in the modes that
// send images (kitty, sixel).
func (g *Model) Sync(frame func() Frame) tea.Cmd {
	if g.mode != termcaps.Kitty && g.mode != termcaps.Sixel {
		return nil
	}
	f := frame()
	g.frame = f
	if g.sent == nil {
		g.sent = map[int]sentImage{}
	}
	cur := make(map[int]*Placed, len(f.Images))
	for i := range f.Images {
		cur[f.Images[i].Pos] = &f.Images[i]
	}
	if g.mode == termcaps.Kitty {
		return g.syncKitty(cur)
	}
	if sig := f.Sig; sig != g.sig {
		// The panels moved: the renderer may scroll lines to move text,
		// and the terminal scrolls images with them. Clear the screen (the
		// renderer repaints) and send every image again.
		g.sig = sig
		if len(g.sent) > 0 || g.pending {
			return g.resendSixel(true)
		}
	}
	for i, s := range g.sent {
		if c, ok := cur[i]; !ok || c.Rect != s.rect {
			// A panel stopped showing an image: as above.
			return g.resendSixel(true)
		}
	}
	for i, c := range cur {
		if s, ok := g.sent[i]; !ok || s != c.sent() {
			if g.pending {
				return nil
			}
			g.pending = true
			gen := g.gen
			return tea.Tick(sixelDelay, func(time.Time) tea.Msg { return tickMsg{Gen: gen} })
		}
	}
	return nil
}

// resendSixel forgets what was sent and sends everything after
// resendDelay, clearing the screen first when clear is set.
func (g *Model) resendSixel(clear bool) tea.Cmd {
	g.sent = map[int]sentImage{}
	g.gen++
	g.pending = true
	gen := g.gen
	tick := tea.Tick(resendDelay, func(time.Time) tea.Msg { return tickMsg{Gen: gen} })
	if clear {
		return tea.Batch(tea.ClearScreen, tick)
	}
	return tick
}

// sendSixel sends the sixel images that differ from what the terminal has.
func (g *Model) sendSixel() tea.Cmd {
	if g.mode != termcaps.Sixel {
		return nil
	}
	cell := g.CellSize()
	out := g.buf[:0]
	for _, p := range g.frame.Images {
		i, c := p.Pos, p.sent()
		if s, ok := g.sent[i]; ok && s == c {
			continue
		}
		g.rgba = halfblock.RGBA(g.rgba, p.Image(), p.Map)
		out = append(out, "\x1b7\x1b["...)
		out = strconv.AppendInt(out, int64(c.rect.Y+1), 10)
		out = append(out, ';')
		out = strconv.AppendInt(out, int64(c.rect.X+1), 10)
		out = append(out, 'H')
		w, h := fitSixel(c.rect.W*cell.W, c.rect.H*cell.H)
		out = g.six.Append(out, g.rgba, w, h)
		out = append(out, "\x1b8"...)
		g.sent[i] = c
	}
	g.buf = out
	if len(out) == 0 {
		return nil
	}
	return tea.Raw(string(out))
}

// MaxSixelSide bounds a sixel image's width and height in pixels, which
// bounds the work and output of a frame whatever the cell size: a larger
// panel gets its image shrunk to fit, aspect kept.
const MaxSixelSide = 2048

func fitSixel(w, h int) (int, int) {
	if s := max(w, h); s > MaxSixelSide {
		return max(1, w*MaxSixelSide/s), max(1, h*MaxSixelSide/s)
	}
	return w, h
}

// syncKitty sends the kitty images that changed and deletes those gone.
func (g *Model) syncKitty(cur map[int]*Placed) tea.Cmd {
	out := g.buf[:0]
	for i, s := range g.sent {
		if c, ok := cur[i]; !ok || c.Rect != s.rect {
			out = append(out, kitty.Delete(kittyID(i), g.env.Tmux)...)
			delete(g.sent, i)
		}
	}
	for i, c := range cur {
		if s, ok := g.sent[i]; ok && s == c.sent() {
			continue
		}
		g.rgba = halfblock.RGBA(g.rgba, c.Image(), c.Map)
		var err error
		out, err = g.kit.Append(out, g.rgba, kitty.Options{
			ID: kittyID(i), Cols: c.Rect.W, Rows: c.Rect.H, Placeholder: true, Tmux: g.env.Tmux,
		})
		if err != nil {
			g.Notice = fmt.Sprintf("kitty: %v", err)
			continue
		}
		g.sent[i] = c.sent()
	}
	g.buf = out
	if len(out) == 0 {
		return nil
	}
	return tea.Raw(string(out))
}

// CellSize is the size of a cell in pixels: forced, reported by the
// terminal, known to the kernel, or the default.
func (g *Model) CellSize() termcaps.Size {
	if c := g.cell; c.W > 0 && c.H > 0 {
		return c
	}
	def := termcaps.DefaultCell
	if h := g.hint; h.W > 0 && h.H > 0 {
		def = h
	}
	return g.caps.CellSize(def)
}
