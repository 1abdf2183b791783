package lab

import (
	"context"
	"math"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/gmm"
	"tweedie/core/internal/spread"
)

// Within-mode calibration. Samples are assigned to the posterior component
// of largest responsibility, k = argmax p(k | x0), and each component's
// samples are set against N(m'_k, Σ'_k):
//
//	MeanError  = ‖x̄_k − m'_k‖, and relative to sqrt(tr Σ'_k);
//	TraceRatio = tr Ĉ_k / tr Σ'_k, Ĉ_k the samples' covariance (n_k − 1,
//	             from the deviations from x̄_k: spread.Columns);
//	VarA       = tr(A·Ĉ_k·Aᵀ)/tr(A·Aᵀ) beside VarAExact = tr(A·Σ'_k·Aᵀ)/tr(A·Aᵀ):
//	             the variance along the rows of A (for one row a, the
//	             variance of a·x0/‖a‖), where guidance acts;
//	Coverage   = the mass of N(m'_k, Σ'_k) inside the component's samples'
//	             per-pixel 90% intervals, mean over pixels (0.90 when they
//	             are right; closed form, Φ of the exact marginals).
//
// The residual ‖y − A·x0‖ is set against its exact expectation,
//
//	E‖y − A·x0‖² = Σ_k π'_k·(‖y − A·m'_k‖² + tr(A·Σ'_k·Aᵀ)),
//
// reported as root mean squares.

// exactComponentFloor: components with a smaller posterior weight are left
// out of the closed-form coverage and the expected residual (each changes
// by less than this) and get no exact calibration row.
const exactComponentFloor = 1e-6

// exactParts are the exact posterior's per-component figures.
type exactParts struct {
	slot     []int       // component → index below, −1 when left out
	ks       []int       // the components kept
	w        []float64   // their π'_k, renormalised over the kept ones
	sd       [][]float64 // per-pixel standard deviations of Σ'_k
	traceCov []float64   // tr Σ'_k
	varA     []float64   // tr(A·Σ'_k·Aᵀ)/tr(A·Aᵀ)
	// expectedResidual is sqrt(E‖y − A·x0‖²).
	expectedResidual float64
	normA2           float64 // tr(A·Aᵀ)
}

// newExactParts computes the exact posterior's per-component figures (d + m
// probes of Σ'_k per component kept), or returns ctx's error when ctx ends
// first.
func newExactParts(ctx context.Context, post *gmm.Posterior, applyA func(dst, x []float64) []float64, y []float64) (*exactParts, error) {
	ex := &exactParts{slot: make([]int, len(post.Weights))}
	total := 0.0
	for k, w := range post.Weights {
		ex.slot[k] = -1
		if w >= exactComponentFloor {
			ex.slot[k] = len(ex.ks)
			ex.ks = append(ex.ks, k)
			total += w
		}
	}
	ax := make([]float64, len(y))
	e2 := 0.0
	for _, k := range ex.ks {
		w := post.Weights[k] / total
		diag, err := post.CovDiag(ctx, k)
		if err != nil {
			return nil, err
		}
		tr := 0.0
		for i, v := range diag {
			tr += v
			diag[i] = math.Sqrt(v)
		}
		aca, aa, err := post.MeasuredTrace(ctx, k)
		if err != nil {
			return nil, err
		}
		applyA(ax, post.Means[k])
		r2 := 0.0
		for j := range ax {
			r2 += (y[j] - ax[j]) * (y[j] - ax[j])
		}
		e2 += w * (r2 + aca)
		ex.w = append(ex.w, w)
		ex.sd = append(ex.sd, diag)
		ex.traceCov = append(ex.traceCov, tr)
		ex.varA = append(ex.varA, aca/aa)
		ex.normA2 = aa
	}
	ex.expectedResidual = math.Sqrt(e2)
	return ex, nil
}

// massComponent is the mass of pixel j of N(m'_k, Σ'_k) (kept index s) in [lo, hi].
func (ex *exactParts) massComponent(post *gmm.Posterior, s, j int, lo, hi float64) float64 {
	m, sd := post.Means[ex.ks[s]][j], ex.sd[s][j]
	if sd == 0 {
		if m >= lo && m <= hi {
			return 1
		}
		return 0
	}
	a, _ := stdNormal((lo - m) / sd)
	b, _ := stdNormal((hi - m) / sd)
	return b - a
}

