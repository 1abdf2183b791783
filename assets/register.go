package assets

import (
	"context"
	"fmt"

	"tweedie/core/prior"
)

// The embedded MNIST mixture is the prior "mnist" of the registry, and
// the embedded test digits are the ground truths of any 28×28×1 prior
// (a served MNIST model, say). Importing this package registers both, as
// importing image/png registers the PNG decoder.
func init() {
	prior.Register("mnist", prior.Source{Help: "the embedded MNIST mixture (K = 10, q = 120, 28×28)", Load: loadMNIST})
	prior.RegisterTruths(MNISTShape, digitTruths)
}

// digitTruths are the test digits as ground truths.
func digitTruths() []prior.Truth {
	digits := TestDigits()
	truths := make([]prior.Truth, len(digits))
	for i, d := range digits {
		truths[i] = prior.Truth{Name: fmt.Sprintf("digit %d (test #%d)", d.Label, d.Index), Label: fmt.Sprint(d.Label), Image: d.Image}
	}
	return truths
}

func loadMNIST(_ context.Context, args string) (*prior.Prior, error) {
	if args != "" {
		return nil, prior.Specf("mnist takes no options, got %q", args)
	}
	mix, err := MNISTPrior()
	if err != nil {
		return nil, fmt.Errorf("embedded MNIST prior: %w", err)
	}
	labels, err := MNISTComponentLabels()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(labels))
	for k, l := range labels {
		names[k] = fmt.Sprint(l)
	}
	p := prior.FromMixture(mix, digitTruths())
	p.ComponentLabels, p.LabelTitle = names, "digit"
	return p, nil
}
