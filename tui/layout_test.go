package tui

import (
	"fmt"
	"slices"
	"testing"

	"tweedie/core/img"
	"tweedie/tui/halfblock"
)

var mnist = img.Shape{H: 28, W: 28, C: 1}

// TestChooseLayoutFits: the panels chosen fit the area, a larger area
// never shows fewer or smaller panels, and an area too small for one panel
// shows none.
func TestChooseLayoutFits(t *testing.T) {
	prevCount, prevW := 0, 0
	for _, h := range []int{8, 16, 24, 32, 48, 64} {
		count, scale, cols := chooseLayout(7, mnist, 140, h)
		if count == 0 {
			t.Fatalf("h=%d: no panel fits", h)
		}
		pw, ph := halfblock.SizeOf(mnist, scale)
		rows := (count + cols - 1) / cols
		if cols*(pw+1)-1 > 140 || rows*(ph+1) > h {
			t.Errorf("h=%d: %d panels of %d×%d in %d columns do not fit 140×%d", h, count, pw, ph, cols, h)
		}
		if count < prevCount || (count == prevCount && pw < prevW) {
			t.Errorf("h=%d: %d panels %d wide, fewer or smaller than at a smaller height (%d, %d)", h, count, pw, prevCount, prevW)
		}
		prevCount, prevW = count, pw
	}
	if count, _, _ := chooseLayout(7, mnist, 10, 3); count != 0 {
		t.Errorf("10×3: %d panels, want none", count)
	}
}

// TestScalesForLargeImages: the large shrinks are offered only while an
// image keeps minShrunk pixels a side, smallest last.
func TestScalesForLargeImages(t *testing.T) {
	if got := len(scalesFor(mnist)); got != len(panelScales) {
		t.Errorf("28×28: %d scales, want the %d panel scales", got, len(panelScales))
	}
	big := scalesFor(img.Shape{H: 256, W: 256, C: 3})
	last := big[len(big)-1]
	if last.Scale != -8 { // 256/8 = 32 = minShrunk; 256/12 < 32
		t.Errorf("256×256: smallest scale %d, want -8", last.Scale)
	}
}

// TestKeepLowest: the n panels of lowest prio are kept in screen order;
// ties keep the first.
func TestKeepLowest(t *testing.T) {
	ps := []panel{{id: "a", prio: 3}, {id: "b", prio: 1}, {id: "c", prio: 2}, {id: "d", prio: 1}, {id: "e", prio: 0}}
	ids := func(ps []panel) string {
		s := ""
		for _, p := range ps {
			s += p.id
		}
		return s
	}
	for n, want := range map[int]string{1: "e", 2: "be", 3: "bde", 4: "bcde", 5: "abcde", 9: "abcde"} {
		if got := ids(keepLowest(ps, n)); got != want {
			t.Errorf("keepLowest(%d) = %s, want %s", n, got, want)
		}
	}
	tied := []panel{{id: "x", prio: 1}, {id: "y", prio: 1}, {id: "z", prio: 1}}
	if got := ids(keepLowest(tied, 2)); got != "xy" {
		t.Errorf("ties: %s, want xy", got)
	}
}

// comparePanels are compare mode's panels: three shared, three per method.
func comparePanels() []panel {
	ps := []panel{{id: "truth", prio: 4}, {id: "y", prio: 1}, {id: "pmean", prio: 8}}
	for _, m := range []string{"ΠG ", "DPS "} {
		ps = append(ps, panel{id: m + "·xt", prio: 6}, panel{id: m + "·x0", prio: 2}, panel{id: m + "·upd", prio: 3})
	}
	return ps
}

// TestCompareLayoutRows: the shared panels get a row, each method a row
// of its own, rows no wider than the columns; too little height gives nil.
func TestCompareLayoutRows(t *testing.T) {
	rows, scale, cols := compareLayout(comparePanels(), mnist, 140, 40)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (shared, ΠG, DPS)", len(rows))
	}
	for i, r := range rows {
		if len(r) > cols {
			t.Errorf("row %d: %d panels in %d columns", i, len(r), cols)
		}
	}
	for _, p := range rows[1] {
		if p.id[:len("ΠG")] != "ΠG" {
			t.Errorf("ΠG's row holds %s", p.id)
		}
	}
	pw, ph := halfblock.SizeOf(mnist, scale)
	if 3*(ph+1) > 40 || cols*(pw+1)-1 > 140 {
		t.Errorf("%d×%d panels in %d columns do not fit 140×40", pw, ph, cols)
	}
	if rows, _, _ := compareLayout(comparePanels(), mnist, 140, 5); rows != nil {
		t.Errorf("140×5: %d rows, want none", len(rows))
	}
}

// TestArrange: compare mode pads short rows with gaps so that rows line
// up; single mode keeps the most important panels; rect places panel i's
// image under its caption, column by column.
func TestArrange(t *testing.T) {
	l := arrange(comparePanels(), mnist, 140, 40, true)
	if len(l.panels)%l.cols != 0 {
		t.Fatalf("%d panels in %d columns: rows do not line up", len(l.panels), l.cols)
	}
	for r := 0; r < len(l.panels)/l.cols; r++ {
		row := l.panels[r*l.cols : (r+1)*l.cols]
		firstGap := slices.IndexFunc(row, func(p panel) bool { return p.id == "gap" })
		if firstGap < 0 {
			continue
		}
		for _, p := range row[firstGap:] {
			if p.id != "gap" {
				t.Errorf("row %d: %s after a gap", r, p.id)
			}
		}
	}
	l = arrange(comparePanels(), mnist, 60, 12, false)
	if len(l.panels) == 0 || len(l.panels) == 9 {
		t.Fatalf("60×12: %d panels, want some but not all", len(l.panels))
	}
	if l.panels[0].prio > 2 {
		t.Errorf("60×12: kept %s (prio %d) before the most important", l.panels[0].id, l.panels[0].prio)
	}
	l.below = 2
	for i := range l.panels {
		r := l.rect(i)
		wantX, wantY := (i%l.cols)*(l.pw+1), imageTop+2+(i/l.cols)*(l.ph+1)+1
		if r.X != wantX || r.Y != wantY || r.W != l.pw || r.H != l.ph {
			t.Errorf("rect(%d) = %+v, want (%d,%d) %d×%d", i, r, wantX, wantY, l.pw, l.ph)
		}
	}
	if fmt.Sprint(arrange(nil, mnist, 140, 40, false).panels) != "[]" {
		t.Error("no panels: a layout with panels")
	}
}
