package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"tweedie/core/budget"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/run"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

func TestMain(m *testing.M) {
	workertest.Main() // the fake model worker, when this binary is run as one
	os.Exit(m.Run())
}

// fakeRemote starts n fake workers (core/worker/workertest: the linear
// model x̂0_i = sqrt(ᾱ)·(x_i + ½·x_{i+1 mod d}) of 8×8 images).
func fakeRemote(t *testing.T, n int) *worker.Remote {
	t.Helper()
	cmd, err := workertest.Command(workertest.OK, workertest.EnvShape+"=8x8x1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := worker.StartRemote(context.Background(), cmd, n, worker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func noExactConfig(r *worker.Remote, workers int) NoExactConfig {
	truth := make([]float64, 64)
	for i := range truth {
		truth[i] = math.Sin(float64(i) / 3)
	}
	var es []Entry
	for _, m := range []string{"dps", "pig", "none"} {
		s := run.DefaultSettings()
		s.Method, s.Steps, s.Op, s.Sigma = m, 12, "inpaint-box:size=4", 0.1
		es = append(es, Entry{Label: m, Settings: s})
	}
	return NoExactConfig{Prior: r, Truth: truth, Entries: es, Seeds: 5, FirstSeed: 3, Workers: workers}
}

// TestNoExactSameOverWorkers: the lab over one worker process and one
// goroutine, and over three of each, gives the same report bit for bit.
func TestNoExactSameOverWorkers(t *testing.T) {
	one, err := RunNoExact(context.Background(), noExactConfig(fakeRemote(t, 1), 1))
	if err != nil {
		t.Fatal(err)
	}
	three, err := RunNoExact(context.Background(), noExactConfig(fakeRemote(t, 3), 3))
	if err != nil {
		t.Fatal(err)
	}
	a, b := fmt.Sprintf("%+v", *one), fmt.Sprintf("%+v", *three)
	if a != b {
		t.Errorf("1 worker:  %s\n3 workers: %s", a, b)
	}
	t.Logf("%s", a)
}

// TestNoExactFigures checks the report against runs made here and figures
// computed by hand: PSNR = 10·log10(4/MSE) (images on [−1, 1]), the
// residual through the operator's mask, and the per-pixel spread.
func TestNoExactFigures(t *testing.T) {
	r := fakeRemote(t, 2)
	cfg := noExactConfig(r, 2)
	rep, err := RunNoExact(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := operator.Parse("inpaint-box:size=4", img.Shape{H: 8, W: 8, C: 1})
	mask := op.(operator.Masker).Mask()
	if want := 0.1 * math.Sqrt(float64(len(mask)-16)); math.Abs(rep.NoiseNorm-want) > 1e-12 {
		t.Errorf("noise norm %v, want σ√m = %v", rep.NoiseNorm, want)
	}
	for e, entry := range cfg.Entries {
		prob, rc, err := entry.Settings.Build(r, cfg.Truth)
		if err != nil {
			t.Fatal(err)
		}
		var xs [][]float64
		psnr, res, nfe := 0.0, 0.0, 0.0
		for s := range cfg.Seeds {
			rc.Seed = cfg.FirstSeed + uint64(s)
			rn, err := run.New(prob, rc)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := rn.Run(context.Background(), nil)
			if err != nil {
				t.Fatalf("%s seed %d: %v", entry.Label, rc.Seed, err)
			}
			x := tr.Final
			xs = append(xs, x)
			mse, rr, k := 0.0, 0.0, 0
			for i, v := range x {
				mse += (v - cfg.Truth[i]) * (v - cfg.Truth[i]) / float64(len(x))
				if mask[i] == 1 {
					rr += (prob.Y[k] - v) * (prob.Y[k] - v)
					k++
				}
			}
			psnr += 10 * math.Log10(4/mse)
			res += math.Sqrt(rr)
			nfe += float64(tr.Records[tr.Done-1].NFE)
		}
		n := float64(cfg.Seeds)
		spread := 0.0
		for i := range xs[0] {
			var m, ss float64
			for _, x := range xs {
				m += float64(float32(x[i])) / n
			}
			for _, x := range xs {
				ss += (float64(float32(x[i])) - m) * (float64(float32(x[i])) - m)
			}
			spread += math.Sqrt(ss/(n-1)) / float64(len(xs[0]))
		}
		got := rep.Results[e]
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"PSNR", got.PSNR, psnr / n}, {"residual", got.Residual, res / n}, {"spread", got.Spread, spread}, {"NFE", got.NFE, nfe / n}} {
			if math.Abs(c.got-c.want) > 1e-9*(1+math.Abs(c.want)) {
				t.Errorf("%s: %s %v, want %v", entry.Label, c.name, c.got, c.want)
			}
		}
		if got.Diverged != 0 || got.Runs != cfg.Seeds {
			t.Errorf("%s: %d runs, %v diverged", entry.Label, got.Runs, got.Diverged)
		}
	}
}

// TestNoExactBudget: a memory budget that holds two runs at once makes
// the lab run two at a time, with the same report; one that holds not
// even the samples refuses the lab before any run.
func TestNoExactBudget(t *testing.T) {
	r := fakeRemote(t, 1)
	want, err := RunNoExact(context.Background(), noExactConfig(r, 3))
	if err != nil {
		t.Fatal(err)
	}
	cfg := noExactConfig(r, 3)
	perRun := int64(0)
	for _, e := range cfg.Entries {
		prob, c, err := e.Settings.Build(cfg.Prior, cfg.Truth)
		if err != nil {
			t.Fatal(err)
		}
		c.KeepBytes = 1
		n, _ := run.Footprint(prob, c)
		perRun = max(perRun, n)
	}
	samples := int64(4 * 64 * len(cfg.Entries) * cfg.Seeds)
	b := budget.New(samples + 2*perRun + perRun/2)
	cfg.Budget = b
	got, err := RunNoExact(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a, c := fmt.Sprintf("%+v", *want), fmt.Sprintf("%+v", *got); a != c {
		t.Errorf("unbounded: %s\nin the budget: %s", a, c)
	}
	if b.Free() != b.Limit() {
		t.Errorf("%d bytes of the budget kept after the lab", b.Limit()-b.Free())
	}
	cfg.Budget = budget.New(samples - 1)
	var be *budget.Error
	if _, err := RunNoExact(context.Background(), cfg); !errors.As(err, &be) {
		t.Errorf("a budget below the samples: %v", err)
	}
}
