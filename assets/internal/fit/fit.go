// Package fit fits tweedie's Gaussian-mixture prior: a mixture of
// probabilistic-PCA components, several per class label.
//
// Each class is split into clusters by k-means (k-means++ seeding from a
// fixed seed, then Lloyd iterations), and each cluster gets the closed-form
// maximum-likelihood PPCA of Tipping & Bishop: with S = U_S·diag(ℓ)·U_Sᵀ
// the cluster's covariance (eigenvalues ℓ_1 ≥ … ≥ ℓ_d),
//
//	U = first q eigenvectors,  λ_j = ℓ_j,  s² = (ℓ_{q+1} + … + ℓ_d)/(d − q),
//
// with s² floored at Config.ResidFloor. The weight of a cluster is its size
// over the number of training points.
//
// Everything is deterministic: no map iteration, and goroutines only fill
// their own slots of preallocated slices.
package fit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

// Config chooses the fit.
type Config struct {
	// PerClass is the number of k-means clusters (components) per label.
	PerClass int
	// Rank is q, the number of principal directions per component.
	Rank int
	// ResidFloor is the smallest residual variance s² allowed.
	ResidFloor float64
	// Iters bounds the Lloyd iterations of k-means.
	Iters int
	// Seed seeds k-means++.
	Seed uint64
}

// Moments is a cluster's size, mean and the eigen-decomposition of its
// maximum-likelihood covariance (divided by N).
type Moments struct {
	N    int
	Mean []float64
	// Vals are all d eigenvalues, descending, negative rounding clipped to 0.
	Vals []float64
	// Vecs is d×d; column j is the eigenvector of Vals[j], its entry of
	// largest magnitude made positive.
	Vecs *mat.Dense
}

// Fit fits a mixture to the rows of x (n×d) with class labels in
// [0, numClasses). Classes with no rows get no components.
func Fit(x *mat.Dense, labels []int, shape img.Shape, cfg Config) (*gmm.Mixture, error) {
	clusters, err := Clusters(x, labels, cfg.PerClass, cfg.Iters, cfg.Seed)
	if err != nil {
		return nil, err
	}
	mom, err := AllMoments(x, clusters)
	if err != nil {
		return nil, err
	}
	return Assemble(shape, mom, cfg.Rank, cfg.ResidFloor)
}

