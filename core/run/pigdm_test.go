package run

import (
	"context"
	"math"
	"testing"

	"tweedie/assets"
	"tweedie/core/method"
	"tweedie/core/metrics"
	"tweedie/core/sampler"
)

// TestPiGDMSettingConverges runs ΠG in ΠGDM's own setting (DDIM η = 1,
// 100 steps, w = 1, σ = 0.05) with the published weighting on the MNIST
// prior: it must not diverge and must end near the truth. (Adding
// √(ᾱ_s·ᾱ_t)·w·g, with g's 1/r_t², diverged at about step 92 of 100.)
func TestPiGDMSettingConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("MNIST runs")
	}
	mix, err := assets.MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	truth := assets.TestDigits()[0].Image.Pix
	for _, op := range []string{"sr:factor=2", "inpaint-box:size=14"} {
		s := DefaultSettings()
		s.Op, s.Sampler, s.Eta, s.Steps = op, sampler.DDIM, 1, 100
		s.Params = method.Values{"weighting": "pigdm", "weight": "1"}
		prob, cfg, err := s.Build(mix, truth)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		// The unguided sample from the same noise, for scale.
		cfg.Method = mustMethod(t, "none")
		un, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, base := metrics.PSNR(tr.Final, truth), metrics.PSNR(un.Final, truth)
		t.Logf("%s: ΠGDM PSNR %.2f dB, unguided %.2f dB", op, got, base)
		if got < base+3 {
			t.Errorf("%s: ΠGDM PSNR %.2f dB is not clearly above unguided %.2f dB", op, got, base)
		}
		// The former weighting, √(ᾱ_s·ᾱ_t)·w·g, diverges: the test can tell.
		cfg.Method = oldPiGDM(t)
		if _, err := runAll(t, prob, cfg); err == nil {
			t.Errorf("%s: √(ᾱ_s·ᾱ_t)·w·g did not diverge", op)
		} else {
			t.Logf("%s: the former weighting: %v", op, err)
		}
	}
}

// oldPiGDM is ΠG with the former pigdm weighting: x_s + √(ᾱ_s·ᾱ_t)·w·g,
// g including (r_t²AAᵀ + σ²I)⁻¹.
func oldPiGDM(t *testing.T) *method.Method {
	pig := mustMethod(t, "pig")
	m := *pig
	m.Bind = func(p *method.Problem, v method.Values) (method.Guide, error) {
		g, err := pig.Bind(p, v.With("weighting", "tweedie"))
		return oldGuide{g, v.Float("weight")}, err
	}
	return &m
}

type oldGuide struct {
	pig method.Guide
	w   float64
}

func (g oldGuide) Guide(ctx context.Context, st *method.State, out *method.Output) error {
	if err := g.pig.Guide(ctx, st, out); err != nil {
		return err
	}
	a := math.Sqrt(st.AlphaBarS*st.AlphaBarT) * g.w
	for i, v := range out.ScoreY {
		out.Corr[i] = a * v
	}
	out.Target = method.ToXs
	return nil
}
