package gmm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"tweedie/core/internal/vec"
)

// TestExactGuidanceBounds checks the bounds that let the exact guidance skip
// components against the exact values they bound, on every operator
// family: log det M_k ≥ logDetMBound, and log(w_k·N(y; A·m_k, G_k)) ≤
// warmBound from the solution of another point.
func TestExactGuidanceBounds(t *testing.T) {
	const sigma = 0.1
	rng := rand.New(rand.NewPCG(8, 8))
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 4, 3, sigma)
		ex, err := mix.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		eg := ex.(*ExactGuidance)
		ms := eg.ms
		d := mix.Dim()
		prev := make([][]float64, len(mix.Components)) // G_k⁻¹·e_k at the previous point
		for _, ab := range testAlphaBars() {
			xt := noisyPoint(mix, ab, rng)
			eg.Guidance(make([]float64, d), xt, ab) // fills U_kᵀ·r_k and A·x_t
			for k := range mix.Components {
				c := &mix.Components[k]
				eg.residual(k, xt, ab) // e_k of this point, whether or not Guidance needed it
				a, _ := eg.posteriorNoise(c, ab)
				delta := eg.delta[:c.Rank()]
				fiedler := eg.logDetMBound(k, a)
				logDetM := ms.factor(k, a, delta)
				if fiedler > logDetM+1e-9*math.Abs(logDetM) {
					t.Errorf("%s ᾱ=%.3g k=%d: log det M %.6g below its bound %.6g", pc.spec, ab, k, logDetM, fiedler)
				}
				sinv := ms.solve(make([]float64, ms.m), eg.e[k], k, a, delta)
				r := make([]float64, d)
				residualTo(r, xt, c.Mean, math.Sqrt(ab))
				logW := logComponent(c, newLevel(c, ab, d), ab, r, eg.p[k])
				exact := logW + ms.logNormal(eg.e[k], sinv, ms.baseLogDet(a)+logDetM)
				if prev[k] != nil {
					eg.logW[k] = logW
					copy(eg.sinv[k], prev[k])
					eg.keep(k)
					if b := eg.warmBound(k, ab, a, delta, ms.baseLogDet(a)+eg.logDetMBound(k, a)); b < exact-1e-9*math.Abs(exact) {
						t.Errorf("%s ᾱ=%.3g k=%d: warm bound %.6g below the exact %.6g", pc.spec, ab, k, b, exact)
					}
					copy(eg.sinv[k], sinv)
					eg.keep(k)
					// At the solution the quadratic part is exact: the bound is
					// off by the log-determinant's bound alone.
					want := exact + 0.5*(logDetM-fiedler)
					if b := eg.warmBound(k, ab, a, delta, ms.baseLogDet(a)+eg.logDetMBound(k, a)); math.Abs(b-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("%s ᾱ=%.3g k=%d: warm bound at the solution %.12g, want %.12g", pc.spec, ab, k, b, want)
					}
				}
				prev[k] = sinv
			}
		}
	}
}

// TestExactGuidanceWarmEqualsFresh: the guidance of an ExactGuidance that
// has seen earlier points (and skips components by their bounds) is the
// guidance of a fresh one, along a sampling-like sequence of points.
func TestExactGuidanceWarmEqualsFresh(t *testing.T) {
	const sigma = 0.05
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 5, 3, sigma)
		warm, err := mix.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		d := mix.Dim()
		rng := rand.New(rand.NewPCG(9, 9))
		x0, _ := mix.Sample(make([]float64, d), rng)
		noise := make([]float64, d)
		for i := range noise {
			noise[i] = rng.NormFloat64()
		}
		for _, ab := range []float64{1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99} {
			xt := make([]float64, d)
			for i := range xt {
				xt[i] = math.Sqrt(ab)*x0[i] + math.Sqrt(1-ab)*noise[i]
			}
			fresh, _ := mix.NewExactGuidance(op, y, sigma)
			want := fresh.Guidance(make([]float64, d), xt, ab)
			got := warm.Guidance(make([]float64, d), xt, ab)
			scale := math.Sqrt(vec.Dot(want, want))
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-12*scale {
					t.Fatalf("%s ᾱ=%.3g: warm %v, fresh %v at %d", pc.spec, ab, got[i], want[i], i)
				}
			}
		}
	}
}

// TestGuidanceAfterSameBits: the guidance that takes the projections of the
// denoiser's call at the same x_t gives the bits of the one that makes its
// own, and falls back to its own at another x_t.
func TestGuidanceAfterSameBits(t *testing.T) {
	ctx := t.Context()
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 4, 3, 0.1)
		own, _ := mix.NewExactGuidance(op, y, 0.1)
		shared, _ := mix.NewExactGuidance(op, y, 0.1)
		dn := mix.NewDenoiser().(*Denoiser)
		d := mix.Dim()
		rng := rand.New(rand.NewPCG(10, 10))
		for _, ab := range testAlphaBars() {
			xt := noisyPoint(mix, ab, rng)
			if err := dn.Denoise(ctx, make([]float64, d), xt, ab); err != nil {
				t.Fatal(err)
			}
			want := own.Guidance(make([]float64, d), xt, ab)
			got := shared.(*ExactGuidance).GuidanceAfter(make([]float64, d), xt, ab, dn)
			if !slices.Equal(got, want) {
				t.Fatalf("%s ᾱ=%.3g: GuidanceAfter differs from Guidance", pc.spec, ab)
			}
			other := noisyPoint(mix, ab, rng)
			want = own.Guidance(make([]float64, d), other, ab)
			got = shared.(*ExactGuidance).GuidanceAfter(make([]float64, d), other, ab, dn)
			if !slices.Equal(got, want) {
				t.Fatalf("%s ᾱ=%.3g: GuidanceAfter at another x_t differs from Guidance", pc.spec, ab)
			}
		}
	}
}
