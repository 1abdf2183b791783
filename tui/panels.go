package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/tui/gfx"
	"tweedie/tui/halfblock"
	"tweedie/tui/termcaps"
)

// panel is one image on screen.
type panel struct {
	id    string // names the panel's cache
	label string
	prio  int // lower survives longer when space is short
	key   any // names the content; the image is drawn only when it changes
	image func() img.Image
	m     halfblock.Map
	text  string // shown instead of an image when image is nil
	hi    bool   // marked by the tour
}

// panels lists the images to show, in screen order.
func (m *Model) panels() []panel {
	var ps []panel
	truth := m.opts.Images[m.image].Image
	ps = append(ps, panel{id: "truth", label: "ground truth", prio: 4, key: m.image,
		image: func() img.Image { return truth }})
	if m.probErr == nil {
		y := m.yImg
		ps = append(ps, panel{id: "y", label: "measurement y", prio: 1, key: m.prob,
			image: func() img.Image { return y }})
	}
	if m.compare {
		p := m.comparePair()
		ps = append(ps, m.runPanels(p[0], p[0].Label+" ", 2, 3, 6)...)
		ps = append(ps, m.runPanels(p[1], p[1].Label+" ", 2, 3, 7)...)
	} else {
		ps = append(ps, m.runPanels(m.method(), "", 0, 3, 2)...)
		ps = append(ps, m.particlePanels(m.method(), "")...)
	}
	if post := &m.runs.post; post.mean != nil {
		mean, std := post.mean, post.std
		ps = append(ps, panel{id: "pmean", label: "exact E[x0|y]", prio: 8, key: post.id,
			image: func() img.Image { return img.Image{Shape: m.shape, Pix: mean} }})
		sMax := maxAbs64(std)
		ps = append(ps, panel{id: "pstd", label: "exact std 0–" + fmtG(sMax), prio: 9, key: post.id,
			m:     halfblock.Map{Kind: halfblock.Heat, Scale: sMax},
			image: func() img.Image { return img.Image{Shape: m.shape, Pix: std} }})
	}
	ps = append(ps, m.tourPanels()...)
	m.markPanels(ps)
	return ps
}

// runPanels are x_t, x̂0 and the update of one method's run.
func (m *Model) runPanels(meth *method.Method, prefix string, prioX0, prioUpd, prioXt int) []panel {
	s := m.runs.get(meth.Name)
	id := prefix + "·"
	if s == nil || len(s.steps) == 0 {
		text := "computing…"
		if s != nil && s.err != nil {
			text = "no run"
		}
		return []panel{
			{id: id + "xt", label: prefix + "x_t", prio: prioXt, text: text},
			{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, text: text},
			{id: id + "upd", label: prefix + "update", prio: prioUpd, text: text},
		}
	}
	i := m.shownStep(s)
	xt, x0, upd, ok, why := s.rowsAt(i)
	if !ok { // a step the run did not keep (a large image): see replay.go
		text := fmt.Sprintf("recomputing step %d…", i+1)
		if why != "" {
			text = why
		}
		return []panel{
			{id: id + "xt", label: prefix + "x_t", prio: prioXt, text: text},
			{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, text: text},
			{id: id + "upd", label: prefix + "update", prio: prioUpd, text: text},
		}
	}
	key := [2]int{s.id, i}
	vec := func(v []float32) func() img.Image {
		return func() img.Image {
			pix := make([]float64, len(v))
			for j, x := range v {
				pix[j] = float64(x)
			}
			return img.Image{Shape: m.shape, Pix: pix}
		}
	}
	scale := m.updScale(i)
	return []panel{
		{id: id + "xt", label: prefix + "x_t", prio: prioXt, key: key, image: vec(xt)},
		{id: id + "x0", label: prefix + "x̂0 Tweedie", prio: prioX0, key: key, image: vec(x0)},
		{id: id + "upd", label: prefix + "Δ ±" + fmtE(scale), prio: prioUpd, key: [2]any{key, scale}, image: vec(upd),
			m: halfblock.Map{Kind: halfblock.Diverging, Scale: scale}},
	}
}

