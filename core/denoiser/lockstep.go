package denoiser

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Lockstep runs the calls of several members, each used by a goroutine of
// its own (a lab's seeds of one method, each a sampler of its own),
// through one batch-capable denoiser: a member's call waits until every
// open member has called, and the last to call evaluates them together,
// one batched call per noise level. A batch lets the denoiser read its
// weights once for many rows (the exact prior's basis passes serve four
// rows at a time), and since a row's result does not depend on the batch
// it came in, each member gets the bits of a denoiser of its own.
//
// VJPs go first in a round, at the batch point that holds the member's
// rows; a member whose rows a later batch replaced (members calling at
// different noise levels, or one calling Linearize while the others take
// VJPs) is linearised again at its own x_t first, at the cost of one more
// evaluation. A member that stops calling must Close, or the others wait.
type Lockstep struct {
	inner Differentiable
	d     int

	mu      sync.Mutex
	open    int
	pending []*call

	// The inner denoiser's latest batch: its point, generation and rows.
	pt         Point
	gen        uint64
	in, out, v []float64
}

// Member is one caller of a Lockstep: a Differentiable for one goroutine.
type Member struct {
	ls     *Lockstep
	closed bool
	id     uint64 // the member's own point ids
	// Its latest point: x_t and ᾱ (to linearise again), and where its
	// rows are in the inner denoiser's batch of generation gen.
	xt       []float64
	alphaBar float64
	gen      uint64
	off      int
}

type call struct {
	m         *Member
	vjp       bool
	alphaBar  float64
	dst, x    []float64 // x is x_t (Linearize) or v (VJP)
	err       error
	done      chan struct{}
	scheduled bool
}

// NewLockstep returns the n members of a lockstep over inner, a denoiser of
// images of d numbers. The rows of the members' calls together must stay
// within MaxBatch, or the batched call fails for all of them.
func NewLockstep(inner Differentiable, d, n int) []*Member {
	ls := &Lockstep{inner: inner, d: d, open: n}
	ms := make([]*Member, n)
	for i := range ms {
		ms[i] = &Member{ls: ls}
	}
	return ms
}

var _ Differentiable = (*Member)(nil)

// Denoise is Linearize without the point.
func (m *Member) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	_, err := m.Linearize(ctx, dst, xt, alphaBar)
	return err
}

// Linearize evaluates x̂0 of the member's rows with the other members'.
func (m *Member) Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (Point, error) {
	if _, err := Rows(dst, xt, m.ls.d); err != nil {
		return Point{}, err
	}
	if err := m.ls.submit(ctx, &call{m: m, alphaBar: alphaBar, dst: dst, x: xt}); err != nil {
		return Point{}, err
	}
	m.id++
	return NewPoint(m, m.id), nil
}

// VJPAt takes the member's VJP with the other members'.
func (m *Member) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	if id != m.id || m.gen == 0 {
		return ErrStale
	}
	if len(v) != len(m.xt) || len(dst) != len(v) {
		return fmt.Errorf("denoiser: VJP of %d numbers at a point of %d", len(v), len(m.xt))
	}
	return m.ls.submit(ctx, &call{m: m, vjp: true, dst: dst, x: v})
}

// Batch returns the inner denoiser and the first of the member's rows in
// its latest batch, or nil when the member's rows are no longer there:
// what an exact guidance needs to reuse the denoiser's work (SharedExact).
func (m *Member) Batch() (Denoiser, int) {
	m.ls.mu.Lock()
	defer m.ls.mu.Unlock()
	if m.gen == 0 || m.gen != m.ls.gen {
		return nil, 0
	}
	return m.ls.inner, m.off
}

// Close leaves the lockstep: the others no longer wait for the member.
func (m *Member) Close() {
	ls := m.ls
	ls.mu.Lock()
	if m.closed {
		ls.mu.Unlock()
		return
	}
	m.closed = true
	ls.open--
	ls.runIfAllWaiting(context.Background()) // unlocks
}

