package tui

import (
	"fmt"
	"testing"
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

// TestComparisonWithOrWithoutComparer: the run shown gets the same
// comparison with the exact guidance whether a comparer makes it while the
// run goes (a free slot) or the run's goroutine after it (a pool of one).
func TestComparisonWithOrWithoutComparer(t *testing.T) {
	figures := func(pool *Pool) string {
		opts := testOptions()
		opts.Pool = pool
		m, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer m.cancelRuns()
		drain(m, m.Init())
		s := m.shown()
		if !s.done || s.exact != len(s.steps) || len(s.steps) != 40 {
			t.Fatalf("done %v, %d of %d steps compared", s.done, s.exact, len(s.steps))
		}
		var b []byte
		for _, st := range s.steps {
			b = fmt.Appendf(b, "%v\n", st.Rec)
		}
		return string(b)
	}
	two, one := figures(NewPool(3, 3)), figures(NewPool(1, 1))
	if two != one {
		t.Errorf("records differ:\n%s\nwith one slot:\n%s", two, one)
	}
}
