package lab

import (
	"context"
	"fmt"
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
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return l.Report()
}

// TestOracleNearFloor: the oracle samples the exact posterior (up to
// discretisation), so its SW interval overlaps the floor band of exact
// samplers, and its component frequencies and coverage are near the
// exact ones; unguided sampling (the prior) is far away, so the test can
// fail.
func TestOracleNearFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	rep := runLab(t, gmm25Config(t, 300, "oracle", "none"))
	or, prior := rep.Results[0], rep.Results[1]
	t.Logf("floor %.3f [%.3f, %.3f]; oracle SW %.3f [%.3f, %.3f] TV %.3f cov %.3f; prior SW %.3f TV %.3f", rep.SWFloor.Median,
		rep.SWFloor.Lo, rep.SWFloor.Hi, or.SW, or.SWCI.Lo, or.SWCI.Hi, or.TV, or.Coverage, prior.SW, prior.TV)
	if !or.SWCI.Overlaps(rep.SWFloor.Interval) {
		t.Errorf("oracle SW %.3f [%.3f, %.3f] outside the floor band %+v", or.SW, or.SWCI.Lo, or.SWCI.Hi, rep.SWFloor)
	}
	if !or.SWCI.Contains(or.SW) || !(or.SWCI.Width() > 0) {
		t.Errorf("oracle SW %.3f, interval %+v", or.SW, or.SWCI)
	}
	if or.TV > 0.1 {
		t.Errorf("oracle TV %.3f", or.TV)
	}
	if math.Abs(or.Coverage-0.9) > 0.05 {
		t.Errorf("oracle coverage %.3f, want ≈ 0.90", or.Coverage)
	}
	if !(prior.SWCI.Lo > 3*rep.SWFloor.Hi) || !(prior.TV > 0.5) {
		t.Errorf("unguided SW %.3f TV %.3f: the metrics do not separate it from the posterior", prior.SW, prior.TV)
	}
	// Time-resolved: the oracle's mode TV stays near the exact reference's
	// at every scored step; the prior's ends far from it.
	last := len(or.Time) - 1
	for _, p := range or.Time {
		if p.TV > p.TVExactCI.Hi+0.05 {
			t.Errorf("oracle at t = %d: TV_t %.3f, exact %.3f [%.3f, %.3f]", p.T, p.TV, p.TVExact, p.TVExactCI.Lo, p.TVExactCI.Hi)
		}
	}
	if p := prior.Time[last]; !(p.TV > 0.5) || !(p.NLL > p.NLLExactCI.Hi) {
		t.Errorf("unguided at t = %d: TV_t %.3f NLL %.3f (exact %.3f)", p.T, p.TV, p.NLL, p.NLLExact)
	}
}

// TestDeterministic: the same seeds give the same report, whatever the
// number of workers (and so the order runs finish in): intervals, floor
// bands, calibration and time series included.
func TestDeterministic(t *testing.T) {
	cfg := gmm25Config(t, 12, "pig", "dps", "oracle")
	cfg.Workers = 1
	a := runLab(t, cfg)
	cfg.Workers = 3
	b := runLab(t, cfg)
	if fa, fb := fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b); fa != fb {
		t.Errorf("reports differ:\n%s\n%s", fa, fb)
	}
	if a.FloorDrawsDone != a.FloorDraws || len(a.Results[0].Time) == 0 || math.IsNaN(a.Results[0].Time[0].TVExact) {
		t.Errorf("report incomplete: %d of %d floor draws, time %+v", a.FloorDrawsDone, a.FloorDraws, a.Results[0].Time)
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
	if _, err := New(context.Background(), cfg); err == nil {
		t.Error("entries with different σ accepted")
	}
	cfg = gmm25Config(t, 1, "pig")
	if _, err := New(context.Background(), cfg); err == nil {
		t.Error("one seed accepted")
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