// Assemble builds the mixture of PPCA components of rank q from cluster
// moments; weights are cluster sizes over their total.
func Assemble(shape img.Shape, mom []Moments, q int, floor float64) (*gmm.Mixture, error) {
	m := &gmm.Mixture{Shape: shape, Components: make([]gmm.Component, len(mom))}
	total := 0
	for i := range mom {
		total += mom[i].N
	}
	for i := range mom {
		if len(mom[i].Mean) != shape.Len() {
			return nil, fmt.Errorf("fit: cluster %d has dimension %d, shape %v has %d", i, len(mom[i].Mean), shape, shape.Len())
		}
		m.Components[i] = PPCA(&mom[i], q, floor)
		m.Components[i].Weight = float64(mom[i].N) / float64(total)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	return m, nil
}

// PPCA returns the closed-form maximum-likelihood PPCA component of rank q
// (its Weight left 0): λ_j are the top q eigenvalues, s² the mean of the
// rest, floored at floor (and every λ_j raised to at least s²). It panics if
// q exceeds d.
func PPCA(m *Moments, q int, floor float64) gmm.Component {
	d := len(m.Mean)
	if q > d || q < 0 {
		panic(fmt.Sprintf("fit: rank %d out of range for dimension %d", q, d))
	}
	rest := 0.0
	for _, l := range m.Vals[q:] {
		rest += l
	}
	s2 := floor
	if q < d {
		s2 = math.Max(rest/float64(d-q), floor)
	}
	c := gmm.Component{
		Mean:  append([]float64(nil), m.Mean...),
		Basis: make([]float64, q*d),
		Eigen: make([]float64, q),
		Resid: s2,
	}
	for j := 0; j < q; j++ {
		c.Eigen[j] = math.Max(m.Vals[j], s2)
		u := c.Basis[j*d : (j+1)*d]
		mat.Col(u, j, m.Vecs)
	}
	return c
}

// Clusters splits the rows of each class into perClass k-means clusters and
// returns the row indices of every cluster: classes in increasing label
// order, within a class by decreasing size (ties by first row), rows
// increasing within a cluster. A class with fewer rows than perClass gets
// one cluster per row.
func Clusters(x *mat.Dense, labels []int, perClass, iters int, seed uint64) ([][]int, error) {
	n, _ := x.Dims()
	if len(labels) != n {
		return nil, fmt.Errorf("fit: %d labels for %d rows", len(labels), n)
	}
	if perClass < 1 {
		return nil, fmt.Errorf("fit: %d clusters per class", perClass)
	}
	numClasses := 0
	for i, l := range labels {
		if l < 0 {
			return nil, fmt.Errorf("fit: row %d has negative label %d", i, l)
		}
		numClasses = max(numClasses, l+1)
	}
	byClass := make([][]int, numClasses)
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	per := make([][][]int, numClasses)
	parallel(numClasses, func(c int) {
		if len(byClass[c]) == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		per[c] = kmeans(x, byClass[c], perClass, iters, rng)
	})
	var out [][]int
	for _, cl := range per {
		out = append(out, cl...)
	}
	return out, nil
}

// kmeans clusters the given rows of x into k groups.
func kmeans(x *mat.Dense, rows []int, k, iters int, rng *rand.Rand) [][]int {
	k = min(k, len(rows))
	if k == 1 {
		return [][]int{append([]int(nil), rows...)}
	}
	_, d := x.Dims()
	n := len(rows)
	centers := make([][]float64, 0, k)
	// k-means++ seeding.
	dist := make([]float64, n)
	first := rng.IntN(n)
	centers = append(centers, append([]float64(nil), x.RawRowView(rows[first])...))
	for i, r := range rows {
		dist[i] = sqDist(x.RawRowView(r), centers[0])
	}
	for len(centers) < k {
		total := 0.0
		for _, v := range dist {
			total += v
		}
		pick := n - 1
		if total > 0 {
			t := rng.Float64() * total
			for i, v := range dist {
				t -= v
				if t < 0 {
					pick = i
					break
				}
			}
		} else {
			pick = rng.IntN(n)
		}
		c := append([]float64(nil), x.RawRowView(rows[pick])...)
		centers = append(centers, c)
		for i, r := range rows {
			dist[i] = math.Min(dist[i], sqDist(x.RawRowView(r), c))
		}
	}
	// Lloyd iterations.
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	counts := make([]int, k)
	for it := 0; it < max(iters, 1); it++ {
		changed := false
		for i, r := range rows {
			xi := x.RawRowView(r)
			best, bestD := 0, math.Inf(1)
			for j, c := range centers {
				if dd := sqDist(xi, c); dd < bestD {
					best, bestD = j, dd
				}
			}
			dist[i] = bestD
			if assign[i] != best {
				assign[i] = best
				changed = true
			}
		}
		// Give an empty cluster the point furthest from its centre.
		for j := range counts {
			counts[j] = 0
		}
		for _, a := range assign {
			counts[a]++
		}
		for j := range counts {
			if counts[j] > 0 {
				continue
			}
			far := -1
			for i := range rows {
				if counts[assign[i]] > 1 && (far < 0 || dist[i] > dist[far]) {
					far = i
				}
			}
			if far < 0 {
				continue
			}
			counts[assign[far]]--
			assign[far] = j
			counts[j] = 1
			dist[far] = 0
			changed = true
		}
		if !changed && it > 0 {
			break
		}
		for j := range centers {
			for t := range centers[j] {
				centers[j][t] = 0
			}
		}
		for i, r := range rows {
			c := centers[assign[i]]
			for t, v := range x.RawRowView(r) {
				c[t] += v
			}
		}
		for j, c := range centers {
			if counts[j] == 0 {
				continue
			}
			s := 1 / float64(counts[j])
			for t := 0; t < d; t++ {
				c[t] *= s
			}
		}
	}
	out := make([][]int, k)
	for i, r := range rows {
		out[assign[i]] = append(out[assign[i]], r)
	}
	var nonEmpty [][]int
	for _, o := range out {
		if len(o) > 0 {
			nonEmpty = append(nonEmpty, o)
		}
	}
	sort.SliceStable(nonEmpty, func(a, b int) bool {
		if len(nonEmpty[a]) != len(nonEmpty[b]) {
			return len(nonEmpty[a]) > len(nonEmpty[b])
		}
		return nonEmpty[a][0] < nonEmpty[b][0]
	})
	return nonEmpty
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}

// AllMoments computes the Moments of every cluster, in parallel.
func AllMoments(x *mat.Dense, clusters [][]int) ([]Moments, error) {
	out := make([]Moments, len(clusters))
	errs := make([]error, len(clusters))
	parallel(len(clusters), func(i int) {
		out[i], errs[i] = ComputeMoments(x, clusters[i])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// ComputeMoments returns the mean and eigen-decomposed ML covariance of the
// given rows of x.
func ComputeMoments(x *mat.Dense, rows []int) (Moments, error) {
	if len(rows) == 0 {
		return Moments{}, errors.New("fit: empty cluster")
	}
	_, d := x.Dims()
	n := len(rows)
	mean := make([]float64, d)
	for _, r := range rows {
		for t, v := range x.RawRowView(r) {
			mean[t] += v
		}
	}
	for t := range mean {
		mean[t] /= float64(n)
	}
	xc := mat.NewDense(n, d, nil)
	for i, r := range rows {
		dst := xc.RawRowView(i)
		for t, v := range x.RawRowView(r) {
			dst[t] = v - mean[t]
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1/float64(n), xc.T())
	var es mat.EigenSym
	if !es.Factorize(&cov, true) {
		return Moments{}, errors.New("fit: eigen-decomposition did not converge")
	}
	asc := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	m := Moments{N: n, Mean: mean, Vals: make([]float64, d), Vecs: mat.NewDense(d, d, nil)}
	col := make([]float64, d)
	for j := 0; j < d; j++ {
		src := d - 1 - j
		m.Vals[j] = math.Max(asc[src], 0)
		mat.Col(col, src, &vecs)
		big := 0
		for t, v := range col {
			if math.Abs(v) > math.Abs(col[big]) {
				big = t
			}
		}
		if col[big] < 0 {
			for t := range col {
				col[t] = -col[t]
			}
		}
		m.Vecs.SetCol(j, col)
	}
	return m, nil
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
