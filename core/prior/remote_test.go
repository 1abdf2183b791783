package prior

import (
	"errors"
	"math"
	"testing"
	"time"

	"tweedie/core/budget"
	_ "tweedie/core/run" // budget.LeastRun
	"tweedie/core/worker"
)

func TestParseRemote(t *testing.T) {
	for _, c := range []struct {
		args, cmd string
		workers   int
		call      time.Duration
	}{
		{"python3 w.py --model unet", "python3 w.py --model unet", 1, 0},
		{"timeout=5s,workers=2:python3 w.py --model my.py:load", "python3 w.py --model my.py:load", 2, 5 * time.Second},
		// A command whose first part looks like no option stays whole.
		{"ssh box python3 w.py --model m.py:load", "ssh box python3 w.py --model m.py:load", 1, 0},
		{"env A=1 python3 w.py", "env A=1 python3 w.py", 1, 0},
	} {
		o, err := ParseRemote(c.args)
		if err != nil || o.Command != c.cmd || o.Workers != c.workers || o.Worker.Call != c.call {
			t.Errorf("ParseRemote(%q) = %+v, %v", c.args, o, err)
		}
	}
	for _, bad := range []string{"", "  ", "timeout=5s:", "timeout=x:cmd", "workers=0:cmd", "workers=100:cmd", "start=-1s:cmd"} {
		_, err := ParseRemote(bad)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("ParseRemote(%q): %v, want a SpecError", bad, err)
		}
	}
}

// TestMaxRemoteNumbers: the largest image a served model may declare is
// the largest whose frames, test patterns and least run fit the budget;
// more workers (more frames) lower it.
func TestMaxRemoteNumbers(t *testing.T) {
	cost := func(d, workers int) int64 {
		return int64(workers)*worker.FrameBufferBytes(d, worker.FrameRows(d)) + truthBytes(d) + budget.LeastRun(d, worker.MaxSteps)
	}
	for _, workers := range []int{1, 4} {
		d := MaxRemoteNumbers(budget.DefaultLimit, workers)
		t.Logf("%d workers: at most %d numbers (%.0f² gray, %.0f² colour)", workers, d, math.Sqrt(float64(d)), math.Sqrt(float64(d)/3))
		if cost(d, workers) > budget.DefaultLimit || cost(d+1, workers) <= budget.DefaultLimit {
			t.Errorf("%d workers: %d numbers cost %d, %d cost %d; limit %d", workers, d, cost(d, workers), d+1, cost(d+1, workers), budget.DefaultLimit)
		}
		if d < 1<<20 || d >= worker.MaxPixels {
			t.Errorf("%d workers: at most %d numbers", workers, d)
		}
	}
	if MaxRemoteNumbers(1<<10, 1) != 0 {
		t.Error("a budget of 1 KiB holds an image")
	}
}
