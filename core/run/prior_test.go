package run

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/schedule"
)

// opaque is a prior whose denoisers have no VJP and fail after a number of
// calls, as a model in another process can: the mixture underneath, seen
// through denoiser.Denoiser alone.
type opaque struct {
	mix       *gmm.Mixture
	failAfter int
}

func (o *opaque) NewDenoiser() denoiser.Denoiser {
	return &failing{den: o.mix.NewDenoiser(), left: o.failAfter}
}
func (o *opaque) ImageShape() img.Shape        { return o.mix.Shape }
func (o *opaque) Schedule() *schedule.Schedule { return o.mix.Schedule() }

type failing struct {
	den  denoiser.Denoiser
	left int
}

var errWorker = errors.New("worker went away")

func (f *failing) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	if f.left == 0 {
		return errWorker
	}
	f.left--
	return f.den.Denoise(ctx, dst, xt, alphaBar)
}

func TestPriorWithoutVJP(t *testing.T) {
	shape := img.Shape{H: 6, W: 6, C: 1}
	mix := gmm.Random(shape, 3, 2, 4)
	op, _ := operator.Parse("inpaint-box:size=2", shape)
	prob, err := NewProblem(&opaque{mix: mix, failAfter: -1}, op, mix.Components[0].Mean, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if prob.HasExact() {
		t.Error("a prior seen through Denoiser alone offers the exact guidance")
	}
	for _, name := range []string{"pig", "dps", "oracle"} {
		cfg := pigConfig(prob, 10)
		cfg.Method = mustMethod(t, name)
		_, err := New(prob, cfg)
		if err == nil {
			t.Errorf("%s ran without a VJP (or exact prior)", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	cfg := pigConfig(prob, 10)
	cfg.Method = mustMethod(t, "none")
	if _, err := runAll(t, prob, cfg); err != nil {
		t.Errorf("unguided sampling needs no VJP: %v", err)
	}
	if _, err := New(prob, Config{Steps: 10, Method: mustMethod(t, "dps")}); err == nil || !strings.Contains(err.Error(), "vector–Jacobian") {
		t.Errorf("DPS's refusal does not say why: %v", err)
	}
}

// TestDenoiserFailureStopsRun: a denoiser error stops the run at its step,
// with the step and the cause; a cancelled context is not a failure.
func TestDenoiserFailureStopsRun(t *testing.T) {
	shape := img.Shape{H: 6, W: 6, C: 1}
	mix := gmm.Random(shape, 3, 2, 4)
	op, _ := operator.Parse("inpaint-box:size=2", shape)
	prob, _ := NewProblem(&opaque{mix: mix, failAfter: 4}, op, mix.Components[0].Mean, 0.1, 1)
	cfg := pigConfig(prob, 10)
	cfg.Method = mustMethod(t, "none")
	r, err := New(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Run(context.Background(), nil)
	if !errors.Is(err, errWorker) || tr.Done != 4 || !r.Done() || !strings.Contains(err.Error(), "step 5 of 10") {
		t.Errorf("err %v after %d steps", err, tr.Done)
	}
	if err2 := r.Step(context.Background()); err2 != err {
		t.Errorf("a failed run stepped on: %v", err2)
	}

	prob, _ = NewProblem(mix, op, mix.Components[0].Mean, 0.1, 1)
	r, _ = New(prob, pigConfig(prob, 10))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Step(ctx); !errors.Is(err, context.Canceled) || r.Done() {
		t.Errorf("cancelled: %v, done %v", err, r.Done())
	}
	if err := r.Step(context.Background()); err != nil {
		t.Errorf("resuming after a cancel: %v", err)
	}
}

// TestUpdateRatio: the oracle applies exactly the exact correction
// (update_ratio 1); ΠG with w applies w·‖g‖/‖g*‖ of it in the Tweedie
// weighting, where its update is the oracle's rule driven by w·g.
func TestUpdateRatio(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 30)
	cfg.Method = mustMethod(t, "oracle")
	tr, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range tr.Records {
		if math.Abs(rec.UpdateRatio-1) > 1e-9 {
			t.Fatalf("oracle step %d: update ratio %v", rec.Index, rec.UpdateRatio)
		}
	}
	cfg = pigConfig(prob, 30)
	cfg.Params = map[string]string{"weight": "2"}
	tr, err = runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range tr.Records {
		if math.Abs(rec.UpdateRatio-2*rec.GRatio) > 1e-9*rec.UpdateRatio {
			t.Fatalf("ΠG step %d: update ratio %v, 2·‖g‖/‖g*‖ = %v", rec.Index, rec.UpdateRatio, 2*rec.GRatio)
		}
	}
}
