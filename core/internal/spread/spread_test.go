package spread

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Samples 1e8 + e_i with e_i of spread 1e-3 (each a multiple of the
// spacing of float64 near 1e8, so the samples hold e_i exactly): the sums
// of squared deviations match a float64 two-pass sum over the e_i alone,
// where no large mean is in the way, to 1e-9 (the means to 1e-4 of the
// spread), while the one-pass Σx² − n·x̄² is off by more than the
// variance itself.
func TestLargeMean(t *testing.T) {
	const n, d, big = 1000, 3, 1e8
	ulp := math.Nextafter(big, math.Inf(1)) - big
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float64, n)
	noise := make([][]float64, n)
	for i := range rows {
		rows[i], noise[i] = make([]float64, d), make([]float64, d)
		for j := range d {
			e := math.Round(1e-3*float64(j+1)*rng.NormFloat64()/ulp) * ulp
			rows[i][j], noise[i][j] = big+e, e
		}
	}
	mean, ss := Columns(rows, nil)
	for j := range d {
		m := 0.0
		for _, e := range noise {
			m += e[j]
		}
		m /= n
		want := 0.0
		for _, e := range noise {
			want += (e[j] - m) * (e[j] - m)
		}
		if rel := math.Abs(ss[j]-want) / want; rel > 1e-9 {
			t.Errorf("column %d: Σ(x − x̄)² = %.10g, two-pass over the noise %.10g (relative error %.2g)", j, ss[j], want, rel)
		}
		if sd := math.Sqrt(want / n); math.Abs(mean[j]-(big+m)) > 1e-4*sd {
			t.Errorf("column %d: mean %.17g, want %.17g (spread %.3g)", j, mean[j], big+m, sd)
		}
		sum, sq := 0.0, 0.0
		for _, x := range rows {
			sum += x[j]
			sq += x[j] * x[j]
		}
		if onePass := sq - sum*sum/n; math.Abs(onePass-want) < want {
			t.Errorf("column %d: the one-pass sum %.4g came within the variance of %.4g: the samples do not test cancellation", j, onePass, want)
		}
	}
}

// Weights count as repeated samples, float32 samples are widened exactly,
// and a sum is never negative.
func TestWeightsAndTypes(t *testing.T) {
	rows := [][]float32{{1, -2}, {3, 5}, {1, -2}}
	mean, ss := Columns(rows, nil)
	wmean, wss := Columns(rows[:2], []float64{2, 1})
	for j := range mean {
		if math.Abs(mean[j]-wmean[j]) > 1e-15 || math.Abs(ss[j]-wss[j]) > 1e-13 {
			t.Errorf("column %d: weight 2 gives mean %v, sum %v; the sample twice %v, %v", j, wmean[j], wss[j], mean[j], ss[j])
		}
	}
	if want := []float64{8.0 / 3, 98.0 / 3}; math.Abs(ss[0]-want[0]) > 1e-13 || math.Abs(ss[1]-want[1]) > 1e-13 {
		t.Errorf("sums %v, want %v", ss, want)
	}
	same := [][]float64{{0.1}, {0.1}, {0.1}}
	if _, ss := Columns(same, nil); ss[0] != 0 {
		t.Errorf("equal samples: sum %v, want 0", ss[0])
	}
	if m, ss := Columns([][]float64(nil), nil); m != nil || ss != nil {
		t.Errorf("no samples: %v, %v", m, ss)
	}
}
