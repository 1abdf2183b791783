package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/schedule"
)

// Remote is a prior served by one or more worker processes that gave the
// same handshake. Its denoisers are spread over the workers round-robin.
//
// A worker that has failed is started again by the next call on it (at
// most once per RestartEvery), so that a crash or a dropped SSH link costs
// the calls in flight, not the session; the new worker must give the same
// handshake.
type Remote struct {
	command string
	opts    Options
	shape   img.Shape
	sched   *schedule.Schedule
	hello   *Header
	next    atomic.Uint64
	close   sync.Once

	mu       sync.Mutex // guards what follows
	clients  []*Client
	restarts []time.Time // of each slot, the last attempt
	closed   bool
}

// RestartEvery bounds how often a failed worker is started again.
var RestartEvery = 5 * time.Second

var _ denoiser.Prior = (*Remote)(nil)

// StartRemote starts n copies of command (n ≥ 1) and checks that their
// handshakes agree. On any failure every worker started is stopped.
func StartRemote(ctx context.Context, command string, n int, opts Options) (*Remote, error) {
	if n < 1 {
		return nil, fmt.Errorf("remote worker: %d workers, want at least 1", n)
	}
	clients := make([]*Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i], errs[i] = Start(ctx, command, opts)
		}()
	}
	wg.Wait()
	r := &Remote{clients: clients, command: command, opts: opts, restarts: make([]time.Time, n)}
	if err := errors.Join(errs...); err != nil {
		r.Close()
		return nil, errs[firstErr(errs)]
	}
	h := clients[0].Hello()
	for i, c := range clients[1:] {
		if g := c.Hello(); !sameModel(g, h) {
			r.Close()
			return nil, fmt.Errorf("worker %d answered a different handshake from worker 0 (remote worker `%s`)", i+1, command)
		}
	}
	r.hello = h
	r.shape = img.Shape{H: h.Image[0], W: h.Image[1], C: h.Image[2]}
	ab := make([]float64, 0, len(h.AlphaBars)+1)
	r.sched = &schedule.Schedule{AlphaBar: append(append(ab, 1), h.AlphaBars...)}
	return r, nil
}

func firstErr(errs []error) int {
	for i, e := range errs {
		if e != nil {
			return i
		}
	}
	return 0
}

func sameModel(a, b *Header) bool {
	if a.Prediction != b.Prediction || a.VJP != b.VJP || a.MaxBatch != b.MaxBatch ||
		len(a.AlphaBars) != len(b.AlphaBars) || fmt.Sprint(a.Image) != fmt.Sprint(b.Image) {
		return false
	}
	for i := range a.AlphaBars {
		if a.AlphaBars[i] != b.AlphaBars[i] {
			return false
		}
	}
	return true
}

// Hello returns the handshake of the workers.
func (r *Remote) Hello() *Header { return r.hello }

// Workers returns the number of worker processes.
func (r *Remote) Workers() int { return len(r.clients) }

// ImageShape returns the shape the worker declared.
func (r *Remote) ImageShape() img.Shape { return r.shape }

// Schedule returns the worker's ᾱ table, with ᾱ_0 = 1.
func (r *Remote) Schedule() *schedule.Schedule { return r.sched }

// Close stops every worker.
func (r *Remote) Close() error {
	r.close.Do(func() {
		r.mu.Lock()
		r.closed = true
		clients := r.clients
		r.mu.Unlock()
		var wg sync.WaitGroup
		for _, c := range clients {
			if c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Close() }()
			}
		}
		wg.Wait()
	})
	return nil
}

// Err returns the error that ended a worker, or nil while they all run.
func (r *Remote) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.clients {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ModelTime is the time the workers reported their models took, over
// every request so far.
func (r *Remote) ModelTime() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t int64
	for _, c := range r.clients {
		t += c.compute.Load()
	}
	return time.Duration(t)
}

