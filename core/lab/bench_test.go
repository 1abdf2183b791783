package lab

import (
	"context"
	"strings"
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
	l, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Run(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	l.tablesFor(100)
	b.ResetTimer()
	cpu := benchcpu.Start()
	for range b.N {
		l.summarise(0, l.results[0], l.grids[0].ref)
	}
	benchcpu.Report(b, cpu)
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
		l, err := New(context.Background(), cfg)
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

// BenchmarkNew measures the exact reference the explorer's l computes
// before its first run: New on the embedded MNIST prior with the three
// methods of BenchmarkMNISTLab at 100 steps, for box inpainting (A·Aᵀ = I)
// and a Gaussian blur (A·Aᵀ not scalar: every solve is an FFT).
func BenchmarkNew(b *testing.B) {
	mix, err := assets.MNISTPrior()
	if err != nil {
		b.Fatal(err)
	}
	for _, op := range []string{"inpaint-box:size=14", "blur-gauss:size=7,std=1.5"} {
		b.Run(op[:strings.IndexAny(op, ":")], func(b *testing.B) {
			var entries []Entry
			for _, m := range []string{"pig", "dps", "oracle"} {
				s := run.DefaultSettings()
				s.Method, s.Op, s.Steps = m, op, 100
				entries = append(entries, Entry{Label: m, Settings: s})
			}
			cfg := Config{Prior: mix, Truth: assets.TestDigits()[0].Image.Pix, Entries: entries, Seeds: 32, FirstSeed: 1, Seed: 1}
			if _, err := New(context.Background(), cfg); err != nil { // the operator image, cached
				b.Fatal(err)
			}
			cpu := benchcpu.Start()
			for b.Loop() {
				if _, err := New(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, cpu)
		})
	}
}
