package tui

import (
	"fmt"
	"image"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

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

// gfxTickMsg sends the sixel images that are due; Gen ties it to one
// state of the screen.
type gfxTickMsg struct{ Gen int }

// detectTimeoutMsg ends terminal detection.
type detectTimeoutMsg struct{}

// quitMsg quits after the last raw output went out.
type quitMsg struct{}

// sentImage is what the terminal shows at a panel position.
type sentImage struct {
	id   string
	key  any
	m    halfblock.Map
	rect cellRect
}

// graphics is the explorer's image state.
type graphics struct {
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
	pending bool   // a gfxTickMsg of gen is on its way
	sig     [4]int // the layout the sixel images were sent for

	six  sixel.Encoder
	kit  kitty.Encoder
	rgba *image.RGBA
	buf  []byte
}

// kittyID is the kitty image id of panel position i.
func kittyID(i int) int { return i + 1 }

// drawMode is how panels are drawn now.
func (m *Model) drawMode() termcaps.Mode {
	g := &m.gfx
	mode := g.mode
	if mode == termcaps.Auto {
		mode = termcaps.Halfblock // until detection ends
	}
	if mode == termcaps.Halfblock && m.ascii {
		return termcaps.ASCII
	}
	return mode
}

// GraphicsMode returns the mode in effect (Auto while detecting).
func (m *Model) GraphicsMode() termcaps.Mode { return m.gfx.mode }

// initGraphics sends the detection queries (the cell size and the colour
// profile matter even when the mode is given) and sets a given mode.
func (m *Model) initGraphics() tea.Cmd {
	g := &m.gfx
	cmds := []tea.Cmd{m.setMode(g.want), tea.Raw(termcaps.Queries(g.env))}
	if g.want == termcaps.Auto {
		cmds = append(cmds, tea.Tick(detectTimeout, func(time.Time) tea.Msg { return detectTimeoutMsg{} }))
	}
	return tea.Batch(cmds...)
}

// gfxUpdate handles the messages of detection and drawing; handled
// reports whether msg needs no other handling.
func (m *Model) gfxUpdate(msg tea.Msg) (cmd tea.Cmd, handled bool) {
	g := &m.gfx
	switch msg := msg.(type) {
	case tea.EnvMsg:
		g.env = termcaps.ParseEnv(msg)
		g.caps.Env = g.env
		return nil, true
	case tea.WindowSizeMsg:
		g.caps.SetWindow(msg.Width, msg.Height)
		if g.mode == termcaps.Sixel {
			// The renderer clears the screen: send every image again.
			return m.resendSixel(false), false
		}
		return nil, false
	case gfxTickMsg:
		if msg.Gen != g.gen {
			return nil, true
		}
		g.pending = false
		return m.sendSixel(), true
	case detectTimeoutMsg:
		return m.endDetection(), true
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
		m.ascii = msg.Profile == colorprofile.ASCII || msg.Profile == colorprofile.NoTTY
		if g.forced { // the program changed it back: kitty still needs true colour
			return setProfile(colorprofile.TrueColor), true
		}
		return nil, true
	}
	if g.caps.Handle(msg) {
		if g.caps.Done() {
			return m.endDetection(), true
		}
		return nil, true
	}
	return nil, false
}

// endDetection chooses the mode once the replies are in (or late).
func (m *Model) endDetection() tea.Cmd {
	g := &m.gfx
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
		cmds = append(cmds, m.setMode(mode))
	}
	return tea.Batch(cmds...)
}

func setProfile(p colorprofile.Profile) tea.Cmd {
	return func() tea.Msg { return tea.ColorProfileMsg{Profile: p} }
}

