package lab

import (
	"context"
	"math/rand/v2"

	"tweedie/core/operator"
)

// The floor band: what an exact sampler scores with as many samples as
// seeds. Each of FloorDraws draws takes Seeds fresh exact posterior
// samples and scores them as a method's samples are scored (SW against the
// exact projected posterior, TV, coverage, PSNR, residual); the band is the
// median and the 5–95% percentiles over the draws. A method whose interval
// overlaps the band is indistinguishable from an exact sampler at this
// number of seeds.

// DefaultFloorDraws is the number of exact draws of the floor band.
const DefaultFloorDraws = 40

// floorStream offsets the PCG streams of the floor draws.
const floorStream = 0xf1005

// floorDraw scores draw r of the floor band.
func (l *Lab) floorDraw(ctx context.Context, r int) ([]float64, error) {
	lin := l.prob.Op.Clone().(operator.Linear)
	post, err := l.cfg.Prior.PosteriorWeights(ctx, lin, l.prob.Y, l.prob.Sigma)
	if err != nil {
		return nil, err
	}
	d := l.cfg.Prior.Dim()
	xs := make([][]float64, l.cfg.Seeds)
	for i := range xs {
		xs[i] = make([]float64, d)
	}
	post.SampleMany(xs, rand.New(rand.NewPCG(l.cfg.Seed, floorStream+uint64(r))))
	s := l.prepare(xs, lin.Apply)
	out := make([]float64, figures)
	l.score(s, nil, l.tablesFor(len(xs)), out)
	return out, nil
}