func maxAbs32(v []float32) float64 {
	mx := 0.0
	for _, x := range v {
		mx = math.Max(mx, math.Abs(float64(x)))
	}
	return mx
}

func maxAbs64(v []float64) float64 {
	mx := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			mx = math.Max(mx, math.Abs(x))
		}
	}
	return mx
}

// layout chooses which panels fit, at which scale, in how many columns.
func (m *Model) layout() layout {
	if m.width < MinWidth || m.height < MinHeight || m.labOn {
		return layout{} // no images: the lab view has none
	}
	help := fitLines(m.Help.View(m.KeyMap), m.width)
	if m.Help.ShowAll && m.height >= 30 { // smaller windows keep their lines for the keys
		help = fitLines(wrap(m.glossary(), m.width), m.width) + "\n" + help
	}
	nStatus := 1
	if m.guidanceLines() {
		nStatus = 2
	}
	if m.compare {
		nStatus *= 2
	}
	fixed := 1 + nStatus + 3 + 1 + strings.Count(help, "\n") + 1 + m.tourExtraLines()
	l := arrange(m.panels(), m.shape, m.width, m.height-fixed-chartMin, m.compare)
	l.help, l.fixed, l.below = help, fixed, m.tourLines()
	return l
}

// drawPanels draws the layout's panels: images as half-blocks or
// characters, or — for sixel — blank cells the image is drawn over, or
// — for kitty — the image's placeholders.
func (m *Model) drawPanels(lay layout) string {
	keep, scale, cols := lay.panels, lay.scale, lay.cols
	if len(keep) == 0 {
		return ""
	}
	pw, ph := lay.pw, lay.ph
	blocks := make([][]string, len(keep))
	for i, p := range keep {
		lines := make([]string, 0, ph+1)
		label := m.Styles.Label
		if p.hi {
			label = m.Styles.Value
		}
		lines = append(lines, label.Render(padTo(fit(p.label, pw), pw)))
		body := ""
		if p.image != nil {
			body = m.gfx.Placeholder(i, pw, ph)
		}
		switch {
		case body != "":
		case p.image != nil:
			c := m.caches[p.id]
			if c == nil {
				c = new(halfblock.Cache)
				m.caches[p.id] = c
			}
			im := img.Image{}
			if !c.Valid(p.key, m.renderOpts(scale, p.m)) {
				im = p.image()
			}
			body = c.Render(p.key, im, m.renderOpts(scale, p.m))
		default:
			blank := halfblock.Blank(pw, ph)
			body = m.Styles.Dim.Render(padTo(fit(" "+p.text, pw), pw)) + blank[pw:]
		}
		lines = append(lines, strings.Split(body, "\n")...)
		blocks[i] = lines
	}
	var b strings.Builder
	for r := 0; r*cols < len(blocks); r++ {
		row := blocks[r*cols : min(r*cols+cols, len(blocks))]
		if r > 0 {
			b.WriteByte('\n')
		}
		for l := 0; l < ph+1; l++ {
			if l > 0 {
				b.WriteByte('\n')
			}
			for j, blk := range row {
				if j > 0 {
					b.WriteByte(' ')
				}
				if l < len(blk) {
					b.WriteString(blk[l])
				}
			}
		}
	}
	return b.String()
}

func (m *Model) renderOpts(scale halfblock.Options, mp halfblock.Map) halfblock.Options {
	return halfblock.Options{Scale: scale.Scale, Half: scale.Half, Map: mp, ASCII: m.gfx.Mode() == termcaps.ASCII}
}

func padTo(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// frame is where the layout puts its images, for the gfx component.
func (m *Model) frame() gfx.Frame {
	lay := m.layout()
	// The rows above the panels (the tour's box) move them too.
	f := gfx.Frame{Sig: [4]int{len(lay.panels) | lay.below<<16, lay.cols, lay.pw, lay.ph}}
	for i, p := range lay.panels {
		if p.image != nil {
			f.Images = append(f.Images, gfx.Placed{Pos: i, ID: p.id, Key: p.key, Map: p.m, Rect: lay.rect(i), Image: p.image})
		}
	}
	return f
}
