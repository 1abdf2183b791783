package operator

import (
	"math/rand/v2"
	"testing"
)

func benchOp(b *testing.B, spec string) {
	op := mustParse(b, testCase{spec, shape28})
	rng := rand.New(rand.NewPCG(61, 62))
	n, m := op.InShape().Len(), op.OutLen()
	x, v := randVec(rng, n), randVec(rng, m)
	dx, dy := make([]float64, n), make([]float64, m)
	b.Run("Apply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			op.Apply(dy, x)
		}
	})
	b.Run("VJP", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			op.VJP(dx, x, v)
		}
	})
	if lin, ok := op.(Linear); ok {
		b.Run("Solve", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lin.Solve(dy, v, 0.9, 0.0025)
			}
		})
		b.Run("SolveCG", func(b *testing.B) {
			cg := NewCG(lin, 1e-10, 0)
			b.ReportAllocs()
			for b.Loop() {
				cg.Solve(dy, v, 0.9, 0.0025)
			}
		})
	}
}

func BenchmarkBlurGauss28(b *testing.B)  { benchOp(b, "blur-gauss:size=7,std=1.5") }
func BenchmarkBlurMotion28(b *testing.B) { benchOp(b, "blur-motion:size=7,seed=1") }
func BenchmarkInpaintBox28(b *testing.B) { benchOp(b, "inpaint-box:size=14") }
func BenchmarkSR4_28(b *testing.B)       { benchOp(b, "sr:factor=4") }
func BenchmarkPhase28(b *testing.B)      { benchOp(b, "phase:pad=2") }
