package tui

import (
	"strings"

	"tweedie/core/img"
	"tweedie/tui/gfx"
	"tweedie/tui/halfblock"
)

// The panels' layout: pure functions of the panels, the image's shape and
// the space they get, tested on their own (layout_test.go).

// chartMin is the fewest lines the chart gets (legend included).
const chartMin = 4

// chooseLayout picks how many of n panels to show (dropping the least
// important), at which scale, in how many columns, for a w×h area: as many
// panels as possible, each as large as possible.
func chooseLayout(n int, shape img.Shape, w, h int) (count int, scale halfblock.Options, cols int) {
	for count = n; count >= 1; count-- {
		for _, scale = range scalesFor(shape) {
			pw, ph := halfblock.SizeOf(shape, scale)
			ph++ // caption
			cols = (w + 1) / (pw + 1)
			if cols < 1 {
				continue
			}
			cols = min(cols, count)
			rows := (count + cols - 1) / cols
			if rows*ph <= h {
				return count, scale, cols
			}
		}
	}
	return 0, halfblock.Options{}, 0
}

// panelScales are the sizes a panel may take, largest first: the whole
// scales, the halves between them, and a shrink by 2.
var panelScales = []halfblock.Options{
	{Scale: 4}, {Scale: 3, Half: true}, {Scale: 3}, {Scale: 2, Half: true}, {Scale: 2},
	{Scale: 1, Half: true}, {Scale: 1}, {Scale: -2},
}

// largeShrinks are further shrinks for a large image (a model's 256×256,
// say), each taken only while the half-block drawing keeps minShrunk
// pixels a side. The panel's box is the half-block drawing's cells; kitty
// and sixel draw the image in that box at full resolution (the whole
// image scaled to the box's pixels, up to gfx.MaxSixelSide), so only
// half-blocks show the average of f×f blocks.
var largeShrinks = []halfblock.Options{{Scale: -3}, {Scale: -4}, {Scale: -6}, {Scale: -8}, {Scale: -12}, {Scale: -16}}

const minShrunk = 32

// scalesFor is panelScales and the large shrinks the shape allows.
func scalesFor(shape img.Shape) []halfblock.Options {
	out := panelScales
	for _, o := range largeShrinks {
		if min(shape.W, shape.H)/-o.Scale >= minShrunk {
			out = append(out[:len(out):len(out)], o)
		}
	}
	return out
}

// compareLayout lays the panels of compare mode out in rows: the shared
// ones (ground truth, y, the exact posterior), then each method's x_t, x̂0
// and Δ on a row of its own, so that they line up. A row too long for the
// width keeps its panels of lowest prio. It returns nil rows when no scale
// gives every method at least two panels in the height h.
func compareLayout(ps []panel, shape img.Shape, w, h int) (rows [][]panel, scale halfblock.Options, cols int) {
	var shared []panel
	byRun := map[string][]panel{}
	var order []string
	for _, p := range ps {
		pre, _, ok := strings.Cut(p.id, "·")
		if !ok {
			shared = append(shared, p)
			continue
		}
		if byRun[pre] == nil {
			order = append(order, pre)
		}
		byRun[pre] = append(byRun[pre], p)
	}
	for _, scale = range scalesFor(shape) {
		pw, ph := halfblock.SizeOf(shape, scale)
		cols = (w + 1) / (pw + 1)
		if cols < 2 || (len(order)+1)*(ph+1) > h {
			continue
		}
		rows = [][]panel{keepLowest(shared, cols)}
		wide := len(rows[0])
		for _, pre := range order {
			r := keepLowest(byRun[pre], cols)
			rows = append(rows, r)
			wide = max(wide, len(r))
		}
		return rows, scale, wide
	}
	return nil, halfblock.Options{}, 0
}

// keepLowest keeps the n panels of lowest prio, in their order.
func keepLowest(ps []panel, n int) []panel {
	if len(ps) <= n {
		return ps
	}
	keep := make([]panel, 0, n)
	for i, p := range ps {
		rank := 0
		for j, q := range ps {
			if q.prio < p.prio || (q.prio == p.prio && j < i) { // ties: the first kept
				rank++
			}
		}
		if rank < n {
			keep = append(keep, p)
		}
	}
	return keep
}

// layout is where the panels go.
type layout struct {
	panels []panel           // the panels shown, in screen order
	scale  halfblock.Options // Scale and Half of the panels' images
	cols   int
	pw, ph int    // a panel's image size in cells (its caption is above)
	help   string // the help view
	fixed  int    // lines that are neither images nor chart
	below  int    // lines between the header and the panels (the tour's box)
}

// imageTop is the screen line of the first row of panels' captions.
const imageTop = 1

// rect returns the cells of panel i's image (not its caption).
func (l *layout) rect(i int) gfx.Rect {
	return gfx.Rect{
		X: (i % l.cols) * (l.pw + 1),
		Y: imageTop + l.below + (i/l.cols)*(l.ph+1) + 1,
		W: l.pw, H: l.ph,
	}
}

// arrange places panels in a w×h area: compare mode's aligned rows when
// compare is set and they fit (blank "gap" panels pad short rows), else as
// many panels as fit, the least important dropped. The layout's help,
// fixed and below are the caller's.
func arrange(ps []panel, shape img.Shape, w, h int, compare bool) layout {
	var l layout
	if compare {
		if rows, scale, cols := compareLayout(ps, shape, w, h); rows != nil {
			for _, row := range rows {
				l.panels = append(l.panels, row...)
				for range cols - len(row) {
					l.panels = append(l.panels, panel{id: "gap"}) // blank: rows line up
				}
			}
			l.scale, l.cols = scale, cols
			l.pw, l.ph = halfblock.SizeOf(shape, scale)
			return l
		}
	}
	count, scale, cols := chooseLayout(len(ps), shape, w, h)
	if count == 0 {
		return l
	}
	l.panels, l.scale, l.cols = keepLowest(ps, count), scale, cols
	l.pw, l.ph = halfblock.SizeOf(shape, scale)
	return l
}
