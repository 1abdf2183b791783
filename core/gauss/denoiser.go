package gauss

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"tweedie/core/denoiser"
)

// Denoiser is the exact E[x0|x_t] of a Prior with its vector–Jacobian
// product, for batches of inputs at one noise level ᾱ:
//
//	x̂0 = μ + J·(x_t − sqrt(ᾱ)·μ),   Jᵀ·v = J·v,   J(ω) = sqrt(ᾱ)·λ(ω)/(ᾱ·λ(ω) + 1−ᾱ),
//
// J a filter (symmetric, the same at every x_t): each row costs one
// forward and one inverse transform (C real 2-D FFTs each way). Rows of a
// batch are spread over GOMAXPROCS goroutines, each row's bits those of a
// lone evaluation. After the first call at a batch size, calls allocate
// nothing.
type Denoiser struct {
	pr   *Prior
	work []*work // one per goroutine of the largest batch so far
	gen  uint64  // counts calls: the id of the current point
	n    int     // rows of the last call

	gain   []float64 // J's eigenvalues at gainAt
	gainAt float64
	call   call // the batch being evaluated
}

// call is a batch being evaluated: x̂0 of the rows of src (x_t, at
// sqrt(ᾱ) = sa) or, for a VJP, J·v of the rows of src, into the rows of
// dst.
type call struct {
	vjp      bool
	dst, src []float64
	sa       float64
	gain     []float64
}

var _ denoiser.Differentiable = (*Denoiser)(nil)

// work is one goroutine's transform and scratch.
type work struct {
	pl *plan
	s  []complex128 // a spectrum
	r  []float64    // an image
}

func (p *Prior) newWork() *work {
	pl := newPlan(p.shape, p.col.q)
	return &work{pl: pl, s: make([]complex128, pl.specLen()), r: make([]float64, p.Dim())}
}

// NewDenoiser returns an exact denoiser of the prior.
func (p *Prior) NewDenoiser() denoiser.Denoiser { return &Denoiser{pr: p} }

// Denoise writes x̂0 = E[x0|x_t] of each row of xt into dst.
func (dn *Denoiser) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	_, err := dn.Linearize(ctx, dst, xt, alphaBar)
	return err
}

// Linearize writes x̂0 of each row of xt into dst and returns the point for VJPs.
func (dn *Denoiser) Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (denoiser.Point, error) {
	d := dn.pr.Dim()
	b, err := denoiser.Rows(dst, xt, d)
	if err != nil {
		return denoiser.Point{}, err
	}
	if !(alphaBar > 0 && alphaBar <= 1) {
		return denoiser.Point{}, fmt.Errorf("gauss: noise level ᾱ = %v, want (0, 1]", alphaBar)
	}
	if err := ctx.Err(); err != nil {
		return denoiser.Point{}, err
	}
	dn.gen++
	dn.n = b
	dn.call = call{vjp: false, dst: dst, src: xt, sa: math.Sqrt(alphaBar), gain: dn.gainFor(alphaBar)}
	dn.rows(b)
	return denoiser.NewPoint(dn, dn.gen), nil
}

// VJPAt writes Jᵀ·v = J·v of each row of v into dst at point id, which
// must be the latest.
func (dn *Denoiser) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	if id != dn.gen {
		return denoiser.ErrStale
	}
	d := dn.pr.Dim()
	b, err := denoiser.Rows(dst, v, d)
	if err != nil {
		return err
	}
	if b != dn.n {
		return fmt.Errorf("gauss: VJP of %d rows at a point of %d", b, dn.n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dn.call = call{vjp: true, dst: dst, src: v, gain: dn.gain}
	dn.rows(b)
	return nil
}

// gainFor returns J's eigenvalues at ᾱ, computed when ᾱ changes.
func (dn *Denoiser) gainFor(alphaBar float64) []float64 {
	if dn.gain == nil || dn.gainAt != alphaBar {
		dn.gain = gainTo(dn.gain, dn.pr.lambda, alphaBar)
		dn.gainAt = alphaBar
	}
	return dn.gain
}

// gainTo writes J(ω) = sqrt(ᾱ)·λ/(ᾱ·λ + 1−ᾱ) for each λ into dst (grown
// as needed) and returns it.
func gainTo(dst, lambda []float64, alphaBar float64) []float64 {
	dst = grow(dst, len(lambda))
	sa, v := math.Sqrt(alphaBar), 1-alphaBar
	for i, l := range lambda {
		dst[i] = sa * l / (alphaBar*l + v)
	}
	return dst
}

// condVarTo writes v_t(ω) = (1−ᾱ)·λ/(ᾱ·λ + 1−ᾱ), the eigenvalues of
// Cov[x0|x_t], for each λ into dst (grown as needed) and returns it.
func condVarTo(dst, lambda []float64, alphaBar float64) []float64 {
	dst = grow(dst, len(lambda))
	v := 1 - alphaBar
	for i, l := range lambda {
		dst[i] = v * l / (alphaBar*l + v)
	}
	return dst
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// rows evaluates dn.call on each row i < b, spread over up to GOMAXPROCS
// goroutines, each with a work of its own.
func (dn *Denoiser) rows(b int) {
	parts := max(1, min(runtime.GOMAXPROCS(0), b))
	for len(dn.work) < parts {
		dn.work = append(dn.work, dn.pr.newWork())
	}
	defer func() { dn.call.dst, dn.call.src = nil, nil }() // keep no caller's slice
	if parts == 1 {
		for i := range b {
			dn.row(dn.work[0], i)
		}
		return
	}
	var wg sync.WaitGroup
	for j := range parts {
		wg.Go(func() {
			for i := j * b / parts; i < (j+1)*b/parts; i++ {
				dn.row(dn.work[j], i)
			}
		})
	}
	wg.Wait()
}

// row evaluates dn.call on row i.
func (dn *Denoiser) row(w *work, i int) {
	c := &dn.call
	d := dn.pr.Dim()
	src, out := c.src[i*d:(i+1)*d], c.dst[i*d:(i+1)*d]
	if c.vjp {
		w.pl.filter(out, src, c.gain, w.s)
		return
	}
	mean := dn.pr.mean
	for j, m := range mean {
		w.r[j] = src[j] - c.sa*m
	}
	w.pl.filter(out, w.r, c.gain, w.s)
	for j, m := range mean {
		out[j] += m
	}
}
