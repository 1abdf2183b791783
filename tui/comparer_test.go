package tui

import (
	"context"
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"tweedie/tui/internal/work"
)

func TestPoolTryAcquire(t *testing.T) {
	p := NewPool(2, 1)
	share := make(chan struct{}, p.share)
	if !p.tryAcquire(share) {
		t.Fatal("a free pool refused")
	}
	if p.tryAcquire(share) {
		t.Fatal("took a second slot past the share of 1")
	}
	p.release(share)
	if !p.tryAcquire(share) {
		t.Fatal("a released slot was not free")
	}
}

// TestComparisonWithOrWithoutComparer: a run gets the same comparison with
// the exact guidance whether a comparer makes it while the run goes (a
// pool with a slot to spare) or the run's goroutine after it (a pool of
// one). The run's messages are read straight off its channel, as Bubble
// Tea's concurrent commands would.
func TestComparisonWithOrWithoutComparer(t *testing.T) {
	opts := testOptions()
	prob, err := opts.Settings.Problem(opts.Prior.Model, opts.Prior.Truths[0].Image.Pix)
	if err != nil {
		t.Fatal(err)
	}
	figures := func(pool *Pool) (string, bool) {
		rs := newRunSet(pool, work.New())
		ch := make(chan tea.Msg, 1)
		s := opts.Settings
		s.Method = "pig"
		rs.startRun(context.Background(), 1, s.Method, prob, s, keepBytes, ch)
		var b []byte
		done, during := 0, false
		stepped := 0
		for msg := range ch {
			switch msg := msg.(type) {
			case runStepsMsg:
				stepped += len(msg.Steps)
			case runExactMsg:
				during = during || stepped < s.Steps // compared before the run ended
				for _, rec := range msg.Recs {
					b = fmt.Appendf(b, "%v\n", rec)
				}
				done = msg.Done
			}
		}
		if done != s.Steps {
			t.Fatalf("%d of %d steps compared", done, s.Steps)
		}
		return string(b), during
	}
	two, _ := figures(NewPool(2, 2))
	one, during := figures(NewPool(1, 1))
	if during {
		t.Error("with one slot, steps were compared while the run went on")
	}
	if two != one {
		t.Errorf("records differ:\n%s\nwith one slot:\n%s", two, one)
	}
}
