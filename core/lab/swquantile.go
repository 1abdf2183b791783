package lab

import (
	"context"
	"math"
	"slices"

	"tweedie/core/gmm"
	"tweedie/core/internal/vec"
)

// The sliced Wasserstein distance against the exact posterior itself, not
// against a sample of it. For a unit direction θ the projection θ·x0 of
// x0 ~ Σ_k π'_k N(m'_k, Σ'_k) is the one-dimensional mixture
//
//	F_θ = Σ_k π'_k·N(θ·m'_k, θᵀ·Σ'_k·θ),
//
// and the W2² between the empirical measure of n projected samples,
// sorted x_(1) ≤ … ≤ x_(n), and F_θ is
//
//	W2²(θ) = Σ_i ∫_{(i−1)/n}^{i/n} (x_(i) − F_θ⁻¹(u))² du
//	       = Σ_i [x_(i)²/n − 2·x_(i)·(G1(q_i) − G1(q_{i−1})) + G2(q_i) − G2(q_{i−1})],
//
// q_i = F_θ⁻¹(i/n) (q_0 = −∞, q_n = +∞) and G1, G2 the partial moments
// G_p(q) = ∫_{−∞}^q x^p dF_θ(x), closed forms for Gaussians. Only the
// quantiles are numerical (safeguarded Newton on the CDF, to 1e-13), so the
// distance carries no reference-sample noise. SW = sqrt(mean_θ W2²(θ)).
// A bootstrap resample with counts c_i keeps the same sorted order and
// integrates over [C_{i−1}/n, C_i/n], C the cumulative counts: still
// multiples of 1/n, so one table of G1, G2 at q_0 … q_n serves every
// resample.

// mixture1D is Σ_k w_k·N(mu_k, s_k²) on the line.
type mixture1D struct {
	w, mu, s []float64
}

// stdNormal returns Φ(z) and φ(z).
func stdNormal(z float64) (cdf, pdf float64) {
	return 0.5 * math.Erfc(-z/math.Sqrt2), math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi)
}

// moments returns F(x), G1(x) and G2(x). For one component, z = (x − μ)/s:
//
//	∫_{−∞}^x dN = Φ(z),  ∫ t dN = μ·Φ(z) − s·φ(z),
//	∫ t² dN = (μ² + s²)·Φ(z) − s·(2μ + s·z)·φ(z).
func (m *mixture1D) moments(x float64) (f, g1, g2 float64) {
	for k, w := range m.w {
		mu, s := m.mu[k], m.s[k]
		switch {
		case math.IsInf(x, -1):
			continue
		case math.IsInf(x, 1):
			f += w
			g1 += w * mu
			g2 += w * (mu*mu + s*s)
			continue
		}
		z := (x - mu) / s
		cdf, pdf := stdNormal(z)
		f += w * cdf
		g1 += w * (mu*cdf - s*pdf)
		g2 += w * ((mu*mu+s*s)*cdf - s*(2*mu+s*z)*pdf)
	}
	return f, g1, g2
}

func (m *mixture1D) cdfPdf(x float64) (cdf, pdf float64) {
	for k, w := range m.w {
		c, p := stdNormal((x - m.mu[k]) / m.s[k])
		cdf += w * c
		pdf += w * p / m.s[k]
	}
	return cdf, pdf
}

// bracket returns lo, hi with F(lo) < 1e-20 and F(hi) > 1 − 1e-16.
func (m *mixture1D) bracket() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for k := range m.w {
		lo = math.Min(lo, m.mu[k]-10*m.s[k])
		hi = math.Max(hi, m.mu[k]+10*m.s[k])
	}
	return lo, hi
}

// quantile returns F⁻¹(u) for 0 < u < 1, searching in [lo, hi] (which
// must bracket it): Newton steps, bisection when one leaves the bracket
// or does not halve it.
func (m *mixture1D) quantile(u, lo, hi float64) float64 {
	x := 0.5 * (lo + hi)
	for range 200 {
		c, p := m.cdfPdf(x)
		if c < u {
			lo = x
		} else {
			hi = x
		}
		if hi-lo <= 1e-13*(1+math.Abs(x)) {
			break
		}
		next := x - (c-u)/p
		if !(next > lo && next < hi) || p == 0 {
			next = 0.5 * (lo + hi)
		}
		if math.Abs(next-x) <= 1e-14*(1+math.Abs(x)) {
			x = next
			break
		}
		x = next
	}
	return x
}

// quantileTable holds G1 and G2 at the quantiles q_j = F⁻¹(j/n), j = 0…n.
type quantileTable struct {
	g1, g2 []float64
}