// ComponentCalibration is one posterior component's samples against it.
type ComponentCalibration struct {
	Component int `json:"component"`
	// Weight is π'_k, Frequency the fraction of samples assigned to k,
	// Samples their number.
	Weight    float64 `json:"weight"`
	Frequency float64 `json:"frequency"`
	Samples   int     `json:"samples"`
	// MeanError is ‖x̄_k − m'_k‖; MeanErrorRel divides it by sqrt(tr Σ'_k).
	MeanError    float64 `json:"mean_error"`
	MeanErrorRel float64 `json:"mean_error_rel"`
	// TraceRatio is tr Ĉ_k / tr Σ'_k (1 when the spread is right).
	TraceRatio float64 `json:"trace_ratio"`
	// VarA and VarAExact are the variances along A of the samples and of
	// the component: tr(A·C·Aᵀ)/tr(A·Aᵀ).
	VarA      float64 `json:"var_a"`
	VarAExact float64 `json:"var_a_exact"`
	// Coverage is the component's exact mass inside its samples' per-pixel
	// 90% intervals (0.90 when right).
	Coverage float64 `json:"coverage"`
}

// calibrationRowWeight: components below this posterior weight get a row
// only when samples landed in them.
const calibrationRowWeight = 1e-3

// calibrate returns a row per component that has samples or a posterior
// weight of at least calibrationRowWeight, in component order. Figures
// that need the exact component (left out, weight < exactComponentFloor)
// or two samples are NaN.
func (l *Lab) calibrate(xs [][]float64, s *sampleSet) []ComponentCalibration {
	ex, post := l.exact, l.post
	K := len(post.Weights)
	members := make([][]int, K)
	for i, k := range s.comp {
		members[k] = append(members[k], i)
	}
	var rows []ComponentCalibration
	d := len(post.Mean)
	nan := math.NaN()
	for k := 0; k < K; k++ {
		idx := members[k]
		if len(idx) == 0 && post.Weights[k] < calibrationRowWeight {
			continue
		}
		row := ComponentCalibration{Component: k, Weight: post.Weights[k], Samples: len(idx),
			Frequency: float64(len(idx)) / float64(max(s.n, 1)),
			MeanError: nan, MeanErrorRel: nan, TraceRatio: nan, VarA: nan, VarAExact: nan, Coverage: nan}
		slot := ex.slot[k]
		if slot >= 0 {
			row.VarAExact = ex.varA[slot]
		}
		if len(idx) == 0 {
			rows = append(rows, row)
			continue
		}
		members, images := make([][]float64, len(idx)), make([][]float64, len(idx))
		for n, i := range idx {
			members[n], images[n] = xs[i], s.ax[i]
		}
		mean, sumSq := spread.Columns(members, nil)
		if slot >= 0 {
			diff := 0.0
			for j, v := range mean {
				diff += (v - post.Means[k][j]) * (v - post.Means[k][j])
			}
			row.MeanError = math.Sqrt(diff)
			row.MeanErrorRel = row.MeanError / math.Sqrt(ex.traceCov[slot])
		}
		if len(idx) >= 2 {
			nk := float64(len(idx) - 1)
			tr := floats.Sum(sumSq) / nk
			// The variance along A, from the stored A·x0.
			_, sumSqA := spread.Columns(images, nil)
			row.VarA = floats.Sum(sumSqA) / nk / ex.normA2
			if slot >= 0 {
				col := make([]float64, len(idx))
				mass := 0.0
				for j := 0; j < d; j++ {
					for n, x := range members {
						col[n] = x[j]
					}
					sorted, _ := sortedWithPerm(col)
					mass += ex.massComponent(post, slot, j, quantile(sorted, levelLo), quantile(sorted, levelHi))
				}
				row.TraceRatio = tr / ex.traceCov[slot]
				row.Coverage = mass / float64(d)
			}
		}
		rows = append(rows, row)
	}
	return rows
}
