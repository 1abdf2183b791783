package run

import (
	"math"
	"testing"

	"tweedie/assets"
	"tweedie/core/gmm"
)

// TestFloat32BasesTrajectory runs the default explorer problem (MNIST, box
// inpainting, σ = 0.05, 1000 steps, digit 0) with the embedded prior,
// whose hot loops read the bases in float32 (Mixture.Float32Bases), and
// with the same prior read in float64: x̂0 stays within 1e-6 relative at
// every step for ΠG, DPS and the oracle (measured: 2.4–2.6e-8, the
// rounding of the float32 store). A method that amplifies perturbations
// can part further on other digits: DPS on digit 2 reaches 1e-3, as it
// would for any change in the last bits.
func TestFloat32BasesTrajectory(t *testing.T) {
	if testing.Short() {
		t.Skip("six 1000-step runs")
	}
	mix, err := assets.MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	if !mix.Float32Bases {
		t.Fatal("the embedded prior does not read its bases in float32")
	}
	wide := &gmm.Mixture{Shape: mix.Shape, Components: mix.Components, Sched: mix.Sched}
	truth := assets.TestDigits()[0].Image.Pix
	for _, m := range []string{"pig", "dps", "oracle"} {
		s := DefaultSettings()
		s.Method = m
		run := func(prior *gmm.Mixture) *Trajectory {
			prob, cfg, err := s.Build(prior, truth)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := runAll(t, prob, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		a, b := run(mix), run(wide)
		worst, differs := 0.0, false
		var x32, x64 []float64
		for i := range a.Steps() {
			x32, x64 = a.X0Hat(x32, i), b.X0Hat(x64, i)
			num, den := 0.0, 0.0
			for j := range x32 {
				num += (x32[j] - x64[j]) * (x32[j] - x64[j])
				den += x64[j] * x64[j]
			}
			worst = math.Max(worst, math.Sqrt(num/den))
			differs = differs || num > 0
		}
		t.Logf("%s: x̂0 within %.2e relative at every step", m, worst)
		if worst > 1e-6 {
			t.Errorf("%s: x̂0 with float32 bases departs from float64 bases by %.2e relative, want ≤ 1e-6", m, worst)
		}
		if !differs {
			t.Errorf("%s: the two runs are bit-identical: the float32 path was not taken", m)
		}
	}
}
