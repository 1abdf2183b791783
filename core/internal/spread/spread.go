// Package spread computes the spread of samples — per-pixel variances,
// traces of sample covariances, the variance of a mixture — from their
// deviations from the mean, never as Σx² − n·x̄².
//
// That one-pass form subtracts two sums that agree in about
// 2·log10(|x̄|/s) leading digits (s the spread): all of float64's 16 when
// the mean is 1e8 times the spread, leaving rounding noise of either sign.
// Columns takes two passes over the samples, the corrected two-pass
// algorithm of Chan, Golub and LeVeque ("Algorithms for computing the
// sample variance", The American Statistician 37(3), 1983, eq. 1.7):
//
//	m   = Σ_i w_i·x_i / W,                 W = Σ_i w_i,
//	SS  = Σ_i w_i·(x_i − m)² − (Σ_i w_i·(x_i − m))² / W.
//
// The second term is zero in exact arithmetic; in floating point it takes
// out, to first order, the rounding error of m (Σ_i w_i·x_i rounds to
// about n·ε·|x̄|, which the first term alone would square): SS is the sum
// about the refined mean m + Σ_i w_i·(x_i − m)/W, which Columns returns.
package spread

// Columns returns, for samples (rows of one length d) with weights w (nil:
// every sample weighs 1), the weighted mean of each column,
// mean[j] = Σ_i w_i·x_ij / W (refined), and the weighted sum of squared
// deviations from it, sumSq[j] = Σ_i w_i·(x_ij − mean[j])² (≥ 0), by the
// corrected two-pass algorithm. A sample variance is sumSq[j]/(n − 1) for unit
// weights, a mixture's variance sumSq[j]/W. No rows give nil, nil.
func Columns[T float32 | float64](rows [][]T, w []float64) (mean, sumSq []float64) {
	if len(rows) == 0 {
		return nil, nil
	}
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	d := len(rows[0])
	mean, sumSq = make([]float64, d), make([]float64, d)
	total := 0.0
	for i, r := range rows {
		wi := weight(i)
		total += wi
		for j, x := range r {
			mean[j] += wi * float64(x)
		}
	}
	for j := range mean {
		mean[j] /= total
	}
	dev := make([]float64, d) // Σ_i w_i·(x_ij − mean[j])
	for i, r := range rows {
		wi := weight(i)
		for j, x := range r {
			e := float64(x) - mean[j]
			dev[j] += wi * e
			sumSq[j] += wi * e * e
		}
	}
	for j, s := range dev {
		sumSq[j] = max(sumSq[j]-s*s/total, 0)
		mean[j] += s / total
	}
	return mean, sumSq
}
