package labview

import (
	"strings"
	"testing"

	"tweedie/assets"
	"tweedie/core/run"
	"tweedie/internal/benchcpu"
)

// BenchmarkLabKey measures the lab as the explorer's l key runs it, from
// the key press (Start) to the finished table: the default problem on the
// MNIST prior (box inpainting, σ = 0.05), 32 seeds of every method that
// serves it (14, the particle methods with N = 16), the report polled on
// the explorer's tick, with the explorer's defaults (Workers = GOMAXPROCS
// − 1). fast is the default step cap (100 steps: about 19 s here); full is
// the explorer's 1000 steps (the f key), several minutes: run it alone,
// with -benchtime 1x.
func BenchmarkLabKey(b *testing.B) {
	mix, err := assets.MNISTPrior()
	if err != nil {
		b.Fatal(err)
	}
	p := Problem{Prior: mix, Truth: assets.TestDigits()[0].Image.Pix, TruthName: "digit", Settings: run.DefaultSettings(), LabelTitle: "digit"}
	for _, bc := range []struct {
		name string
		full bool
	}{{"fast", false}, {"full", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchcpu.Start()
			for b.Loop() {
				m := New(Config{})
				m.full = bc.full
				cmd := m.Start(p)
				for cmd != nil {
					m, cmd = m.Update(cmd())
				}
				if !m.fin || m.err != nil || m.rep == nil || m.done != m.total {
					b.Fatalf("lab ended with %d of %d runs: %v", m.done, m.total, m.err)
				}
				if v := m.View(); !strings.Contains(v, "oracle") {
					b.Fatalf("no table:\n%s", v)
				}
			}
			benchcpu.Report(b, cpu)
		})
	}
}
