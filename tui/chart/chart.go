// Package chart draws line charts of per-step quantities on a log scale,
// in braille dots (2×4 dots a cell), with a cursor on one step.
//
// The x axis always spans every planned step, so a run still computing
// fills the chart from the left; the y axis spans the positive finite
// values of all series, in decades.
package chart

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"tweedie/tui/halfblock"
)

// Series is one line.
type Series struct {
	Name string
	// Values[i] is the value at step i; NaN, ±Inf and values ≤ 0 are gaps.
	Values []float64
	Color  halfblock.RGB
}

// Ref is a level drawn across the chart as a dashed line, under the
// series: an expected value to read them against.
type Ref struct {
	Name  string
	Value float64 // drawn when > 0 and finite
	Color halfblock.RGB
}

// Styles are the chart's colours.
type Styles struct {
	Axis   halfblock.RGB
	Cursor halfblock.RGB
}

// DefaultStyles returns the chart's colours for a dark background.
func DefaultStyles() Styles {
	return Styles{Axis: halfblock.RGB{R: 130, G: 130, B: 140}, Cursor: halfblock.RGB{R: 230, G: 200, B: 80}}
}

// LightStyles returns the chart's colours for a light background.
func LightStyles() Styles {
	return Styles{Axis: halfblock.RGB{R: 110, G: 110, B: 120}, Cursor: halfblock.RGB{R: 170, G: 120, B: 0}}
}

// Model is a log-scale line chart.
type Model struct {
	// Steps is the number of steps on the x axis.
	Steps int
	// Cursor is the step marked by a vertical line, or −1.
	Cursor int
	Series []Series
	// Refs are levels drawn under the series; they count in the y range.
	Refs []Ref
	// XAxis: the last line labels the x axis with steps (1-based) at
	// round numbers, when the chart has at least 6 lines.
	XAxis  bool
	Styles Styles

	width, height int
}

// New returns an empty chart of the given size.
func New(width, height int) Model {
	return Model{Cursor: -1, Styles: DefaultStyles(), width: width, height: height}
}

// labelWidth is the width of the y-axis labels, "1e-03│".
const labelWidth = 7

