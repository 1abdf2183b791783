package lab

import (
	"context"
	"testing"
)

// TestFloorBandCovers: the band of 40 exact draws holds about 90% of
// further independent exact draws' SW and coverage (from 80 more: 65–100%,
// a binomial test with margin), and draws of one seed are reproducible.
func TestFloorBandCovers(t *testing.T) {
	cfg := gmm25Config(t, 50, "pig")
	cfg.Entries[0].Settings.Op, cfg.Entries[0].Settings.Sigma = "svd:dy=4,seed=1", 0.5
	cfg.Projections = 16
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	draws := make([][]float64, 120)
	for r := range draws {
		if draws[r], err = l.floorDraw(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	again, _ := l.floorDraw(context.Background(), 7)
	for f := range again {
		if again[f] != draws[7][f] {
			t.Fatalf("draw 7 not reproducible: %v, %v", again, draws[7])
		}
	}
	for _, fig := range []figure{figSW, figCoverage} {
		v := make([]float64, 40)
		for r := range v {
			v[r] = draws[r][fig]
		}
		band := bandOf(v)
		in := 0
		for _, d := range draws[40:] {
			if band.Contains(d[fig]) {
				in++
			}
		}
		t.Logf("figure %d: band %.4g (%.4g–%.4g) holds %d of 80 further draws", fig, band.Median, band.Lo, band.Hi, in)
		if in < 52 {
			t.Errorf("figure %d: band %+v holds %d of 80 further exact draws, want about 72", fig, band, in)
		}
	}
}
