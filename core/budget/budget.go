// Package budget is the memory budget of the buffers whose size a model
// worker's handshake sets.
//
// A worker declares its image, d = H·W·C numbers (up to 2^24 by the
// protocol), and nearly everything tweedie allocates for it grows with d:
// a run's vectors and its method's scratch, the trajectory's rows and
// keyframes, the protocol's frames, the outputs of `tweedie run`, the
// samples a lab keeps, the explorer's runs. Each is reserved against one
// Budget (Process, for the whole process) before it is allocated and
// released when it is dropped; a reservation that does not fit is refused
// with an *Error that says what asked for how much, and how much is free.
// Sizes that do not depend on the image (the embedded MNIST prior, a
// terminal's pixels, Go's runtime) are not counted: they are the rest of
// the process's memory (see docs/worker.md for the measured figures).
package budget

import (
	"fmt"
	"sync"
)

// DefaultLimit is Process's limit: with the rest of the process, a run on
// the largest image a worker may declare stays below 1 GB of RSS.
const DefaultLimit = 640 << 20

// Process is the budget of the whole process.
var Process = New(DefaultLimit)

// LeastRun is the least memory a run of steps steps on images of d
// numbers holds, set by core/run (run.LeastFootprint), which packages
// below it cannot import: what the largest image a model worker may
// declare is measured by. Nil when no run is linked.
var LeastRun func(d, steps int) int64

// Budget is an amount of memory shared by reservations. It is safe for
// concurrent use.
type Budget struct {
	mu          sync.Mutex
	limit, used int64
}

// New returns a budget of limit bytes.
func New(limit int64) *Budget { return &Budget{limit: limit} }

// Limit returns the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// Free returns the bytes not reserved.
func (b *Budget) Free() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit - b.used
}

// Reserve reserves n bytes for what (a phrase: "the vectors of a run"), or
// returns an *Error when they do not fit. A nil Budget reserves nothing
// and refuses nothing.
func (b *Budget) Reserve(what string, n int64) (*Reservation, error) {
	if b == nil {
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 0 || n > b.limit-b.used {
		return nil, &Error{What: what, Need: n, Free: b.limit - b.used, Limit: b.limit}
	}
	b.used += n
	return &Reservation{b: b, n: n}, nil
}

// Reservation is memory reserved from a Budget.
type Reservation struct {
	b    *Budget
	once sync.Once
	n    int64
}

// Release gives the reservation back; later calls do nothing, and so does
// a nil Reservation's.
func (r *Reservation) Release() {
	if r == nil {
		return
	}
	r.once.Do(func() {
		r.b.mu.Lock()
		r.b.used -= r.n
		r.n = 0
		r.b.mu.Unlock()
	})
}

// Split moves n of the reservation's bytes (at most all of them) to a new
// reservation, to be released apart; a nil Reservation's is nil.
func (r *Reservation) Split(n int64) *Reservation {
	if r == nil {
		return nil
	}
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	n = max(0, min(n, r.n))
	r.n -= n
	return &Reservation{b: r.b, n: n}
}

// Join moves o's bytes, of the same budget, into r and returns r, to be
// released together.
func (r *Reservation) Join(o *Reservation) *Reservation {
	if o == nil {
		return r
	}
	if r == nil {
		return o
	}
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	r.n += o.n
	o.n = 0
	return r
}

// Bytes returns the bytes reserved.
func (r *Reservation) Bytes() int64 {
	if r == nil {
		return 0
	}
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.n
}

// Error is a reservation that did not fit.
type Error struct {
	What              string
	Need, Free, Limit int64
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s needs %s of memory, more than the %s free of the memory budget (%s; docs/worker.md)",
		e.What, Size(e.Need), Size(e.Free), Size(e.Limit))
}

// Size formats n bytes for a message: "1.5 GiB", "640 MiB", "12 KiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
