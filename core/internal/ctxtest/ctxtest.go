// Package ctxtest has contexts for testing how computations observe
// cancellation.
package ctxtest

import (
	"context"
	"math"
	"sync/atomic"
)

// Countdown is a context whose Err reports context.Canceled from its n-th
// call on (Cut(n)), or never (Never), and counts the calls: a loop that
// checks Err once per unit of work shows how many units it made and that
// it stopped at the first check that saw the end. Its Done channel never
// closes, so it suits code that checks Err, not code that selects on Done.
type Countdown struct {
	context.Context
	left   atomic.Int64
	checks atomic.Int64
}

// Cut returns a Countdown that ends at its n-th check (n ≥ 1).
func Cut(n int64) *Countdown {
	c := &Countdown{Context: context.Background()}
	c.left.Store(n - 1)
	return c
}

// Never returns a Countdown that never ends.
func Never() *Countdown { return Cut(math.MaxInt64) }

// Err counts the call and reports context.Canceled once the countdown ran out.
func (c *Countdown) Err() error {
	c.checks.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// Checks is how many times Err was called.
func (c *Countdown) Checks() int64 { return c.checks.Load() }
