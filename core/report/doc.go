// Package report is what the commands run, posterior and lab report: the
// schemas of summary.json, posterior.json and lab.json, their text tables,
// and the CSV, PNG and GIF files written beside them. The commands parse
// flags and run; a report is built here from what they ran (a Case and its
// results) and written through package export, so the three commands share
// one set of writers.
//
// JSON numbers that may be missing (a diverged run, no converged seed) are
// finite.Float: null in the file. CSV numbers are export.CSVFloat: NaN, Inf.
package report

import (
	"tweedie/core/gmm"
	"tweedie/core/prior"
	"tweedie/core/run"
)

// Case is one problem as a command ran it: the prior, the ground truth,
// the measured problem and the sampler's configuration.
type Case struct {
	Prior *prior.Prior
	// TruthName names the ground truth ("digit 7 (test #0)" or a file).
	TruthName string
	Truth     []float64
	Prob      *run.Problem
	Config    run.Config
	// NoiseSeed is the seed of the measurement noise.
	NoiseSeed uint64
}

// mixture is the case's exact mixture when its problem has an exact
// posterior (run.Problem.HasExact decides), else nil.
func (c *Case) mixture() *gmm.Mixture {
	if !c.Prob.HasExact() {
		return nil
	}
	return c.Prior.Mixture
}
