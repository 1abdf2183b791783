package lab

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/method"
	"tweedie/core/run"
)

// gmm25Config is the published benchmark at d = 8, d_y = 2, σ = 0.5.
func gmm25Config(t testing.TB, seeds int, methods ...string) Config {
	mix, err := gmm.ParseSynthetic("gmm25:d=8,seed=1")
	if err != nil {
		t.Fatal(err)
	}
	truth, _ := mix.Sample(make([]float64, mix.Dim()), rand.New(rand.NewPCG(3, 3)))
	var entries []Entry
	for _, m := range methods {
		s := run.DefaultSettings()
		s.Op, s.Sigma, s.Steps = "svd:dy=2,seed=1", 0.5, 200
		s.Method = m
		s.Params = method.Values{"zeta": "0.5"}
		entries = append(entries, Entry{Label: m, Settings: s})
	}
	return Config{Prior: mix, Truth: truth, Entries: entries, Seeds: seeds, FirstSeed: 1, Seed: 7, Projections: 64}
}

func runLab(t testing.TB, cfg Config) *Report {
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return l.Report()
}

// TestOracleNearFloor: the oracle samples the exact posterior (up to
// discretisation), so its sliced Wasserstein distance stays near the floor
// between two independent exact sample sets, and its component frequencies
// near the exact weights; unguided sampling (the prior) is far away, so the
// test can fail.
func TestOracleNearFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	rep := runLab(t, gmm25Config(t, 300, "oracle", "none"))
	or, prior := rep.Results[0], rep.Results[1]
	t.Logf("floor %.3f; oracle SW %.3f TV %.3f cov %.3f; prior SW %.3f TV %.3f", rep.SWFloor, or.SW, or.TV, or.Coverage, prior.SW, prior.TV)
	if or.SW > 1.5*rep.SWFloor {
		t.Errorf("oracle SW %.3f, floor %.3f", or.SW, rep.SWFloor)
	}
	if or.TV > 0.1 {
		t.Errorf("oracle TV %.3f", or.TV)
	}
	if math.Abs(or.Coverage-0.9) > 0.05 {
		t.Errorf("oracle coverage %.3f, want ≈ 0.90", or.Coverage)
	}
	if !(prior.SW > 3*rep.SWFloor) || !(prior.TV > 0.5) {
		t.Errorf("unguided SW %.3f TV %.3f: the metrics do not separate it from the posterior", prior.SW, prior.TV)
	}
}

// TestDeterministic: the same seeds give the same report, whatever the
// number of workers (and so the order runs finish in).
func TestDeterministic(t *testing.T) {
	cfg := gmm25Config(t, 12, "pig", "dps", "oracle")
	cfg.Workers = 1
	a := runLab(t, cfg)
	cfg.Workers = 3
	b := runLab(t, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("reports differ:\n%+v\n%+v", a.Results, b.Results)
	}
}

func TestDivergedRunsCounted(t *testing.T) {
	cfg := gmm25Config(t, 4, "dps")
	cfg.Entries[0].Settings.Params = method.Values{"zeta": "1e12"}
	rep := runLab(t, cfg)
	if r := rep.Results[0]; r.Diverged != 1 || r.Runs != 4 || !math.IsNaN(r.SW) {
		t.Errorf("diverged %.2f of %d runs, SW %v", r.Diverged, r.Runs, r.SW)
	}
}

func TestRefusesMixedProblems(t *testing.T) {
	cfg := gmm25Config(t, 4, "pig", "dps")
	cfg.Entries[1].Settings.Sigma = 0.1
	if _, err := New(cfg); err == nil {
		t.Error("entries with different σ accepted")
	}
	cfg = gmm25Config(t, 1, "pig")
	if _, err := New(cfg); err == nil {
		t.Error("one seed accepted")
	}
}

// TestSlicedW2 checks the distance on a case computed by hand: shifting
// every sample by a vector c moves each projection by θ·c, so
// SW² = mean_θ (θ·c)².
func TestSlicedW2(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([][]float64, 50)
	b := make([][]float64, 50)
	c := []float64{0.3, -0.4}
	for i := range a {
		a[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		b[i] = []float64{a[i][0] + c[0], a[i][1] + c[1]}
	}
	dirs := [][]float64{{1, 0}, {0, 1}}
	want := math.Sqrt((0.09 + 0.16) / 2)
	if got := slicedW2(a, b, dirs); math.Abs(got-want) > 1e-12 {
		t.Errorf("SW = %v, want %v", got, want)
	}
	if got := slicedW2(a, a, dirs); got != 0 {
		t.Errorf("SW(a, a) = %v", got)
	}
}

// TestRanked: results by SW, then TV, those without a converged run last.
func TestRanked(t *testing.T) {
	nan := math.NaN()
	rep := &Report{Results: []Result{{SW: 2, TV: 0.1}, {SW: nan, TV: nan}, {SW: 1, TV: 0.5}, {SW: 2, TV: 0.05}}}
	if got := rep.Ranked(); !reflect.DeepEqual(got, []int{2, 3, 0, 1}) {
		t.Errorf("ranked %v", got)
	}
}
