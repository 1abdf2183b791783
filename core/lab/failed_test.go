package lab

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"tweedie/core/method"
)

// failOdd is a method for the tests: no guidance, and an error at its
// third step for an odd seed.
type failOdd struct {
	seed  uint64
	steps int
}

func (g *failOdd) Guide(_ context.Context, _ *method.State, out *method.Output) error {
	if g.steps++; g.steps == 3 && g.seed%2 == 1 {
		return errors.New("the test's method failed")
	}
	out.Target = method.NoCorrection
	return nil
}

// registerFailOdd registers failOdd as the method "failodd" for the test.
func registerFailOdd(t *testing.T) {
	t.Helper()
	method.Register(&method.Method{
		Name: "failodd", Label: "FailOdd", Order: 99, Summary: "fails for odd seeds (a test's)",
		Needs: func(method.Values) method.Cap { return 0 },
		Bind: func(p *method.Problem, _ method.Values) (method.Guide, error) {
			return &failOdd{seed: p.Seed}, nil
		},
		Formula: func(method.Values, method.Frame) [2]string { return [2]string{"FailOdd", ""} },
		Cost:    method.OneEval,
	})
	t.Cleanup(func() { method.Unregister("failodd") })
}

// TestFailedRunsCounted: runs that fail (seeds 1, 3, 5, 7 of 1 … 8) are
// counted in Failed with the first's cause, left out of Runs and of the
// figures, and the lab goes on: the other seeds and entries are scored.
func TestFailedRunsCounted(t *testing.T) {
	registerFailOdd(t)
	cfg := gmm25Config(t, 8, "failodd", "none")
	for i := range cfg.Entries {
		cfg.Entries[i].Settings.Steps = 20
	}
	rep := runLab(t, cfg)
	f, n := rep.Results[0], rep.Results[1]
	if f.Failed != 4 || f.Runs != 4 || !strings.HasPrefix(f.Failure, "seed 1: ") || !strings.Contains(f.Failure, "the test's method failed") {
		t.Errorf("failing entry: %d runs, %d failed, failure %q", f.Runs, f.Failed, f.Failure)
	}
	if !(f.SW > 0) || math.IsNaN(f.PSNR) {
		t.Errorf("the runs that did not fail are not scored: SW %v, PSNR %v", f.SW, f.PSNR)
	}
	if n.Failed != 0 || n.Runs != 8 || n.Failure != "" {
		t.Errorf("other entry: %d runs, %d failed, failure %q", n.Runs, n.Failed, n.Failure)
	}

	// Without the exact posterior likewise.
	mix := cfg.Prior
	ne, err := RunNoExact(context.Background(), NoExactConfig{Prior: mix, Truth: cfg.Truth, Entries: cfg.Entries,
		Seeds: 8, FirstSeed: 1, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	g := ne.Results[0]
	if g.Failed != 4 || g.Runs != 4 || !strings.HasPrefix(g.Failure, "seed 1: ") || math.IsNaN(g.PSNR) || !(g.Spread > 0) {
		t.Errorf("without the exact posterior: %+v", g)
	}
	if h := ne.Results[1]; h.Failed != 0 || h.Runs != 8 {
		t.Errorf("without the exact posterior, other entry: %+v", h)
	}
}
