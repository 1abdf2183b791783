package fit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/gmm"
)

var log2Pi = math.Log(2 * math.Pi)

// lowRankLogDensity is log N(x; μ, Σ) with Σ = U·diag(λ)·Uᵀ + s²·(I − U·Uᵀ),
// given r2 = ‖x − μ‖² and p = Uᵀ(x − μ):
//
//	−½·(d·log 2π + Σ_j log λ_j + (d−q)·log s² + Σ_j p_j²/λ_j + (r2 − Σ_j p_j²)/s²)
func lowRankLogDensity(d int, r2 float64, p, lambda []float64, s2 float64) float64 {
	q := len(lambda)
	logDet := float64(d-q) * math.Log(s2)
	quad, inSpan := 0.0, 0.0
	for j, l := range lambda {
		pj2 := p[j] * p[j]
		logDet += math.Log(l)
		quad += pj2 / l
		inSpan += pj2
	}
	quad += math.Max(r2-inSpan, 0) / s2
	return -0.5 * (float64(d)*log2Pi + logDet + quad)
}

// LogDensity returns log N(x; μ_k, Σ_k) for one component, in O(d·q).
// It panics if len(x) differs from len(c.Mean).
func LogDensity(c *gmm.Component, x []float64) float64 {
	d := len(c.Mean)
	if len(x) != d {
		panic(fmt.Sprintf("fit: x has length %d, want %d", len(x), d))
	}
	r := make([]float64, d)
	r2 := 0.0
	for i := range r {
		r[i] = x[i] - c.Mean[i]
		r2 += r[i] * r[i]
	}
	p := make([]float64, c.Rank())
	for j := range p {
		u := c.Basis[j*d : (j+1)*d]
		for i, v := range r {
			p[j] += u[i] * v
		}
	}
	return lowRankLogDensity(d, r2, p, c.Eigen, c.Resid)
}

// MixtureLogDensity returns log p(x) = log Σ_k π_k·N(x; μ_k, Σ_k) for
// every row of x.
func MixtureLogDensity(m *gmm.Mixture, x *mat.Dense) []float64 {
	n, _ := x.Dims()
	lp := make([][]float64, len(m.Components))
	parallel(len(m.Components), func(k int) {
		c := &m.Components[k]
		lp[k] = make([]float64, n)
		lw := math.Log(c.Weight)
		for i := 0; i < n; i++ {
			lp[k][i] = lw + LogDensity(c, x.RawRowView(i))
		}
	})
	return logSumExpRows(lp, n)
}

// logSumExpRows returns log Σ_k exp(lp[k][i]) for each i.
func logSumExpRows(lp [][]float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		hi := math.Inf(-1)
		for k := range lp {
			hi = math.Max(hi, lp[k][i])
		}
		s := 0.0
		for k := range lp {
			s += math.Exp(lp[k][i] - hi)
		}
		out[i] = hi + math.Log(s)
	}
	return out
}

// SweepResult is the held-out score of one setting.
type SweepResult struct {
	PerClass   int
	Rank       int
	ResidFloor float64
	K          int
	// LLPerPixel is the mean over held-out rows of log p(x)/d, in nats.
	LLPerPixel float64
	// MinResid and MaxResid range over the components' s².
	MinResid, MaxResid float64
}

// Sweep scores every combination of clusters per class, rank and residual
// floor by the average held-out log-likelihood per pixel of test. For each
// clusters-per-class value the clustering and eigen-decompositions are done
// once and the projections onto the leading max(ranks) eigenvectors are
// shared by all ranks and floors. progress, if not nil, is called after each
// clusters-per-class value.
func Sweep(train *mat.Dense, labels []int, test *mat.Dense, perClass, ranks []int, floors []float64, iters int, seed uint64, progress func([]SweepResult)) ([]SweepResult, error) {
	nt, d := test.Dims()
	qMax := 0
	for _, q := range ranks {
		if q < 0 || q > d {
			return nil, fmt.Errorf("fit: rank %d out of range", q)
		}
		qMax = max(qMax, q)
	}
	var all []SweepResult
	for _, c := range perClass {
		clusters, err := Clusters(train, labels, c, iters, seed)
		if err != nil {
			return nil, err
		}
		mom, err := AllMoments(train, clusters)
		if err != nil {
			return nil, err
		}
		total := 0
		for i := range mom {
			total += mom[i].N
		}
		K := len(mom)
		// lp[s][k][i] for setting s = (rank, floor).
		ns := len(ranks) * len(floors)
		lp := make([][][]float64, ns)
		for s := range lp {
			lp[s] = make([][]float64, K)
		}
		resid := make([][]float64, ns)
		for s := range resid {
			resid[s] = make([]float64, K)
		}
		parallel(K, func(k int) {
			m := &mom[k]
			// P = (X − 1μᵀ)·V[:, :qMax], r2 = ‖x − μ‖².
			r := mat.NewDense(nt, d, nil)
			r2 := make([]float64, nt)
			for i := 0; i < nt; i++ {
				dst := r.RawRowView(i)
				for t, v := range test.RawRowView(i) {
					dst[t] = v - m.Mean[t]
					r2[i] += dst[t] * dst[t]
				}
			}
			var p mat.Dense
			p.Mul(r, m.Vecs.Slice(0, d, 0, qMax))
			lw := math.Log(float64(m.N) / float64(total))
			s := 0
			for _, q := range ranks {
				for _, floor := range floors {
					comp := PPCA(m, q, floor)
					resid[s][k] = comp.Resid
					out := make([]float64, nt)
					for i := range out {
						out[i] = lw + lowRankLogDensity(d, r2[i], p.RawRowView(i)[:q], comp.Eigen, comp.Resid)
					}
					lp[s][k] = out
					s++
				}
			}
		})
		s := 0
		var batch []SweepResult
		for _, q := range ranks {
			for _, floor := range floors {
				ll := logSumExpRows(lp[s], nt)
				sum := 0.0
				for _, v := range ll {
					sum += v
				}
				res := SweepResult{PerClass: c, Rank: q, ResidFloor: floor, K: K,
					LLPerPixel: sum / float64(nt) / float64(d),
					MinResid:   math.Inf(1), MaxResid: math.Inf(-1)}
				for _, v := range resid[s] {
					res.MinResid = math.Min(res.MinResid, v)
					res.MaxResid = math.Max(res.MaxResid, v)
				}
				batch = append(batch, res)
				s++
			}
		}
		if progress != nil {
			progress(batch)
		}
		all = append(all, batch...)
	}
	return all, nil
}