// submit adds c to the round and waits for it; the member that completes
// the round evaluates it.
func (ls *Lockstep) submit(ctx context.Context, c *call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.done = make(chan struct{})
	ls.mu.Lock()
	if c.m.closed {
		ls.mu.Unlock()
		return errors.New("denoiser: call on a closed lockstep member")
	}
	ls.pending = append(ls.pending, c)
	ls.runIfAllWaiting(ctx) // unlocks
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
	}
	ls.mu.Lock()
	if !c.scheduled {
		ls.pending = slices.DeleteFunc(ls.pending, func(p *call) bool { return p == c })
		ls.mu.Unlock()
		return ctx.Err()
	}
	ls.mu.Unlock()
	<-c.done // being evaluated: the denoiser returns soon with ctx's error
	return c.err
}

// runIfAllWaiting evaluates the round when every open member has called.
// It is called with ls.mu held and releases it.
func (ls *Lockstep) runIfAllWaiting(ctx context.Context) {
	if len(ls.pending) == 0 || len(ls.pending) < ls.open {
		ls.mu.Unlock()
		return
	}
	round := ls.pending
	ls.pending = nil
	for _, c := range round {
		c.scheduled = true
	}
	ls.mu.Unlock()
	ls.run(ctx, round)
	for _, c := range round {
		close(c.done)
	}
}

// run evaluates a round: the VJPs at the latest batch point, then those
// of members whose rows a later batch replaced, linearised again at their
// own points by noise level, then every Linearize, one batch per noise
// level in order of first call.
func (ls *Lockstep) run(ctx context.Context, round []*call) {
	vjps, lins := partition(round, func(c *call) bool { return c.vjp })
	current, stale := partition(vjps, func(c *call) bool { return c.m.gen == ls.gen })
	if len(current) > 0 {
		ls.vjp(ctx, current)
	}
	for len(stale) > 0 {
		ab := stale[0].m.alphaBar
		var level []*call
		level, stale = partition(stale, func(c *call) bool { return c.m.alphaBar == ab })
		again := make([]*call, len(level))
		for i, c := range level {
			again[i] = &call{m: c.m, alphaBar: ab, x: c.m.xt, dst: make([]float64, len(c.m.xt))}
		}
		ls.linearize(ctx, again)
		ls.vjp(ctx, level)
	}
	for len(lins) > 0 {
		ab := lins[0].alphaBar
		var level []*call
		level, lins = partition(lins, func(c *call) bool { return c.alphaBar == ab })
		ls.linearize(ctx, level)
	}
}

// partition splits cs into those with f and the rest, each in order.
func partition(cs []*call, f func(*call) bool) (yes, no []*call) {
	for _, c := range cs {
		if f(c) {
			yes = append(yes, c)
		} else {
			no = append(no, c)
		}
	}
	return yes, no
}

// linearize evaluates calls at one noise level as one batch.
func (ls *Lockstep) linearize(ctx context.Context, calls []*call) {
	n := 0
	for _, c := range calls {
		n += len(c.x)
	}
	ls.in, ls.out = grow(ls.in, n), grow(ls.out, n)
	off := 0
	for _, c := range calls {
		copy(ls.in[off:], c.x)
		off += len(c.x)
	}
	pt, err := ls.inner.Linearize(ctx, ls.out, ls.in, calls[0].alphaBar)
	ls.mu.Lock()
	ls.gen++
	ls.pt = pt
	gen := ls.gen
	ls.mu.Unlock()
	off = 0
	for _, c := range calls {
		c.err = err
		if err == nil {
			copy(c.dst, ls.out[off:off+len(c.x)])
			m := c.m
			m.xt = append(m.xt[:0], c.x...)
			m.alphaBar, m.gen, m.off = c.alphaBar, gen, off/ls.d
		} else {
			c.m.gen = 0
		}
		off += len(c.x)
	}
}

// vjp takes VJPs of members whose rows are in the latest batch, zero rows
// for the batch's other members.
func (ls *Lockstep) vjp(ctx context.Context, calls []*call) {
	n := len(ls.in)
	ls.out, ls.v = grow(ls.out, n), grow(ls.v, n)
	clear(ls.v)
	for _, c := range calls {
		copy(ls.v[c.m.off*ls.d:], c.x)
	}
	err := ls.pt.VJP(ctx, ls.out, ls.v)
	for _, c := range calls {
		c.err = err
		if err == nil {
			copy(c.dst, ls.out[c.m.off*ls.d:c.m.off*ls.d+len(c.x)])
		}
	}
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
