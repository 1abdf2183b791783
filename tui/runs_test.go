package tui

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolBounds: a pool of 3 lets at most 3 runs compute at once in all
// and at most its share (2) of one explorer's; a cancelled wait gives its
// place back.
func TestPoolBounds(t *testing.T) {
	p := NewPool(3, 2)
	shares := []chan struct{}{make(chan struct{}, p.share), make(chan struct{}, p.share)}
	var running, most atomic.Int32
	perShare := []atomic.Int32{{}, {}}
	var mostShare atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			if err := p.acquire(context.Background(), shares[s]); err != nil {
				t.Error(err)
				return
			}
			n, ns := running.Add(1), perShare[s].Add(1)
			for _, c := range []struct {
				v   int32
				max *atomic.Int32
			}{{n, &most}, {ns, &mostShare}} {
				for old := c.max.Load(); c.v > old && !c.max.CompareAndSwap(old, c.v); old = c.max.Load() {
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			perShare[s].Add(-1)
			p.release(shares[s])
		}(i % 2)
	}
	wg.Wait()
	if most.Load() > 3 || mostShare.Load() > 2 {
		t.Errorf("at most %d at once (pool 3), %d of one explorer (share 2)", most.Load(), mostShare.Load())
	}
	// A wait that is cancelled takes no place.
	full := make(chan struct{}, 2)
	p.acquire(context.Background(), full)
	p.acquire(context.Background(), full)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.acquire(ctx, full); err == nil {
		t.Fatal("a third run of a share of 2 got in")
	}
	p.release(full)
	p.release(full)
	if len(p.slots) != 0 || len(full) != 0 {
		t.Errorf("%d pool places and %d of the share still taken", len(p.slots), len(full))
	}
}