func (m *mixture1D) table(n int) quantileTable {
	t := quantileTable{g1: make([]float64, n+1), g2: make([]float64, n+1)}
	lo, hi := m.bracket()
	_, t.g1[n], t.g2[n] = m.moments(math.Inf(1))
	for j := 1; j < n; j++ {
		q := m.quantile(float64(j)/float64(n), lo, hi)
		_, t.g1[j], t.g2[j] = m.moments(q)
		lo = q - 1e-9*(1+math.Abs(q)) // quantiles increase with j
	}
	return t
}

// w2sq returns W2² between the weighted empirical measure of the sorted
// values xs (counts[i] copies of xs[i], nil meaning one each, Σ counts = n)
// and the mixture whose table for n this is.
func (t quantileTable) w2sq(xs []float64, counts []int32) float64 {
	n := len(t.g1) - 1
	sum, at := 0.0, 0
	for i, x := range xs {
		c := 1
		if counts != nil {
			c = int(counts[i])
			if c == 0 {
				continue
			}
		}
		a, b := at, at+c
		sum += x*x*float64(c)/float64(n) - 2*x*(t.g1[b]-t.g1[a]) + t.g2[b] - t.g2[a]
		at = b
	}
	return math.Max(sum, 0)
}

// projectedPosterior holds, per direction θ, the projected exact posterior
// F_θ, and caches its quantile tables by sample size.
type projectedPosterior struct {
	dirs   [][]float64
	mix    []mixture1D
	tables map[int][]quantileTable // n → per direction
}

// tableSizesKept bounds the cache of quantile tables (sizes n seen).
const tableSizesKept = 8

// weightFloor: posterior components below this weight are left out of the
// projected mixtures (and the rest renormalised): they move W2² by less
// than about 1e-12 of the squared spread of the posterior.
const weightFloor = 1e-12

// newProjectedPosterior projects post on dirs: θ·m'_k and θᵀΣ'_kθ, the
// latter by one factorisation per component and one application of Σ'_k
// per direction (O(d·q) plus a solve each, gmm.Posterior.CovQuad). It
// returns ctx's error when ctx ends first.
func newProjectedPosterior(ctx context.Context, post *gmm.Posterior, dirs [][]float64) (*projectedPosterior, error) {
	pp := &projectedPosterior{dirs: dirs, mix: make([]mixture1D, len(dirs)), tables: map[int][]quantileTable{}}
	var ks []int
	total := 0.0
	for k, w := range post.Weights {
		if w >= weightFloor {
			ks = append(ks, k)
			total += w
		}
	}
	quad := make([][]float64, len(ks)) // [kept component][direction]
	for j, k := range ks {
		var err error
		if quad[j], err = post.CovQuad(ctx, k, dirs); err != nil {
			return nil, err
		}
	}
	for i, th := range dirs {
		m := mixture1D{}
		for j, k := range ks {
			m.w = append(m.w, post.Weights[k]/total)
			m.mu = append(m.mu, vec.Dot(th, post.Means[k]))
			m.s = append(m.s, math.Sqrt(math.Max(quad[j][i], 1e-300)))
		}
		pp.mix[i] = m
	}
	return pp, nil
}

// tablesFor returns the quantile tables for samples of size n. Not safe
// for concurrent use.
func (pp *projectedPosterior) tablesFor(n int) []quantileTable {
	if ts, ok := pp.tables[n]; ok {
		return ts
	}
	if len(pp.tables) >= tableSizesKept {
		for k := range pp.tables {
			if k != n {
				delete(pp.tables, k)
				break
			}
		}
	}
	ts := make([]quantileTable, len(pp.dirs))
	for i := range pp.mix {
		ts[i] = pp.mix[i].table(n)
	}
	pp.tables[n] = ts
	return ts
}

// sortedProjections returns, per direction, the samples' projections in
// increasing order.
func sortedProjections(xs [][]float64, dirs [][]float64) [][]float64 {
	out := make([][]float64, len(dirs))
	for i, th := range dirs {
		p := make([]float64, len(xs))
		for j, x := range xs {
			p[j] = vec.Dot(th, x)
		}
		slices.Sort(p)
		out[i] = p
	}
	return out
}

// slicedExact is sqrt(mean_θ W2²(θ)) of the sorted projections (each
// resample's counts in the sorted order of its direction, or nil) against
// the tables.
func slicedExact(proj [][]float64, counts [][]int32, tables []quantileTable) float64 {
	sum := 0.0
	for i, p := range proj {
		var c []int32
		if counts != nil {
			c = counts[i]
		}
		sum += tables[i].w2sq(p, c)
	}
	return math.Sqrt(sum / float64(len(proj)))
}
