package lab

import (
	"context"
	"testing"

	"tweedie/assets"
	"tweedie/core/run"
	"tweedie/internal/benchcpu"
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

// BenchmarkMNISTLab is the lab the explorer's l starts on its default
// problem, cut to the three methods of the speed goal: the embedded MNIST
// prior, box inpainting, σ = 0.05, 32 seeds × ΠG, DPS and the oracle ×
// 1000 steps, on every core, from New to the report.
func BenchmarkMNISTLab(b *testing.B) {
	mix, err := assets.MNISTPrior()
	if err != nil {
		b.Fatal(err)
	}
	var entries []Entry
	for _, m := range []string{"pig", "dps", "oracle"} {
		s := run.DefaultSettings()
		s.Method = m
		entries = append(entries, Entry{Label: m, Settings: s})
	}
	cfg := Config{Prior: mix, Truth: assets.TestDigits()[0].Image.Pix, Entries: entries, Seeds: 32, FirstSeed: 1, Seed: 1}
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		l, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		l.Report()
	}
	benchcpu.Report(b, cpu)
}
