package run

import (
	"context"
	"testing"

	"tweedie/core/img"
)

// TestStepDoesNotAllocate: after New, steps allocate nothing (the final
// copy of x_0 is the one allocation, on the last step).
func TestStepDoesNotAllocate(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, "inpaint-box:size=4", 0.05)
	for _, m := range []string{"pig", "dps", "none"} {
		cfg := pigConfig(prob, 1000)
		cfg.Method = mustMethod(t, m)
		r, err := New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { r.Step(context.Background()) }); n != 0 {
			t.Errorf("%v: %v allocations per step", m, n)
		}
	}
}
