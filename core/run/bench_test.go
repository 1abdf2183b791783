package run

import (
	"context"
	"testing"

	"tweedie/assets"
	"tweedie/core/img"
	"tweedie/internal/benchcpu"
)

// benchmarkTrajectory runs a full 1000-step DDPM trajectory at d = 784 with a
// K = 10, q = 32 mixture on centre-box inpainting. The reported allocations
// are per trajectory: the trajectory store and a few setup buffers, none per step.
// The exact guidance is off unless exact is set.
func benchmarkTrajectory(b *testing.B, m string, exact bool) {
	prob := testProblem(b, img.Shape{H: 28, W: 28, C: 1}, 10, 32, "inpaint-box:size=14", 0.05)
	cfg := pigConfig(prob, 1000)
	cfg.Method = mustMethod(b, m)
	cfg.NoExact = !exact
	b.ReportAllocs()
	for b.Loop() {
		r, err := New(prob, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrajectoryDPS(b *testing.B)  { benchmarkTrajectory(b, "dps", false) }
func BenchmarkTrajectoryPiG(b *testing.B)  { benchmarkTrajectory(b, "pig", false) }
func BenchmarkTrajectoryNone(b *testing.B) { benchmarkTrajectory(b, "none", false) }

// BenchmarkTrajectoryPiGWithExact also computes the exact guidance at every
// step, for the cosine to it, as the explorer does.
func BenchmarkTrajectoryPiGWithExact(b *testing.B) { benchmarkTrajectory(b, "pig", true) }
func BenchmarkTrajectoryOracle(b *testing.B)       { benchmarkTrajectory(b, "oracle", true) }

// BenchmarkStep measures one step after setup: it must not allocate.
func BenchmarkStep(b *testing.B) {
	prob := testProblem(b, img.Shape{H: 28, W: 28, C: 1}, 10, 32, "inpaint-box:size=14", 0.05)
	cfg := pigConfig(prob, 1000)
	b.ReportAllocs()
	var r *Runner
	for b.Loop() {
		if r == nil || r.Done() {
			b.StopTimer()
			r, _ = New(prob, cfg)
			b.StartTimer()
		}
		r.Step(context.Background())
	}
}

// BenchmarkMNIST runs the default explorer problem on the embedded MNIST
// prior (K = 10, q = 120): box inpainting, σ = 0.05, 1000 DDPM steps.
func BenchmarkMNIST(b *testing.B) {
	mix, err := assets.MNISTPrior()
	if err != nil {
		b.Fatal(err)
	}
	truth := assets.TestDigits()[0].Image.Pix
	for _, bc := range []struct {
		name  string
		m     string
		exact bool
	}{{"DPS", "dps", false}, {"PiG", "pig", false}, {"PiGWithExact", "pig", true}, {"Oracle", "oracle", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := DefaultSettings()
			s.Method = bc.m
			prob, cfg, err := s.Build(mix, truth)
			if err != nil {
				b.Fatal(err)
			}
			cfg.NoExact = !bc.exact
			b.ReportAllocs()
			cpu := benchcpu.Start()
			for b.Loop() {
				r, err := New(prob, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Run(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, cpu)
		})
	}
}
