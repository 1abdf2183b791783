package lab

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// exactSamples draws n exact posterior samples of the lab's problem.
func exactSamples(l *Lab, n int, seed uint64) [][]float64 {
	xs := make([][]float64, n)
	for i := range xs {
		xs[i] = make([]float64, l.cfg.Prior.Dim())
	}
	l.post.SampleMany(xs, rand.New(rand.NewPCG(seed, seed)))
	return xs
}

// TestCalibrationOfExactSamples: exact samples are calibrated in every
// component with weight: mean error small against the spread, trace and
// variance-along-A ratios near 1, coverage near 0.90; and the expected
// residual matches its Monte Carlo estimate (4 standard errors).
func TestCalibrationOfExactSamples(t *testing.T) {
	cfg := gmm25Config(t, 20, "pig")
	cfg.Entries[0].Settings.Op, cfg.Entries[0].Settings.Sigma = "svd:dy=1,seed=1", 0.1
	cfg.Projections = 4
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const N = 20000
	xs := exactSamples(l, N, 4)
	s := l.prepare(xs, l.prob.Op.Clone().Apply)
	checked := 0
	for _, row := range l.calibrate(xs, s) {
		if row.Samples < 500 {
			continue
		}
		checked++
		t.Logf("component %d: π' %.3f f %.3f, mean error %.3f (rel %.3f), trace ratio %.3f, var along A %.4f (exact %.4f), coverage %.3f",
			row.Component, row.Weight, row.Frequency, row.MeanError, row.MeanErrorRel, row.TraceRatio, row.VarA, row.VarAExact, row.Coverage)
		if row.MeanErrorRel > 0.1 || math.Abs(row.TraceRatio-1) > 0.1 || math.Abs(row.VarA/row.VarAExact-1) > 0.15 ||
			math.Abs(row.Coverage-0.9) > 0.02 || math.Abs(row.Frequency-row.Weight) > 0.02 {
			t.Errorf("component %d of exact samples miscalibrated: %+v", row.Component, row)
		}
	}
	if checked < 2 {
		t.Errorf("%d components checked: the problem should have two modes", checked)
	}
	m2, m4 := 0.0, 0.0
	for _, r := range s.resid2 {
		m2 += r / N
		m4 += r * r / N
	}
	se := math.Sqrt((m4 - m2*m2) / N)
	if want := l.exact.expectedResidual * l.exact.expectedResidual; math.Abs(m2-want) > 4*se {
		t.Errorf("E‖y − Ax‖² = %.5f exact, Monte Carlo %.5f ± %.5f", want, m2, se)
	}
	// The closed-form coverage of the whole posterior agrees with the mass
	// counted with a second set of exact samples.
	fig := make([]float64, figures)
	l.score(s, nil, l.tablesFor(N), fig)
	ref := exactSamples(l, N, 5)
	in, total := 0, 0
	for j, col := range s.cols {
		lo, hi := quantile(col, levelLo), quantile(col, levelHi)
		for _, x := range ref {
			total++
			if x[j] >= lo && x[j] <= hi {
				in++
			}
		}
	}
	if counted := float64(in) / float64(total); math.Abs(fig[figCoverage]-counted) > 0.005 {
		t.Errorf("coverage %.4f closed form, %.4f counted", fig[figCoverage], counted)
	}
}
