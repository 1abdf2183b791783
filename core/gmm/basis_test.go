package gmm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// float32Twin returns mix with Float32Bases set, sharing its components.
func float32Twin(mix *Mixture) *Mixture {
	return &Mixture{Shape: mix.Shape, Components: mix.Components, Sched: mix.Sched, Float32Bases: true}
}

// TestFloat32BasesNearFloat64: with Float32Bases the denoiser, its VJP and
// the exact guidance read the bases rounded to float32 and differ from the
// float64 bases by about that rounding (relative 2^-24 ≈ 6e-8 per entry):
// within 1e-6 on every operator family and noise level, and not bit-equal
// (or the float32 path was not taken).
func TestFloat32BasesNearFloat64(t *testing.T) {
	const sigma = 0.1
	rng := rand.New(rand.NewPCG(9, 9))
	differs := false
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 4, 3, sigma)
		twin := float32Twin(mix)
		d := mix.Dim()
		ex64, err := mix.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		ex32, err := twin.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		dn64, dn32 := newOne(mix), newOne(twin)
		for _, ab := range testAlphaBars() {
			xt := noisyPoint(mix, ab, rng)
			v := make([]float64, d)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			for _, c := range []struct {
				what     string
				f64, f32 []float64
				tol      float64
			}{
				{"x̂0", dn64.Denoise(make([]float64, d), xt, ab), dn32.Denoise(make([]float64, d), xt, ab), 1e-6},
				{"Jᵀv", dn64.VJP(make([]float64, d), v), dn32.VJP(make([]float64, d), v), 1e-6},
				{"exact guidance", ex64.Guidance(make([]float64, d), xt, ab), ex32.Guidance(make([]float64, d), xt, ab), 1e-6},
			} {
				e := maxRelErr(c.f32, c.f64)
				if e > c.tol {
					t.Errorf("%s ᾱ=%.3g: %s with float32 bases differs by %.2e relative, want ≤ %g", pc.spec, ab, c.what, e, c.tol)
				}
				differs = differs || e > 0
			}
			for k, w := range dn32.Responsibilities() {
				if dw := math.Abs(w - dn64.Responsibilities()[k]); dw > 1e-6 {
					t.Errorf("%s ᾱ=%.3g: w_%d differs by %.2e", pc.spec, ab, k, dw)
				}
			}
		}
	}
	if !differs {
		t.Error("float32 bases gave the bits of float64 bases everywhere: the float32 path was not taken")
	}
}
