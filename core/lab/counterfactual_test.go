package lab

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestWithCounterfactuals: each guidance method is followed by its three
// counterfactuals; the oracle and the unguided baseline get none.
func TestWithCounterfactuals(t *testing.T) {
	cfg := gmm25Config(t, 2, "pig", "oracle", "dps", "none", "tds")
	es := WithCounterfactuals(cfg.Entries)
	var got []string
	for _, e := range es {
		got = append(got, e.Settings.Method+"/"+e.Counterfactual.String())
	}
	want := []string{"pig/plain", "pig/exact-size", "pig/exact-direction", "pig/along", "oracle/plain",
		"dps/plain", "dps/exact-size", "dps/exact-direction", "dps/along", "none/plain", "tds/plain"}
	if !slices.Equal(got, want) {
		t.Fatalf("entries %v\nwant %v", got, want)
	}
}

// TestCounterfactualEntriesRun: a counterfactual entry's samples, two
// seeds run in lockstep, are the ones run.Runner makes alone with that
// counterfactual and the same seeds, bit for bit, and not the plain
// method's.
func TestCounterfactualEntriesRun(t *testing.T) {
	ctx := context.Background()
	cfg := gmm25Config(t, 2, "dps")
	cfg.Entries = WithCounterfactuals(cfg.Entries)
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := l.runGroup(ctx, 0, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	for e := range cfg.Entries {
		outs, err := l.runGroup(ctx, e, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if !slices.Equal(o.x, aloneFinal(t, cfg, e, i)) {
				t.Errorf("%s seed %d: the lab's sample differs from the runner's", cfg.Entries[e].Label, i)
			}
			if e > 0 && slices.Equal(o.x, plain[i].x) {
				t.Errorf("%s seed %d: same sample as the plain method", cfg.Entries[e].Label, i)
			}
		}
	}
}

// TestSplits: the removed fractions follow their definition, and the rows
// pair with the plain entry before them.
func TestSplits(t *testing.T) {
	cfg := gmm25Config(t, 2, "dps", "pig")
	es := WithCounterfactuals(cfg.Entries)
	rep := &Report{TVFloor: Band{Median: 0.1}, SWFloor: Band{Median: 1}}
	for i := range es {
		rep.Results = append(rep.Results, Result{Label: es[i].Label, TV: 0.5 - 0.1*float64(i%4), SW: 3 + float64(i)})
	}
	splits := rep.Splits(es)
	if len(splits) != 2 || splits[0].Entry != 0 || splits[1].Entry != 4 || len(splits[1].Rows) != 3 {
		t.Fatalf("splits %+v", splits)
	}
	for _, s := range splits {
		for _, row := range s.Rows {
			r := rep.Results[row.Entry]
			wantTV := (float64(s.TV) - r.TV) / (float64(s.TV) - rep.TVFloor.Median)
			wantSW := (float64(s.SW) - r.SW) / (float64(s.SW) - rep.SWFloor.Median)
			if math.Abs(float64(row.TVRemoved)-wantTV) > 1e-15 || math.Abs(float64(row.SWRemoved)-wantSW) > 1e-15 {
				t.Errorf("%s %s: removed TV %v SW %v, want %v %v", s.Label, row.Counterfactual, row.TVRemoved, row.SWRemoved, wantTV, wantSW)
			}
		}
	}
	if got := removed(0.1, 0.05, 0.1); !math.IsNaN(float64(got)) {
		t.Errorf("a method at the floor: removed %v, want NaN", got)
	}
}
