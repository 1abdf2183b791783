package gmm

import (
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/internal/vec"
)

// A batch is evaluated component by component: each basis pass serves
// every row that needs the component (four rows at a time share a widened
// block of the basis, vec.DotRows32Vecs and AddRows32Vecs), while each row
// sees the operations of a lone evaluation in the same order, so a row's
// bits do not depend on the batch it came in. For one row this is the
// plain row-by-row evaluation. A batch of 16 rows or more is split into
// parts evaluated on separate cores.

// group is the Denoiser's scratch for one component's pass over a batch:
// the rows it serves and, per row, the vector projected on U_k, its
// projection, the coefficients expanded and the vector they are added to
// (each nil where the pass has no use for it).
type group struct {
	rows                 []*row
	vec, proj, coef, dst [][]float64
}

func (g *group) reset() {
	g.rows, g.vec, g.proj, g.coef, g.dst = g.rows[:0], g.vec[:0], g.proj[:0], g.coef[:0], g.dst[:0]
}

func (g *group) add(r *row, vec, proj, coef, dst []float64) {
	g.rows = append(g.rows, r)
	g.vec, g.proj, g.coef, g.dst = append(g.vec, vec), append(g.proj, proj), append(g.coef, coef), append(g.dst, dst)
}

// partRows is the fewest rows a part of a batch spread over cores gets:
// four share each basis block in the kernels, so at least two such groups.
const partRows = 8

// partsFor returns how many parts a batch of n rows is spread over: up to
// GOMAXPROCS, each of at least partRows rows.
func partsFor(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n/partRows)) }

// parts evaluates f on p consecutive parts of n rows, each on a goroutine
// of its own with a scratch group of its own; a row's bits do not depend on
// its part.
func (dn *Denoiser) parts(n, p int, f func(lo, hi int, g *group)) {
	gs := dn.groups(p)
	var wg sync.WaitGroup
	for i := range p {
		lo, hi := i*n/p, (i+1)*n/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi, gs[i])
		}()
	}
	wg.Wait()
}

// groups returns p scratch groups.
func (dn *Denoiser) groups(p int) []*group {
	for len(dn.group) < p {
		dn.group = append(dn.group, new(group))
	}
	return dn.group[:p]
}

// denoise writes x̂0 = E[x0|x_t] of each row (x_t in the row's xt) into
// dst[i·d:(i+1)·d] and keeps what a VJP there needs.
func (dn *Denoiser) denoise(rows []*row, levels []level, dst []float64, alphaBar float64) {
	p := partsFor(len(rows))
	if p == 1 {
		dn.denoisePart(rows, levels, dst, alphaBar, dn.groups(1)[0])
		return
	}
	d := dn.mix.Dim()
	dn.parts(len(rows), p, func(lo, hi int, g *group) {
		dn.denoisePart(rows[lo:hi], levels, dst[lo*d:hi*d], alphaBar, g)
	})
}

// vjp writes Jᵀ·v = J·v of each row into dst at the point of the last
// denoise, v and dst row by row.
func (dn *Denoiser) vjp(rows []*row, dst, v []float64) {
	p := partsFor(len(rows))
	if p == 1 {
		dn.vjpPart(rows, dst, v, dn.groups(1)[0])
		return
	}
	d := dn.mix.Dim()
	dn.parts(len(rows), p, func(lo, hi int, g *group) {
		dn.vjpPart(rows[lo:hi], dst[lo*d:hi*d], v[lo*d:hi*d], g)
	})
}

