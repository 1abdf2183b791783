package tui

import (
	"fmt"
	"strings"

	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/run"
)

// particleStep is what a particle method's step shows: its record (ESS,
// resampling, the top particles' weights and offspring) and the x̂0 of its
// top particles, copied on the run's goroutine like the rest of stepData.
type particleStep struct {
	rec run.ParticleRecord
	top [][]float32
}

// particleSnapshot copies step i's particles out of the trajectory, or
// returns nil for a method without particles. The top particles' images
// are those of the latest step only (the trajectory keeps no others): the
// explorer snapshots every step as it is made, so each step has its own.
func particleSnapshot(tr *run.Trajectory, i int) *particleStep {
	rec, ok := tr.Particle(i)
	if !ok {
		return nil
	}
	p := &particleStep{rec: rec}
	if xs, at := tr.TopParticles(); at == i {
		for _, x := range xs {
			row := make([]float32, len(x))
			for j, v := range x {
				row[j] = float32(v)
			}
			p.top = append(p.top, row)
		}
	}
	return p
}

// particlePrio is the panel priority of the k-th top particle: the first
// three come before the exact posterior's panels, the rest after.
func particlePrio(k int) int {
	if k < 3 {
		return 5 + k
	}
	return 10 + k
}

// particlePanels are the x̂0 thumbnails of the step's top particles, each
// labelled with a weight bar (relative to the largest weight), its weight
// and its number of offspring
// ("▆▆▆░ .31 ×3"): the strip that shows resampling at work.
func (m *Model) particlePanels(meth *method.Method, prefix string) []panel {
	s := m.runs.get(meth.Name)
	if s == nil || len(s.steps) == 0 {
		return nil
	}
	i := m.shownStep(s)
	p := s.steps[i].Part
	if p == nil {
		return nil
	}
	var ps []panel
	for k, x := range p.top {
		if k >= len(p.rec.Weights) {
			break
		}
		w, kids := p.rec.Weights[k], p.rec.Offspring[k]
		x := x
		ps = append(ps, panel{
			id:    fmt.Sprintf("%s·particle%d", prefix, k),
			label: fmt.Sprintf("%s%s %s ×%d", prefix, weightBar(w/p.rec.Weights[0], 4), strings.TrimPrefix(fmt.Sprintf("%.2f", w), "0"), kids),
			prio:  particlePrio(k), key: [3]int{s.id, i, k},
			image: func() img.Image {
				pix := make([]float64, len(x))
				for j, v := range x {
					pix[j] = float64(v)
				}
				return img.Image{Shape: m.shape, Pix: pix}
			},
		})
	}
	return ps
}

// weightBar draws a weight in [0, 1] as a bar of n cells in eighths.
func weightBar(w float64, n int) string {
	blocks := []rune(" ▏▎▍▌▋▊▉█")
	eighths := int(w*float64(8*n) + 0.5)
	var b strings.Builder
	for c := 0; c < n; c++ {
		e := min(max(eighths-8*c, 0), 8)
		if e == 0 {
			b.WriteRune('░')
			continue
		}
		b.WriteRune(blocks[e])
	}
	return b.String()
}

// particleStatus is the status line's particle figures at the step shown:
// the effective sample size of N and whether the step resampled (and how
// many particles kept offspring), or "" for a method without particles.
func (m *Model) particleStatus(s *slot, sep string) string {
	if s == nil || len(s.steps) == 0 {
		return ""
	}
	p := s.steps[m.shownStep(s)].Part
	if p == nil {
		return ""
	}
	st := m.Styles
	res := "kept"
	if p.rec.Resampled {
		res = fmt.Sprintf("resampled (%d/%d survive)", p.rec.Distinct, p.rec.N)
	}
	return st.Dim.Render("ESS ") + st.Value.Render(fmt.Sprintf("%.1f/%d", p.rec.ESS, p.rec.N)) + sep +
		st.Dim.Render(res) + sep
}
