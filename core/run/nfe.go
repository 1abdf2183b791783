package run

import (
	"context"

	"tweedie/core/denoiser"
)

// nfe counts a sample's network evaluations: inputs denoised and VJPs
// taken (a batch of B rows counts B).
type nfe struct {
	evals, vjps int
	d           int // the length of one input
}

// wrap returns den counting its work into n; a Differentiable stays one.
func (n *nfe) wrap(den denoiser.Denoiser, d int) denoiser.Denoiser {
	n.d = d
	c := counted{den: den, n: n}
	if diff, ok := den.(denoiser.Differentiable); ok {
		return &countedDiff{counted: c, diff: diff}
	}
	return &c
}

type counted struct {
	den denoiser.Denoiser
	n   *nfe
}

func (c *counted) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	c.n.evals += len(xt) / c.n.d
	return c.den.Denoise(ctx, dst, xt, alphaBar)
}

// countedDiff also counts VJPs. Its points are its own (so that their
// VJPs pass through it), each standing for the inner denoiser's point of
// the same call.
type countedDiff struct {
	counted
	diff  denoiser.Differentiable
	inner denoiser.Point
	id    uint64
}

func (c *countedDiff) Denoise(ctx context.Context, dst, xt []float64, alphaBar float64) error {
	c.id++ // the inner denoiser's point moves on too
	return c.counted.Denoise(ctx, dst, xt, alphaBar)
}

func (c *countedDiff) Linearize(ctx context.Context, dst, xt []float64, alphaBar float64) (denoiser.Point, error) {
	c.n.evals += len(xt) / c.n.d
	c.id++
	pt, err := c.diff.Linearize(ctx, dst, xt, alphaBar)
	if err != nil {
		return denoiser.Point{}, err
	}
	c.inner = pt
	return denoiser.NewPoint(c, c.id), nil
}

func (c *countedDiff) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	if id != c.id {
		return denoiser.ErrStale
	}
	c.n.vjps += len(v) / c.n.d
	return c.inner.VJP(ctx, dst, v)
}