// denoisePart is denoise for a part of the batch.
func (dn *Denoiser) denoisePart(rows []*row, levels []level, dst []float64, alphaBar float64, g *group) {
	mix := dn.mix
	d := mix.Dim()
	sa := math.Sqrt(alphaBar)
	bases := mix.bases()
	// Bound each log-weight without projecting: r·C⁻¹·r lies between
	// ‖r‖²/c_max and ‖r‖²/c_min. A component whose upper bound is below the
	// best lower bound by skipLogGap has w_k < e^−60 and is not projected;
	// its log-weight is reported as that upper bound.
	for _, rw := range rows {
		rw.alphaBar = alphaBar
		best := math.Inf(-1)
		for k := range mix.Components {
			c := &mix.Components[k]
			residualTo(rw.r, rw.xt, c.Mean, sa)
			lo, hi := logComponentBounds(c, levels[k], vec.Dot(rw.r, rw.r))
			rw.logW[k] = hi
			best = math.Max(best, lo)
		}
		for k := range mix.Components {
			rw.projected[k] = rw.logW[k] >= best-skipLogGap
		}
	}
	for k := range mix.Components {
		c := &mix.Components[k]
		g.reset()
		for _, rw := range rows {
			if rw.projected[k] {
				residualTo(rw.r, rw.xt, c.Mean, sa)
				g.add(rw, rw.r, rw.pAll[k], nil, nil)
			}
		}
		projectVecs(g.proj, bases[k], g.vec)
		for _, rw := range g.rows {
			rw.logW[k] = logComponent(c, levels[k], alphaBar, rw.r, rw.pAll[k])
			rw.raw[k] = rw.logW[k]
		}
	}
	for _, rw := range rows {
		logZ := floats.LogSumExp(rw.logW)
		for k := range rw.logW {
			rw.logW[k] -= logZ
			rw.w[k] = math.Exp(rw.logW[k])
		}
	}
	// m_k only where it counts: late in sampling one or two components
	// carry all the weight, and the others' expansions are saved.
	for k := range mix.Components {
		c := &mix.Components[k]
		g.reset()
		for _, rw := range rows {
			if rw.w[k] >= negligible {
				g.add(rw, nil, nil, meanOffU(rw.m[k], c, alphaBar, rw.xt, rw.pAll[k], rw.coefK[k]), rw.m[k])
			}
		}
		expandVecs(g.dst, bases[k], g.coef)
	}
	for i, rw := range rows {
		x0 := dst[i*d : (i+1)*d]
		clear(x0)
		for k := range mix.Components {
			if rw.w[k] >= negligible {
				vec.AddScaled(x0, rw.w[k], rw.m[k])
			}
		}
		copy(rw.x0Hat, x0)
	}
}

// vjpPart is vjp for a part of the batch.
func (dn *Denoiser) vjpPart(rows []*row, dst, v []float64, g *group) {
	mix := dn.mix
	d := mix.Dim()
	alphaBar := rows[0].alphaBar
	sa := math.Sqrt(alphaBar)
	noise := 1 - alphaBar
	bases := mix.bases()
	clear(dst[:len(rows)*d])
	for k := range mix.Components {
		c := &mix.Components[k]
		g.reset()
		for i, rw := range rows {
			if rw.w[k] >= negligible {
				q := c.Rank()
				g.add(rw, v[i*d:(i+1)*d], rw.p[:q], rw.coef[:q], dst[i*d:(i+1)*d])
			}
		}
		if len(g.rows) == 0 {
			continue
		}
		// sqrt(ᾱ)·w_k·Σ_k·C_k⁻¹·v: eigenvalues λ_j/c_j on U_k, s²/c⊥ elsewhere.
		projectVecs(g.proj, bases[k], g.vec)
		sPerp := c.Resid / noisePerp(c, alphaBar)
		for i, rw := range g.rows {
			wk, p, coef := rw.w[k], g.proj[i], g.coef[i]
			for j, l := range c.Eigen {
				coef[j] = sa * wk * (l/(alphaBar*l+noise) - sPerp) * p[j]
			}
			vec.AddScaled(g.dst[i], sa*wk*sPerp, g.vec[i])
		}
		expandVecs(g.dst, bases[k], g.coef)
		// sqrt(ᾱ)/(1−ᾱ)·w_k·δ_k·(δ_k·v) with δ_k = m_k − x̂0.
		for i, rw := range g.rows {
			m, vi, out := rw.m[k], g.vec[i], g.dst[i]
			dot := 0.0
			for j := range m {
				dot += (m[j] - rw.x0Hat[j]) * vi[j]
			}
			if a := sa / noise * rw.w[k] * dot; a != 0 {
				vec.AddScaledDiff(out, a, m, rw.x0Hat)
			}
		}
	}
}
