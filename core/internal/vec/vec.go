// Package vec holds the two kernels on tweedie's hot path, a dot product
// and y += a·x, with one summation order on every machine: sixteen lane
// accumulators fed by fused multiply–adds, reduced pairwise. On amd64 with
// AVX2 and FMA they run in assembly; elsewhere a Go loop with math.FMA
// computes bit-for-bit the same result, so a seeded run gives the same
// numbers whichever path a machine takes.
//
// The assembly, kernels_amd64.s and its declarations kernels_amd64.go, is
// written by the program in ./asm (a module of its own, built on avo):
// after changing it, run `go generate ./core/internal/vec`.
// TestGeneratedKernelsUpToDate checks that the committed files are what it
// writes, and the tests of every path check the kernels bit for bit
// against the Go loops here, which stay the reference.
package vec

//go:generate go run -C asm .

import "math"

// Dot returns Σ x_i·y_i. It panics if the lengths differ.
func Dot(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("vec: length mismatch")
	}
	if useAsm {
		return dotAsm(x, y)
	}
	return dotGo(x, y)
}

// AddScaled sets y_i += a·x_i. It panics if the lengths differ.
func AddScaled(y []float64, a float64, x []float64) {
	if len(x) != len(y) {
		panic("vec: length mismatch")
	}
	if useAsm {
		axpyAsm(a, x, y)
		return
	}
	axpyGo(a, x, y)
}

// dotGo is the reference order: acc[j] accumulates x_i·y_i for i ≡ j (mod 16)
// over whole blocks of 16, the blocks' lanes are reduced as
// ((acc0..3 + acc4..7) + (acc8..11 + acc12..15)), then lanes 0+2 and 1+3,
// then their sum; the tail is added by FMA in order.
func dotGo(x, y []float64) float64 {
	var acc [16]float64
	n := len(x) &^ 15
	for i := 0; i < n; i += 16 {
		for j := 0; j < 16; j++ {
			acc[j] = math.FMA(x[i+j], y[i+j], acc[j])
		}
	}
	var l [4]float64
	for j := 0; j < 4; j++ {
		l[j] = (acc[j] + acc[4+j]) + (acc[8+j] + acc[12+j])
	}
	s := (l[0] + l[2]) + (l[1] + l[3])
	for i := n; i < len(x); i++ {
		s = math.FMA(x[i], y[i], s)
	}
	return s
}

func axpyGo(a float64, x, y []float64) {
	for i, v := range x {
		y[i] = math.FMA(a, v, y[i])
	}
}