// setMode switches the graphics mode, cleaning up after the old one.
func (m *Model) setMode(mode termcaps.Mode) tea.Cmd {
	g := &m.gfx
	old := g.mode
	if old == mode {
		return nil
	}
	var cmds []tea.Cmd
	switch old {
	case termcaps.Kitty:
		cmds = append(cmds, tea.Raw(m.kittyDeleteAll()))
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

// cycleMode is the graphics key: the next mode of termcaps.Modes.
func (m *Model) cycleMode() tea.Cmd {
	mode := m.gfx.mode
	if mode == termcaps.Auto {
		mode = termcaps.Halfblock
	}
	next := mode.Next()
	m.notice = "graphics: " + next.String()
	if next == termcaps.Kitty && !(m.gfx.caps.Kitty && m.gfx.caps.Placeholders()) {
		m.notice += " (not detected)"
	}
	if next == termcaps.Sixel && !m.gfx.caps.Sixel() {
		m.notice += " (not detected)"
	}
	return m.setMode(next)
}

// quit deletes kitty images and quits once that went out.
func (m *Model) quit() tea.Cmd {
	if m.gfx.mode != termcaps.Kitty || len(m.gfx.sent) == 0 {
		return tea.Quit
	}
	del := m.kittyDeleteAll()
	m.gfx.sent = map[int]sentImage{}
	return tea.Sequence(tea.Raw(del), tea.Tick(quitDelay, func(time.Time) tea.Msg { return quitMsg{} }))
}

func (m *Model) kittyDeleteAll() string {
	var s string
	for i := range m.gfx.sent {
		s += kitty.Delete(kittyID(i), m.gfx.env.Tmux)
	}
	return s
}

// syncGraphics brings the terminal's images up to date with the layout;
// Update calls it after every message.
func (m *Model) syncGraphics() tea.Cmd {
	g := &m.gfx
	if g.mode != termcaps.Kitty && g.mode != termcaps.Sixel {
		return nil
	}
	if g.sent == nil {
		g.sent = map[int]sentImage{}
	}
	lay := m.layout()
	cur := make(map[int]sentImage, len(lay.panels))
	for i, p := range lay.panels {
		if p.image != nil {
			cur[i] = sentImage{id: p.id, key: p.key, m: p.m, rect: lay.rect(i)}
		}
	}
	if g.mode == termcaps.Kitty {
		return m.syncKitty(lay, cur)
	}
	sig := [4]int{len(lay.panels), lay.cols, lay.pw, lay.ph}
	if sig != g.sig {
		// The panels moved: the renderer may scroll lines to move text,
		// and the terminal scrolls images with them. Clear the screen (the
		// renderer repaints) and send every image again.
		g.sig = sig
		if len(g.sent) > 0 || g.pending {
			return m.resendSixel(true)
		}
	}
	for i, s := range g.sent {
		if c, ok := cur[i]; !ok || c.rect != s.rect {
			// A panel stopped showing an image: as above.
			return m.resendSixel(true)
		}
	}
	for i, c := range cur {
		if s, ok := g.sent[i]; !ok || s != c {
			if g.pending {
				return nil
			}
			g.pending = true
			gen := g.gen
			return tea.Tick(sixelDelay, func(time.Time) tea.Msg { return gfxTickMsg{Gen: gen} })
		}
	}
	return nil
}

// resendSixel forgets what was sent and sends everything after
// resendDelay, clearing the screen first when clear is set.
func (m *Model) resendSixel(clear bool) tea.Cmd {
	g := &m.gfx
	g.sent = map[int]sentImage{}
	g.gen++
	g.pending = true
	gen := g.gen
	tick := tea.Tick(resendDelay, func(time.Time) tea.Msg { return gfxTickMsg{Gen: gen} })
	if clear {
		return tea.Batch(tea.ClearScreen, tick)
	}
	return tick
}

// sendSixel sends the sixel images that differ from what the terminal has.
func (m *Model) sendSixel() tea.Cmd {
	g := &m.gfx
	if g.mode != termcaps.Sixel {
		return nil
	}
	lay := m.layout()
	cell := m.cellSize()
	out := g.buf[:0]
	for i, p := range lay.panels {
		if p.image == nil {
			continue
		}
		c := sentImage{id: p.id, key: p.key, m: p.m, rect: lay.rect(i)}
		if s, ok := g.sent[i]; ok && s == c {
			continue
		}
		g.rgba = halfblock.RGBA(g.rgba, p.image(), p.m)
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

// maxSixelSide bounds a sixel image's width and height in pixels, which
// bounds the work and output of a frame whatever the cell size: a larger
// panel gets its image shrunk to fit, aspect kept.
const maxSixelSide = 2048

func fitSixel(w, h int) (int, int) {
	if s := max(w, h); s > maxSixelSide {
		return max(1, w*maxSixelSide/s), max(1, h*maxSixelSide/s)
	}
	return w, h
}

// syncKitty sends the kitty images that changed and deletes those gone.
func (m *Model) syncKitty(lay layout, cur map[int]sentImage) tea.Cmd {
	g := &m.gfx
	out := g.buf[:0]
	for i, s := range g.sent {
		if c, ok := cur[i]; !ok || c.rect != s.rect {
			out = append(out, kitty.Delete(kittyID(i), g.env.Tmux)...)
			delete(g.sent, i)
		}
	}
	for i, c := range cur {
		if s, ok := g.sent[i]; ok && s == c {
			continue
		}
		g.rgba = halfblock.RGBA(g.rgba, lay.panels[i].image(), c.m)
		var err error
		out, err = g.kit.Append(out, g.rgba, kitty.Options{
			ID: kittyID(i), Cols: c.rect.W, Rows: c.rect.H, Placeholder: true, Tmux: g.env.Tmux,
		})
		if err != nil {
			m.notice = fmt.Sprintf("kitty: %v", err)
			continue
		}
		g.sent[i] = c
	}
	g.buf = out
	if len(out) == 0 {
		return nil
	}
	return tea.Raw(string(out))
}

// cellSize is the size of a cell in pixels: forced, reported by the
// terminal, known to the kernel, or the default.
func (m *Model) cellSize() termcaps.Size {
	if c := m.gfx.cell; c.W > 0 && c.H > 0 {
		return c
	}
	def := termcaps.DefaultCell
	if h := m.gfx.hint; h.W > 0 && h.H > 0 {
		def = h
	}
	return m.gfx.caps.CellSize(def)
}
