package lab

import (
	"context"
	"testing"
)

// BenchmarkSummarise measures one entry's summary of 100 seeds: the exact
// SW, the 1000-resample bootstrap of every figure, the calibration and the
// time series (gmm25, d = 8, 256 projections).
func BenchmarkSummarise(b *testing.B) {
	cfg := gmm25Config(b, 100, "oracle")
	cfg.Projections = DefaultProjections
	cfg.Entries[0].Settings.Steps = 20
	l, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	l.tablesFor(100)
	b.ResetTimer()
	for range b.N {
		l.summarise(0, l.results[0], l.grids[0].ref)
	}
}