// client returns the worker of slot i, starting it again if it has failed.
func (r *Remote) client(ctx context.Context, i int) (*Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.clients[i]
	err := c.Err()
	if err == nil || r.closed || time.Since(r.restarts[i]) < RestartEvery {
		return c, err
	}
	r.restarts[i] = time.Now()
	nc, serr := Start(ctx, r.command, r.opts)
	switch {
	case serr != nil:
		return c, serr
	case !sameModel(nc.Hello(), r.hello):
		nc.Close()
		return c, fmt.Errorf("the worker, started again, answered a different handshake (remote worker `%s`)", r.command)
	}
	r.clients[i] = nc
	return nc, nil
}

// NewDenoiser returns a denoiser on the next worker; it takes VJPs when
// the worker does.
func (r *Remote) NewDenoiser() denoiser.Denoiser {
	slot := int((r.next.Add(1) - 1) % uint64(len(r.clients)))
	base := &Denoiser{r: r, slot: slot, d: r.shape.Len(), maxB: r.hello.MaxBatch}
	if r.hello.VJP {
		return DiffDenoiser{base}
	}
	return base
}

// Denoiser evaluates x̂0 on a worker. It is not safe for concurrent use
// (make one per goroutine); denoisers of one worker share it.
type Denoiser struct {
	r    *Remote
	slot int
	c    *Client // the worker of the latest call
	d    int
	maxB int
	// The point of the latest Linearize: the worker's request ids of its
	// chunks of at most maxB rows, and its rows.
	gen    uint64
	points []uint64
	rows   int
}

// DiffDenoiser is a Denoiser whose worker takes VJPs.
type DiffDenoiser struct{ *Denoiser }

var _ denoiser.Differentiable = DiffDenoiser{}

// Denoise writes x̂0 of each row of xt into dst.
func (dn *Denoiser) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	_, err := dn.eval(ctx, OpDenoise, dst, xt, alphaBar)
	return err
}

// Linearize writes x̂0 of each row of xt into dst, the worker keeping the
// forward pass for VJPs.
func (dn DiffDenoiser) Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (denoiser.Point, error) {
	return dn.eval(ctx, OpLinearize, dst, xt, alphaBar)
}

// Denoise32 writes x̂0 of each float32 row of xt into dst, sending and
// receiving the rows as they are (the protocol's tensors are float32).
func (dn *Denoiser) Denoise32(ctx context.Context, dst, xt []float32, alphaBar float64) error {
	_, err := eval(ctx, dn, OpDenoise, dst, xt, alphaBar)
	return err
}

var _ denoiser.Float32 = (*Denoiser)(nil)

// eval runs op over xt in chunks of at most maxB rows, sent together.
func (dn *Denoiser) eval(ctx context.Context, op string, dst, xt []float64, alphaBar float64) (denoiser.Point, error) {
	return eval(ctx, dn, op, dst, xt, alphaBar)
}

func eval[T Float](ctx context.Context, dn *Denoiser, op string, dst, xt []T, alphaBar float64) (denoiser.Point, error) {
	b, err := denoiser.Rows(dst, xt, dn.d)
	if err != nil {
		return denoiser.Point{}, err
	}
	if !(alphaBar > 0 && alphaBar <= 1) {
		return denoiser.Point{}, fmt.Errorf("remote worker: noise level ᾱ = %v, want (0, 1]", alphaBar)
	}
	dn.release()
	dn.gen++
	if dn.c, err = dn.r.client(ctx, dn.slot); err != nil {
		return denoiser.Point{}, err
	}
	ids, err := chunks(ctx, dn, b, func(h *Header, lo, hi int) (*Header, [][]T, [][]T) {
		h.Op, h.Alpha = op, alphaBar
		return h, [][]T{dst[lo*dn.d : hi*dn.d]}, [][]T{xt[lo*dn.d : hi*dn.d]}
	})
	if err != nil {
		return denoiser.Point{}, err
	}
	if op == OpLinearize {
		dn.points, dn.rows = ids, b
		return denoiser.NewPoint(DiffDenoiser{dn}, dn.gen), nil
	}
	return denoiser.Point{}, nil
}

