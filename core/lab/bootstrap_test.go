package lab

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBootstrapMean: the percentile interval of a mean of n standard
// normals is about ±1.645/√n around it, the same seed gives the same
// interval, and another seed a different one.
func TestBootstrapMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{100, 1600} {
		x := make([]float64, n)
		mean := 0.0
		for i := range x {
			x[i] = rng.NormFloat64()
			mean += x[i] / float64(n)
		}
		sd := 0.0
		for _, v := range x {
			sd += (v - mean) * (v - mean) / float64(n-1)
		}
		sd = math.Sqrt(sd)
		stat := func(counts []int32, out []float64) {
			s := 0.0
			for i, c := range counts {
				s += float64(c) * x[i]
			}
			out[0] = s / float64(n)
		}
		iv := bootstrap(n, 2000, 7, 1, 1, nil, stat)[0]
		want := 2 * 1.645 * sd / math.Sqrt(float64(n))
		if math.Abs(iv.Width()-want) > 0.1*want || !iv.Contains(mean) {
			t.Errorf("n = %d: interval %+v around %.4f, want width %.4f", n, iv, mean, want)
		}
		if again := bootstrap(n, 2000, 7, 1, 1, nil, stat)[0]; again != iv {
			t.Errorf("n = %d: same seed, intervals %+v and %+v", n, iv, again)
		}
		if other := bootstrap(n, 2000, 8, 1, 1, nil, stat)[0]; other == iv {
			t.Errorf("n = %d: another seed, the same interval %+v", n, iv)
		}
	}
}

// TestIntervalsShrink: the lab's bootstrap intervals of exact samples
// scored as a method's shrink about as 1/√n: ×4 from 100 to 1600 samples
// (PSNR and coverage are means; SW on a one-component posterior).
func TestIntervalsShrink(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstraps 1600 samples")
	}
	cfg := gmm25Config(t, 20, "pig")
	cfg.Entries[0].Settings.Op, cfg.Entries[0].Settings.Sigma = "svd:dy=4,seed=1", 0.1
	cfg.Projections = 32
	cfg.Resamples = 400
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Prior.Dim()
	widths := func(n int) []Interval {
		xs := make([][]float64, n)
		for i := range xs {
			xs[i] = make([]float64, d)
		}
		l.post.SampleMany(xs, rand.New(rand.NewPCG(uint64(n), 1)))
		s := l.prepare(xs, l.prob.Op.Clone().Apply)
		tables := l.tablesFor(n)
		point := make([]float64, figures)
		l.score(s, nil, tables, point)
		ivs := bootstrap(n, cfg.Resamples, 1, 2, int(figures), point, func(c []int32, out []float64) { l.score(s, c, tables, out) })
		for _, f := range []figure{figSW, figPSNR, figCoverage, figResidual} {
			if !ivs[f].Contains(point[f]) {
				t.Errorf("n = %d: figure %d = %.4g outside its interval %+v", n, f, point[f], ivs[f])
			}
		}
		return ivs
	}
	small, large := widths(100), widths(1600)
	for _, f := range []struct {
		name string
		fig  figure
	}{{"SW", figSW}, {"PSNR", figPSNR}, {"coverage", figCoverage}, {"residual", figResidual}} {
		r := small[f.fig].Width() / large[f.fig].Width()
		t.Logf("%s: widths %.4g and %.4g, ratio %.2f", f.name, small[f.fig].Width(), large[f.fig].Width(), r)
		if r < 2.5 || r > 6.5 {
			t.Errorf("%s interval shrank ×%.2f from 100 to 1600 samples, want about 4", f.name, r)
		}
	}
}
