package prior

import (
	"context"
	"fmt"
	"math/rand/v2"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

func init() {
	Register("gmm25", Source{Help: "the synthetic benchmark: 25 unit Gaussians at (8i, 8j, 8i, …) in R^d (gmm25:d=8,seed=1,weights=random|equal)", Load: loadGMM25})
}

// FromMixture is a prior for an exact mixture with its ground truths.
func FromMixture(mix *gmm.Mixture, truths []Truth) *Prior {
	return &Prior{Model: mix, Mixture: mix, Truths: truths}
}

// gmm25Truths is the number of ground truths drawn from a synthetic prior.
const gmm25Truths = 100

func loadGMM25(_ context.Context, args string) (*Prior, error) {
	mix, err := gmm.ParseSynthetic("gmm25:" + args)
	if err != nil {
		return nil, &SpecError{err} // a bad spec is the user's
	}
	// Ground truths are draws from the prior itself, truth N with seed N.
	truths := make([]Truth, gmm25Truths)
	for n := range truths {
		x, k := mix.Sample(make([]float64, mix.Dim()), rand.New(rand.NewPCG(uint64(n), 0x7472757468)))
		truths[n] = Truth{Name: fmt.Sprintf("prior draw %d (component %d)", n, k), Label: fmt.Sprint(k),
			Image: img.Image{Shape: mix.Shape, Pix: x}}
	}
	labels := make([]string, len(mix.Components))
	for k := range labels {
		labels[k] = fmt.Sprintf("(%d,%d)", k/5-2, k%5-2)
	}
	p := FromMixture(mix, truths)
	p.ComponentLabels, p.LabelTitle, p.DefaultOp = labels, "(i,j)", "svd:dy=1,seed=1"
	return p, nil
}
