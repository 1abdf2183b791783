package tui

import (
	"fmt"
	"math"
	"strconv"

	"tweedie/core/run"
)

// Number formatting of the status lines, panels' labels and header.

func fmtE(x float64) string {
	if x == 0 || math.IsNaN(x) {
		return "0"
	}
	return fmt.Sprintf("%.1e", x)
}

// fmtAlphaBar is ᾱ_t with the digits that tell it from 1 near t = 0
// (ᾱ_t = 0.9999 where the formula's r_t = √(1−ᾱ_t) is 0.01).
func fmtAlphaBar(a float64) string {
	if a > 0.99 && a < 1 {
		return strconv.FormatFloat(a, 'g', 6, 64)
	}
	return fmtG(a)
}

// fmtNorm is a norm, "n/a" when NaN (no exact guidance); short, it has
// two significant digits and no exponent when it needs none.
func fmtNorm(x float64, short bool) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	if short {
		return strconv.FormatFloat(x, 'g', 2, 64)
	}
	return fmtE(x)
}

// fmtRatio is a ratio of norms to three significant digits (two when
// short), "n/a" when NaN.
func fmtRatio(x float64, short bool) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	if short {
		return strconv.FormatFloat(x, 'g', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// fmtNFE is a sample's network evaluations so far: denoiser calls, with
// VJPs after a plus.
func fmtNFE(rec run.Record) string {
	if rec.VJPs == 0 {
		return fmt.Sprint(rec.NFE)
	}
	return fmt.Sprintf("%d+%d", rec.NFE, rec.VJPs)
}

func fmtCos(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}