// VJPAt writes Jᵀ·v of each row into dst at point id, which must be the latest.
func (dn DiffDenoiser) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	if id != dn.gen || dn.points == nil {
		return denoiser.ErrStale
	}
	b, err := denoiser.Rows(dst, v, dn.d)
	if err != nil {
		return err
	}
	if b != dn.rows {
		return fmt.Errorf("remote worker: VJP of %d rows at a point of %d", b, dn.rows)
	}
	k := 0
	_, err = chunks(ctx, dn.Denoiser, b, func(h *Header, lo, hi int) (*Header, [][]float64, [][]float64) {
		h.Op, h.Point = OpVJP, dn.points[k]
		k++
		return h, [][]float64{dst[lo*dn.d : hi*dn.d]}, [][]float64{v[lo*dn.d : hi*dn.d]}
	})
	return err
}

// DenoiseVJP writes x̂0 and Jᵀv of each row into dst and dstVJP from one
// forward pass, v given up front.
func (dn DiffDenoiser) DenoiseVJP(ctx context.Context, dst, dstVJP, xt, v []float64, alphaBar float64) error {
	b, err := denoiser.Rows(dst, xt, dn.d)
	if err == nil {
		_, err = denoiser.Rows(dstVJP, v, dn.d)
	}
	if err == nil && len(v) != len(xt) {
		err = errors.New("remote worker: x_t and v of different lengths")
	}
	if err != nil {
		return err
	}
	dn.release()
	dn.gen++
	if dn.c, err = dn.r.client(ctx, dn.slot); err != nil {
		return err
	}
	_, err = chunks(ctx, dn.Denoiser, b, func(h *Header, lo, hi int) (*Header, [][]float64, [][]float64) {
		h.Op, h.Alpha = OpDenoiseVJP, alphaBar
		s := func(x []float64) []float64 { return x[lo*dn.d : hi*dn.d] }
		return h, [][]float64{s(dst), s(dstVJP)}, [][]float64{s(xt), s(v)}
	})
	return err
}

// release tells the worker to forget the latest point.
func (dn *Denoiser) release() {
	if dn.c == nil {
		return
	}
	for _, id := range dn.points {
		dn.c.Send(&Header{Op: OpRelease, Point: id})
	}
	dn.points, dn.rows = nil, 0
}

// chunks sends the b rows in chunks of at most maxB, made by fill, all at
// once, and waits for them all; it returns the chunks' request ids.
func chunks[T Float](ctx context.Context, dn *Denoiser, b int, fill func(h *Header, lo, hi int) (*Header, [][]T, [][]T)) ([]uint64, error) {
	n := (b + dn.maxB - 1) / dn.maxB
	ids := make([]uint64, n)
	if n == 1 {
		h, dst, src := fill(&Header{}, 0, b)
		h.Shape, h.Tensors, h.DType = []int{b, dn.d}, len(src), "float32"
		err := send(ctx, dn.c, h, b, dst, src...)
		ids[0] = h.ID
		return ids, err
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		lo, hi := i*dn.maxB, min(b, (i+1)*dn.maxB)
		h, dst, src := fill(&Header{}, lo, hi)
		h.Shape, h.Tensors, h.DType = []int{hi - lo, dn.d}, len(src), "float32"
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = send(ctx, dn.c, h, hi-lo, dst, src...)
			ids[i] = h.ID
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return ids, e
		}
	}
	return ids, nil
}

// send is Client.Do or Do32, by the tensors' type.
func send[T Float](ctx context.Context, c *Client, h *Header, rows int, dst [][]T, src ...[]T) error {
	if d, ok := any(dst).([][]float32); ok {
		return c.Do32(ctx, h, rows, d, any(src).([][]float32)...)
	}
	return c.Do(ctx, h, rows, any(dst).([][]float64), any(src).([][]float64)...)
}
