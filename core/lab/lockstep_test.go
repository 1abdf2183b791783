package lab

import (
	"context"
	"slices"
	"testing"

	"tweedie/assets"
	"tweedie/core/run"
)

// TestLockstepMatchesAloneMNIST: on the embedded prior, whose bases are read
// in float32 and whose batches share basis passes four rows at a time (and
// are split over the cores from 16 rows), seeds run in lockstep give each
// the sample its run alone gives, bit for bit, for a method with VJPs and
// for the oracle.
func TestLockstepMatchesAloneMNIST(t *testing.T) {
	ctx := context.Background()
	mix, err := assets.MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	truth := assets.TestDigits()[0].Image.Pix
	var entries []Entry
	for _, m := range []string{"dps", "oracle"} {
		s := run.DefaultSettings()
		s.Method, s.Steps = m, 20
		entries = append(entries, Entry{Label: m, Settings: s})
	}
	const seeds = 17
	l, err := New(context.Background(), Config{Prior: mix, Truth: truth, Entries: entries, Seeds: seeds, FirstSeed: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for e := range entries {
		outs, err := l.runGroup(ctx, e, 0, seeds)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if !slices.Equal(o.x, aloneFinal(t, l.cfg, e, i)) {
				t.Errorf("%s seed %d: the lockstep sample differs from the run alone", entries[e].Label, i)
			}
		}
	}
}

// aloneFinal is the final sample of entry e with seed index i run alone by
// run.Runner, as the lab would configure it.
func aloneFinal(t *testing.T, cfg Config, e, i int) []float64 {
	t.Helper()
	prob, rc, err := cfg.Entries[e].Settings.Build(cfg.Prior, cfg.Truth)
	if err != nil {
		t.Fatal(err)
	}
	rc.Seed, rc.Counterfactual = cfg.FirstSeed+uint64(i), cfg.Entries[e].Counterfactual
	r, err := run.New(prob, rc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Final
}
