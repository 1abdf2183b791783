package report

import (
	"slices"

	"tweedie/core/finite"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/prior"
)

// LabReport is the lab report as written: NaN (no converged run) as null.
type LabReport struct {
	Prior            string         `json:"prior"`
	Op               string         `json:"op"`
	Sigma            float64        `json:"sigma"`
	Image            string         `json:"image"`
	Seeds            int            `json:"seeds"`
	Projections      int            `json:"projections"`
	Resamples        int            `json:"resamples"`
	FloorDraws       int            `json:"floor_draws"`
	SWFloor          lab.Band       `json:"sw_floor"`
	TVFloor          lab.Band       `json:"tv_floor"`
	CoverageFloor    lab.Band       `json:"coverage_floor"`
	PSNRFloor        lab.Band       `json:"psnr_floor"`
	ResidualFloor    lab.Band       `json:"residual_floor"`
	ExpectedResidual finite.Float   `json:"expected_residual"`
	Weights          []finite.Float `json:"posterior_weights"`
	Labels           []string       `json:"component_labels,omitempty"`
	Sweep            *LabSweep      `json:"sweep,omitempty"`
	Results          []LabResult    `json:"results"`
	// Splits are the counterfactual splits (--counterfactual).
	Splits []lab.Split `json:"counterfactual_splits,omitempty"`
}

// LabSweep is the grid of a --sweep: results are placed in it by their
// Row and Column.
type LabSweep struct {
	Param  string    `json:"param"`
	Log    bool      `json:"log"`
	Values []float64 `json:"values"`
	Rows   []string  `json:"rows"`
}

type LabResult struct {
	Label  string        `json:"label"`
	Method string        `json:"method"`
	Steps  int           `json:"steps"`
	Eta    float64       `json:"eta"`
	Params method.Values `json:"params"`
	// Counterfactual is "plain" or the replacement of the method's update.
	Counterfactual string                     `json:"counterfactual"`
	Runs           int                        `json:"runs"`
	Diverged       finite.Float               `json:"diverged_fraction"`
	Failed         int                        `json:"failed"`
	Failure        string                     `json:"failure,omitempty"`
	TV             finite.Float               `json:"tv"`
	TVCI           lab.Interval               `json:"tv_ci"`
	SW             finite.Float               `json:"sliced_wasserstein"`
	SWCI           lab.Interval               `json:"sliced_wasserstein_ci"`
	PSNR           finite.Float               `json:"mean_psnr"`
	PSNRCI         lab.Interval               `json:"mean_psnr_ci"`
	Coverage       finite.Float               `json:"coverage"`
	CoverageCI     lab.Interval               `json:"coverage_ci"`
	TruthCoverage  finite.Float               `json:"truth_coverage"`
	Residual       finite.Float               `json:"residual"`
	ResidualCI     lab.Interval               `json:"residual_ci"`
	Frequencies    []finite.Float             `json:"frequencies"`
	NFE            float64                    `json:"nfe"`
	VJPs           float64                    `json:"vjps"`
	Calibration    []lab.ComponentCalibration `json:"calibration"`
	Time           []lab.TimePoint            `json:"time,omitempty"`
	// Rank orders the results by their distance to the exact posterior
	// (SW, then TV), 1 the closest.
	Rank int `json:"rank"`
	// Row and Column place the result in the sweep's grid.
	Row    string `json:"sweep_row,omitempty"`
	Column int    `json:"sweep_column,omitempty"`
}

// LabSetup is what a lab ran besides its figures: the prior, test image
// Image of it, the entries, the sweep (nil for none), and whether the
// entries hold the counterfactual runs (lab.WithCounterfactuals).
type LabSetup struct {
	Prior          *prior.Prior
	Image          int
	Entries        []lab.PlanEntry
	Sweep          *lab.Sweep
	Counterfactual bool
}

// Plain are the entries without their places, as the lab runs them.
func (s *LabSetup) Plain() []lab.Entry {
	out := make([]lab.Entry, len(s.Entries))
	for i, e := range s.Entries {
		out[i] = e.Entry
	}
	return out
}

// NewLab is lab.json of a lab's report.
func NewLab(rep *lab.Report, setup *LabSetup) *LabReport {
	pd, entries, sw := setup.Prior, setup.Entries, setup.Sweep
	s0 := entries[0].Settings
	out := &LabReport{Prior: pd.Spec, Op: s0.Op, Sigma: s0.Sigma, Image: pd.Truths[setup.Image].Name, Seeds: rep.Seeds,
		Projections: rep.Projections, Resamples: rep.Resamples, FloorDraws: rep.FloorDraws,
		SWFloor: rep.SWFloor, TVFloor: rep.TVFloor, CoverageFloor: rep.CoverageFloor, PSNRFloor: rep.PSNRFloor,
		ResidualFloor: rep.ResidualFloor, ExpectedResidual: finite.Float(rep.ExpectedResidual),
		Weights: finite.Floats(rep.Weights), Labels: pd.ComponentLabels}
	if sw != nil {
		out.Sweep = &LabSweep{Param: sw.Param, Log: sw.Log, Values: sw.Values}
		for _, e := range entries {
			if !slices.Contains(out.Sweep.Rows, e.Row) {
				out.Sweep.Rows = append(out.Sweep.Rows, e.Row)
			}
		}
	}
	for i, r := range rep.Results {
		s := entries[i].Settings
		out.Results = append(out.Results, LabResult{
			Label: r.Label, Method: s.Method, Steps: s.Steps, Eta: s.Eta, Params: entries[i].Values,
			Counterfactual: entries[i].Counterfactual.String(),
			Runs:           r.Runs, Diverged: finite.Float(r.Diverged), Failed: r.Failed, Failure: r.Failure,
			TV: finite.Float(r.TV), TVCI: r.TVCI,
			SW: finite.Float(r.SW), SWCI: r.SWCI, PSNR: finite.Float(r.PSNR), PSNRCI: r.PSNRCI,
			Coverage: finite.Float(r.Coverage), CoverageCI: r.CoverageCI, TruthCoverage: finite.Float(r.TruthCoverage),
			Residual: finite.Float(r.Residual), ResidualCI: r.ResidualCI,
			Frequencies: finite.Floats(r.Frequencies), NFE: r.NFE, VJPs: r.VJPs,
			Calibration: r.Calibration, Time: r.Time, Row: entries[i].Row, Column: entries[i].Col,
		})
	}
	for rank, i := range rep.Ranked() {
		out.Results[i].Rank = rank + 1
	}
	if setup.Counterfactual {
		out.Splits = rep.Splits(setup.Plain())
	}
	return out
}
