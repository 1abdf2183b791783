// Package denoiser defines the interface between the samplers and a
// learned (or exact) prior: the Tweedie estimate
//
//	x̂0(x_t) = E[x0 | x_t] = (x_t + (1−ᾱ_t)·∇log p_t(x_t)) / sqrt(ᾱ_t)
//
// and, where the model can differentiate, its vector–Jacobian product Jᵀ·v
// with J = ∂x̂0/∂x_t. For an exact denoiser J = sqrt(ᾱ_t)/(1−ᾱ_t)·Cov[x0 | x_t]
// is symmetric (second-order Tweedie); for a learned one it need not be.
//
// The interface is shaped for models that are not ours: every call takes a
// context and returns an error (a model in another process can fail, time
// out or be cancelled); calls are batched (B inputs at one noise level,
// stored row after row: B·d numbers); the VJP is optional and taken at a
// point the call returns, not at hidden state of the last call; and a prior
// brings its own noise schedule and image shape.
package denoiser

import (
	"context"
	"errors"
	"fmt"

	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/schedule"
)

// MaxBatch bounds B, the rows of one call: callers split larger batches.
const MaxBatch = 4096

// Denoiser evaluates x̂0 for a batch of inputs at one noise level. It may
// keep scratch buffers, so it is not safe for concurrent use: give each
// goroutine its own (Prior.NewDenoiser).
type Denoiser interface {
	// Denoise writes x̂0 = E[x0 | x_t] of each row of xt (B rows of d
	// numbers, B = len(xt)/d) into the same rows of dst, at noise level
	// ᾱ_t = alphaBar. It returns ctx's error when cancelled, and an error
	// when lengths are not B·d with 1 ≤ B ≤ MaxBatch.
	Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error
}

// Differentiable is a denoiser that also takes vector–Jacobian products.
type Differentiable interface {
	Denoiser
	// Linearize is Denoise that also returns the point (x_t, ᾱ_t) at which
	// VJPs are taken. A denoiser may keep only its latest point: a VJP at an
	// older one returns ErrStale.
	Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (Point, error)
	// VJPAt writes Jᵀ·v for each row of v into dst at the point with the
	// id Linearize gave it (callers use Point.VJP).
	VJPAt(ctx context.Context, id uint64, dst, v []float64) error
}

// Point is a denoiser linearised at a batch of inputs: the value Linearize
// returns. Its zero value has no VJP.
type Point struct {
	den Differentiable
	id  uint64
}

// NewPoint is the point id of a denoiser, for implementations of Linearize.
func NewPoint(den Differentiable, id uint64) Point { return Point{den: den, id: id} }

// VJP writes Jᵀ·v for each row of v (as many rows as the batch) into the
// same rows of dst, J = ∂x̂0/∂x_t at that row's x_t.
func (p Point) VJP(ctx context.Context, dst, v []float64) error {
	if p.den == nil {
		return errors.New("denoiser: VJP at no point (the denoiser was not linearised)")
	}
	return p.den.VJPAt(ctx, p.id, dst, v)
}

// ErrStale is returned by a VJP at a point that its denoiser no longer keeps.
var ErrStale = errors.New("denoiser: VJP at a point that is no longer current (its denoiser was called again)")

// Prior is a model of images: it makes independent denoisers over one
// shared, immutable model, and states the shape of its images and the noise
// schedule it was trained (or is exact) for.
type Prior interface {
	NewDenoiser() Denoiser
	ImageShape() img.Shape
	Schedule() *schedule.Schedule
}

// CanVJP reports whether the prior's denoisers take VJPs.
func CanVJP(p Prior) bool {
	_, ok := p.NewDenoiser().(Differentiable)
	return ok
}

// Exact evaluates the exact ∇_{x_t} log p(y | x_t) of an exact prior. It
// keeps scratch buffers and is not safe for concurrent use.
type Exact interface {
	// Guidance writes ∇log p(y|x_t) at noise level ᾱ_t = alphaBar into dst and returns it.
	Guidance(dst, xt []float64, alphaBar float64) []float64
}

// SharedExact is an Exact that can use, in place of work of its own, what
// a denoiser of the same prior computed in its latest call when that call
// was one input at the same x_t and noise level, as a sampler's step makes
// it just before: the result is the same as Guidance's.
type SharedExact interface {
	Exact
	// GuidanceAfter is Guidance, told which denoiser was called last.
	GuidanceAfter(dst, xt []float64, alphaBar float64, den Denoiser) []float64
}

// ExactPrior is a prior whose posterior given a linear measurement is known
// in closed form.
type ExactPrior interface {
	Prior
	// NewExactGuidance returns the exact guidance for y = A·x0 + σ·z, or an
	// error when it is not available (σ = 0, say).
	NewExactGuidance(op operator.Linear, y []float64, sigma float64) (Exact, error)
	// PosteriorMoments returns the exact posterior's mean and per-pixel
	// standard deviation, or ctx's error when ctx ends first.
	PosteriorMoments(ctx context.Context, op operator.Linear, y []float64, sigma float64) (mean, std []float64, err error)
}

// Rows checks that dst and xt hold B ≥ 1 rows of d numbers (B ≤ MaxBatch)
// and returns B. Implementations call it first.
func Rows[T float32 | float64](dst, xt []T, d int) (int, error) {
	if d <= 0 || len(xt) == 0 || len(xt)%d != 0 || len(dst) != len(xt) {
		return 0, fmt.Errorf("denoiser: lengths %d and %d: want the same multiple of d = %d", len(dst), len(xt), d)
	}
	b := len(xt) / d
	if b > MaxBatch {
		return 0, fmt.Errorf("denoiser: batch of %d rows, at most %d", b, MaxBatch)
	}
	return b, nil
}

// Float32 is a denoiser that takes float32 batches itself: a model whose
// tensors are float32 anyway (one in another process, on a GPU) saves the
// conversions and half the memory traffic of float64 inputs. Denoise32
// uses it where a denoiser has it.
type Float32 interface {
	Denoise32(ctx context.Context, dst, xt []float32, alphaBar float64) error
}

// Denoise32 writes x̂0 of each float32 row of xt into dst: natively when
// den is a Float32, else through float64 copies of the batch.
func Denoise32(ctx context.Context, den Denoiser, dst, xt []float32, alphaBar float64) error {
	if f, ok := den.(Float32); ok {
		return f.Denoise32(ctx, dst, xt, alphaBar)
	}
	if len(dst) != len(xt) {
		return fmt.Errorf("denoiser: lengths %d and %d differ", len(dst), len(xt))
	}
	x := make([]float64, len(xt))
	for i, v := range xt {
		x[i] = float64(v)
	}
	out := make([]float64, len(xt))
	if err := den.Denoise(ctx, out, x, alphaBar); err != nil {
		return err
	}
	for i, v := range out {
		dst[i] = float32(v)
	}
	return nil
}
