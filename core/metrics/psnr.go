package metrics

import "math"

// DataRange is the peak-to-peak range of tweedie's images, [−1, 1].
const DataRange = 2.0

// MSE returns the mean squared error (1/d)·Σ (x_i − ref_i)².
// It panics if lengths differ or are zero.
func MSE(x, ref []float64) float64 {
	if len(x) != len(ref) {
		panic("metrics: length mismatch")
	}
	if len(x) == 0 {
		panic("metrics: empty input")
	}
	s := 0.0
	for i, v := range x {
		d := v - ref[i]
		s += d * d
	}
	return s / float64(len(x))
}

// PSNR returns the peak signal-to-noise ratio in decibels of x against ref,
// for images in [−1, 1] (peak-to-peak range R = 2):
//
//	PSNR = 10·log10(R²/MSE) = 10·log10(4/MSE),
//
// +Inf when x equals ref. It panics if lengths differ or are zero.
func PSNR(x, ref []float64) float64 {
	mse := MSE(x, ref)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(DataRange*DataRange/mse)
}
