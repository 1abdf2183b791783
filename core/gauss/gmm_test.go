package gauss

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/gmm"
)

// asMixture returns the prior as a one-component gmm.Mixture whose basis
// is every eigenvector of the dense Σ (q = d): the project's other exact
// prior, an independent implementation of the same closed forms.
func asMixture(t testing.TB, p *Prior) *gmm.Mixture {
	t.Helper()
	d := p.Dim()
	var eig mat.EigenSym
	if !eig.Factorize(denseSigma(p), true) {
		t.Fatal("eigen-decomposition of Σ failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	basis := make([]float64, d*d)
	for j := range d {
		for i := range d {
			basis[j*d+i] = vecs.At(i, j)
		}
	}
	minEig := math.Inf(1)
	for _, v := range vals {
		minEig = math.Min(minEig, v)
	}
	mix := &gmm.Mixture{Shape: p.ImageShape(), Components: []gmm.Component{{
		Weight: 1, Mean: p.Mean(), Basis: basis, Eigen: vals, Resid: minEig}}}
	if err := mix.Validate(); err != nil {
		t.Fatal(err)
	}
	return mix
}

// TestAgainstGMM checks x̂0, Jᵀ·v, the posterior mean and standard
// deviation and the exact guidance against core/gmm on the same prior.
func TestAgainstGMM(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 9))
	for _, pb := range problems(t, 0.1) {
		mix := asMixture(t, pb.pr)
		d := pb.pr.Dim()
		ab := 0.4
		xt := randVec(rng, d, 1)
		x0, want := make([]float64, d), make([]float64, d)
		pt, err := pb.pr.NewDenoiser().(*Denoiser).Linearize(ctx, x0, xt, ab)
		if err != nil {
			t.Fatal(err)
		}
		mixDen := mix.NewDenoiser().(*gmm.Denoiser)
		mpt, err := mixDen.Linearize(ctx, want, xt, ab)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(x0, want); e > 1e-9 {
			t.Errorf("%s: x̂0 differs from gmm's by %.2g", pb.name, e)
		}
		v := randVec(rng, d, 1)
		_ = pt.VJP(ctx, x0, v)
		_ = mpt.VJP(ctx, want, v)
		if e := relErr(x0, want); e > 1e-9 {
			t.Errorf("%s: Jᵀv differs from gmm's by %.2g", pb.name, e)
		}
		mean, std, err := pb.pr.PosteriorMoments(context.Background(), pb.op, pb.y, pb.sigma)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := mix.Posterior(context.Background(), pb.op, pb.y, pb.sigma)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(mean, mp.Mean); e > 1e-6 {
			t.Errorf("%s: posterior mean differs from gmm's by %.2g", pb.name, e)
		}
		if pb.want == Convolution {
			if e := relErr(std, mp.Std); e > 1e-8 {
				t.Errorf("%s: posterior std differs from gmm's by %.2g", pb.name, e)
			}
		}
		g, _ := pb.pr.NewExactGuidance(pb.op, pb.y, pb.sigma)
		mg, err := mix.NewExactGuidance(pb.op, pb.y, pb.sigma)
		if err != nil {
			t.Fatal(err)
		}
		got := g.Guidance(make([]float64, d), xt, ab)
		if e := relErr(got, mg.Guidance(make([]float64, d), xt, ab)); e > 1e-6 {
			t.Errorf("%s: guidance differs from gmm's by %.2g", pb.name, e)
		}
	}
}