// Range returns log10 of the smallest and largest positive finite value
// over all series, widened to whole decades; ok is false with no such value.
func (m Model) Range() (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range m.Refs {
		if v := r.Value; v > 0 && !math.IsInf(v, 0) {
			l := math.Log10(v)
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
	}
	for _, s := range m.Series {
		for _, v := range s.Values {
			if v > 0 && !math.IsInf(v, 0) {
				l := math.Log10(v)
				lo, hi = math.Min(lo, l), math.Max(hi, l)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return 0, 0, false
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi, true
}

// braille dot bits, indexed [row][col] within a cell.
var dotBits = [4][2]uint8{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// View draws the chart: height lines of exactly width cells.
func (m Model) View() string {
	w, h := m.width, m.height
	if w <= labelWidth+2 || h < 2 {
		return halfblock.Blank(w, h)
	}
	axis := ""
	if m.XAxis && h >= 6 {
		axis = m.xAxis(w)
		h--
	}
	pw := w - labelWidth // plot width in cells
	dotsW, dotsH := 2*pw, 4*h
	cells := make([]uint8, pw*h) // braille bits
	owner := make([]int8, pw*h)  // series index +1 of the cell's colour
	lo, hi, ok := m.Range()
	n := max(m.Steps, 1)
	if ok {
		// Refs own their cells with −(index+1) until a series crosses them.
		for ri, r := range m.Refs {
			v := r.Value
			if !(v > 0) || math.IsInf(v, 0) {
				continue
			}
			dy := int(math.Round((hi - math.Log10(v)) / (hi - lo) * float64(dotsH-1)))
			dy = min(max(dy, 0), dotsH-1)
			for dx := 0; dx < dotsW; dx++ {
				if dx%4 >= 2 {
					continue // dashed
				}
				c := (dy/4)*pw + dx/2
				cells[c] |= dotBits[dy%4][dx%2]
				owner[c] = int8(-(ri + 1))
			}
		}
		for si, s := range m.Series {
			prev := -1
			for dx := 0; dx < dotsW; dx++ {
				// The steps this dot column covers; draw the last finite one.
				a, b := dx*n/dotsW, (dx+1)*n/dotsW
				b = max(b, a+1)
				v := math.NaN()
				for i := min(b, len(s.Values)) - 1; i >= a; i-- {
					if x := s.Values[i]; x > 0 && !math.IsInf(x, 0) {
						v = x
						break
					}
				}
				if math.IsNaN(v) {
					prev = -1
					continue
				}
				dy := int(math.Round((hi - math.Log10(v)) / (hi - lo) * float64(dotsH-1)))
				dy = min(max(dy, 0), dotsH-1)
				y0, y1 := dy, dy
				if prev >= 0 { // join to the previous column
					if prev < dy {
						y0 = prev + 1
					} else if prev > dy {
						y1 = prev - 1
					}
				}
				for y := min(y0, y1); y <= max(y0, y1); y++ {
					c := (y/4)*pw + dx/2
					cells[c] |= dotBits[y%4][dx%2]
					owner[c] = int8(si + 1)
				}
				prev = dy
			}
		}
	}
	cursorCol := -1
	if m.Cursor >= 0 && m.Cursor < n {
		cursorCol = (m.Cursor*dotsW/n + 0) / 2
		cursorCol = min(cursorCol, pw-1)
	}
	var b []byte
	for row := 0; row < h; row++ {
		if row > 0 {
			b = append(b, '\n')
		}
		b = append(b, m.label(row, h, lo, hi, ok)...)
		cur := -2 // colour index of the current run: −1 cursor, 0 axis, i+1 series, refBase−i ref i
		for x := 0; x < pw; x++ {
			c := row*pw + x
			col, r := 0, rune(0x2800+int(cells[c]))
			switch {
			case cells[c] != 0 && owner[c] < 0:
				col = refBase + int(owner[c]) + 1
			case cells[c] != 0:
				col = int(owner[c])
			case x == cursorCol:
				col, r = -1, '│'
			default:
				r = ' '
			}
			if col != cur && r != ' ' {
				b = m.sgr(b, col)
				cur = col
			}
			b = append(b, string(r)...)
		}
		b = append(b, "\x1b[m"...)
	}
	if axis != "" {
		b = append(b, '\n')
		b = append(b, axis...)
	}
	return string(b)
}

// xAxis is the x axis's line, w cells: "step" under the y labels, then
// round step numbers (1-based) under the columns they fall in.
func (m Model) xAxis(w int) string {
	pw := w - labelWidth
	n := max(m.Steps, 1)
	line := []rune(strings.Repeat(" ", pw))
	// A round step between ticks: about one label every 10 cells.
	target := max(1, n*10/max(pw, 1))
	tick := 1
	for p := 1; tick < target; p *= 10 {
		for _, f := range []int{1, 2, 5} {
			if tick = f * p; tick >= target {
				break
			}
		}
	}
	last := -2
	for s := 1; s <= n; s = (s/tick + 1) * tick { // 1, then the multiples of tick
		label := strconv.Itoa(s)
		col := (s - 1) * pw / n
		if col <= last || col+len(label) > pw {
			continue
		}
		copy(line[col:], []rune(label))
		last = col + len(label)
	}
	return "\x1b[38;2;130;130;140m" + strings.Repeat(" ", labelWidth-5) + "step " + string(line) + "\x1b[m"
}

// refBase is the colour index of Refs[0]; Refs[i] is refBase − i.
const refBase = -1000

func (m Model) sgr(b []byte, col int) []byte {
	var c halfblock.RGB
	switch {
	case col <= refBase:
		c = m.Refs[refBase-col].Color
	case col < 0:
		c = m.Styles.Cursor
	case col == 0:
		c = m.Styles.Axis
	default:
		c = m.Series[col-1].Color
	}
	b = append(b, "\x1b[38;2;"...)
	b = strconv.AppendUint(b, uint64(c.R), 10)
	b = append(b, ';')
	b = strconv.AppendUint(b, uint64(c.G), 10)
	b = append(b, ';')
	b = strconv.AppendUint(b, uint64(c.B), 10)
	return append(b, 'm')
}

// label is the y-axis label of a row: the top and bottom decades, and the
// axis line.
func (m Model) label(row, h int, lo, hi float64, ok bool) string {
	s := ""
	if ok {
		switch row {
		case 0:
			s = decade(hi)
		case h - 1:
			s = decade(lo)
		default:
			// Every decade in between that falls on a row of its own.
			for e := hi - 1; e > lo; e-- {
				if int(math.Round((hi-e)/(hi-lo)*float64(h-1))) == row {
					s = decade(e)
				}
			}
		}
	}
	tick := "│"
	if s != "" {
		tick = "┤"
	}
	pad := labelWidth - 1 - ansi.StringWidth(s)
	return "\x1b[38;2;130;130;140m" + strings.Repeat(" ", max(pad, 0)) + s + tick + "\x1b[m"
}

// decade formats 10^e as "1e-03".
func decade(e float64) string {
	return strconv.FormatFloat(math.Pow(10, e), 'e', 0, 64)
}
