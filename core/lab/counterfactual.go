package lab

import (
	"math"

	"tweedie/core/finite"
	"tweedie/core/method"
	"tweedie/core/run"
)

// WithCounterfactuals returns the entries with each guidance method's
// three counterfactual runs right after it (see run.Counterfactual): its
// own direction at the exact size, the exact direction at its own size, and
// its component along the exact update. Baselines, methods that use the
// exact guidance themselves (the oracle: every counterfactual of it is
// itself) and particle methods (run.Fits) get none.
func WithCounterfactuals(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		out = append(out, e)
		if e.Counterfactual != run.Plain || !splittable(e) {
			continue
		}
		for _, c := range run.Counterfactuals {
			v := e
			v.Counterfactual = c
			v.Label = e.Label + " · " + c.Describe()
			out = append(out, v)
		}
	}
	return out
}

func splittable(e Entry) bool {
	m, err := method.Lookup(e.Settings.Method)
	return err == nil && !m.Baseline && m.Needs(e.Values)&method.Exact == 0 && run.Fits(m, e.Values) == nil
}

// Split is how much of one method's distance to the exact posterior each
// counterfactual removes: for a distance D (TV or SW) with floor D_f (the
// median of what an exact sampler scores with as many seeds),
//
//	removed = (D_plain − D_counterfactual) / (D_plain − D_f),
//
// 1 when the counterfactual reaches the floor, 0 when it changes nothing,
// negative when it makes things worse; NaN when the method is already at
// the floor or a run set has no converged sample.
type Split struct {
	// Label is the plain entry's, Entry its index in the results.
	Label string `json:"label"`
	Entry int    `json:"entry"`
	// TV and SW are the plain method's.
	TV   finite.Float `json:"tv"`
	SW   finite.Float `json:"sliced_wasserstein"`
	Rows []SplitRow   `json:"counterfactuals"`
}

// SplitRow is one counterfactual of a Split.
type SplitRow struct {
	// Counterfactual is its name (run.Counterfactual.String) and Entry its
	// index in the results.
	Counterfactual string       `json:"counterfactual"`
	Entry          int          `json:"entry"`
	TV             finite.Float `json:"tv"`
	SW             finite.Float `json:"sliced_wasserstein"`
	TVRemoved      finite.Float `json:"tv_removed"`
	SWRemoved      finite.Float `json:"sw_removed"`
}

// Splits pairs each counterfactual entry with the plain entry before it
// (the order WithCounterfactuals makes) and computes the splits. entries
// are the lab's, in the order of rep.Results.
func (rep *Report) Splits(entries []Entry) []Split {
	var splits []Split
	for i, e := range entries {
		if i >= len(rep.Results) {
			break
		}
		r := rep.Results[i]
		if e.Counterfactual == run.Plain {
			splits = append(splits, Split{Label: r.Label, Entry: i, TV: finite.Float(r.TV), SW: finite.Float(r.SW)})
			continue
		}
		if len(splits) == 0 {
			continue
		}
		s := &splits[len(splits)-1]
		s.Rows = append(s.Rows, SplitRow{Counterfactual: e.Counterfactual.String(), Entry: i,
			TV: finite.Float(r.TV), SW: finite.Float(r.SW),
			TVRemoved: removed(float64(s.TV), r.TV, rep.TVFloor.Median), SWRemoved: removed(float64(s.SW), r.SW, rep.SWFloor.Median)})
	}
	kept := splits[:0]
	for _, s := range splits {
		if len(s.Rows) > 0 {
			kept = append(kept, s)
		}
	}
	return kept
}

// removed is (plain − cf)/(plain − floor), NaN when plain is at the floor.
func removed(plain, cf, floor float64) finite.Float {
	excess := plain - floor
	if !(excess > 0) || math.IsNaN(cf) {
		return finite.Float(math.NaN())
	}
	return finite.Float((plain - cf) / excess)
}
