package run

import (
	"context"
	"fmt"
	"testing"

	"tweedie/core/img"
)

// TestComparisonWhileRunning: a Comparison on another goroutine, fed each
// step as it is made, gives the records CompareExact gives after the run,
// bit for bit (and, under -race, shares nothing it should not with the
// running Runner).
func TestComparisonWhileRunning(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 40)
	cfg.NoExact = true

	r, err := New(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.NewComparison()
	if err != nil || c == nil {
		t.Fatalf("comparison %v, %v", c, err)
	}
	in := make(chan CompareInput, 4)
	out := make(chan []Record)
	go func() {
		var recs []Record
		for x := range in {
			recs = append(recs, c.Compare(x))
		}
		out <- recs
	}()
	for !r.Done() {
		if err := r.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		x, ok := r.CompareInput(r.Trajectory().Done - 1)
		if !ok {
			t.Fatal("no rows for the latest step")
		}
		in <- x
	}
	close(in)
	got := <-out

	after, _ := New(prob, cfg)
	tr, err := after.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Records {
		after.CompareExact(i)
		if g, w := fmt.Sprintf("%v", got[i]), fmt.Sprintf("%v", tr.Records[i]); g != w {
			t.Fatalf("step %d:\n%s\nwant\n%s", i, g, w)
		}
	}
	if got[3].GCos != got[3].GCos { // NaN: not compared at all
		t.Fatal("the comparison left cos(g, g*) empty")
	}
}
