package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"tweedie/core/finite"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/metrics"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// Run is a finished run of a Case: complete, diverged, or failed part-way
// (its worker lost, say), with the steps before the one that failed.
type Run struct {
	Case *Case
	Traj *run.Trajectory
	// Diverged is the divergence that ended the run, nil when it completed.
	Diverged *run.DivergedError
	// Failure is the error that stopped the run at step Traj.Done, nil
	// when it did not fail.
	Failure error
	// Elapsed is the time in Runner.Run only.
	Elapsed time.Duration
	// Final is x_0, or the last x̂0 of a diverged run.
	Final []float64
	// GIFEvery is K: trajectory.gif shows every K-th step.
	GIFEvery int
	// Values are the method's parameters, defaults resolved.
	Values method.Values
}

// NewRun is the run of c that recorded tr (at least one step).
func NewRun(c *Case, tr *run.Trajectory, diverged *run.DivergedError, elapsed time.Duration, gifEvery int, values method.Values) *Run {
	final := tr.Final
	if final == nil {
		final = tr.X0Hat(nil, tr.Done-1)
	}
	return &Run{Case: c, Traj: tr, Diverged: diverged, Elapsed: elapsed, Final: final, GIFEvery: gifEvery, Values: values}
}

// RunSummary is summary.json.
type RunSummary struct {
	Prior  string       `json:"prior"`
	Image  string       `json:"image"`
	Method string       `json:"method"`
	Op     string       `json:"op"`
	Sigma  finite.Float `json:"sigma"`
	// Params are the method's parameters, defaults resolved.
	Params    method.Values `json:"params"`
	Sampler   string        `json:"sampler"`
	Eta       finite.Float  `json:"eta"`
	Steps     int           `json:"steps"`
	StepsDone int           `json:"steps_done"`
	Seed      uint64        `json:"seed"`
	NoiseSeed uint64        `json:"noise_seed"`
	// PSNR, SSIM and Residual are of the final sample.
	PSNR     finite.Float `json:"psnr"`
	SSIM     finite.Float `json:"ssim"`
	Residual finite.Float `json:"residual"`
	// NFE and VJPs are the network evaluations the sample cost: inputs
	// denoised and vector–Jacobian products.
	NFE  int `json:"nfe"`
	VJPs int `json:"vjps"`
	// ElapsedMS is the time in Runner.Run only: no setup, no I/O.
	ElapsedMS      float64 `json:"elapsed_ms"`
	DivergedAt     *int    `json:"diverged_at"`
	DivergedReason string  `json:"diverged_reason,omitempty"`
	// FailedAt is the index of the step that failed (the model worker was
	// lost, say), the steps before it recorded; Failure is why.
	FailedAt *int   `json:"failed_at"`
	Failure  string `json:"failure,omitempty"`
	// GradNorms are ‖g‖ per step, the method's estimate of the likelihood
	// score; UpdateNorms are ‖update‖, what the guidance changed in x_{t−1}.
	GradNorms   []finite.Float `json:"grad_norms"`
	UpdateNorms []finite.Float `json:"update_norms"`
	// Exact-prior fields.
	PosteriorWeights  []finite.Float `json:"posterior_weights,omitempty"`
	ComponentLabels   []string       `json:"component_labels,omitempty"`
	PosteriorMeanPSNR *finite.Float  `json:"posterior_mean_psnr,omitempty"`
	CosToExact        []finite.Float `json:"cos_to_exact,omitempty"`
	GradExactNorms    []finite.Float `json:"grad_exact_norms,omitempty"`
	UpdateRatios      []finite.Float `json:"update_ratios,omitempty"`
	GIFEvery          int            `json:"gif_every"`
	GIFFrames         int            `json:"gif_frames"`
}

// Summary is the run's summary.json: its settings, the final sample's
// PSNR, SSIM and residual, the norms per step, and with an exact posterior
// (run.Problem.HasExact) its weights and the PSNR of its mean.
func (r *Run) Summary() *RunSummary {
	c, tr := r.Case, r.Traj
	sum := &RunSummary{
		Prior: c.Prior.Spec, Image: c.TruthName, Method: c.Config.Method.Name, Op: c.Prob.Op.Name(),
		Sigma: finite.Float(c.Prob.Sigma), Params: r.Values,
		Sampler: c.Config.Sampler.String(), Eta: finite.Float(c.Config.Eta), Steps: tr.Steps(), StepsDone: tr.Done,
		Seed: c.Config.Seed, NoiseSeed: c.NoiseSeed,
		PSNR:      finite.Float(metrics.PSNR(r.Final, c.Truth)),
		SSIM:      finite.Float(safeSSIM(r.Final, c.Truth, c.Prob.Shape())),
		Residual:  finite.Float(c.Prob.Residual(r.Final)),
		ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000,
		GradNorms: make([]finite.Float, tr.Done), UpdateNorms: make([]finite.Float, tr.Done),
		GIFEvery: r.GIFEvery, GIFFrames: r.GIFFrames(),
	}
	if tr.Done > 0 {
		sum.NFE, sum.VJPs = tr.Records[tr.Done-1].NFE, tr.Records[tr.Done-1].VJPs
	}
	if r.Diverged != nil {
		at := r.Diverged.Step
		sum.DivergedAt, sum.DivergedReason = &at, r.Diverged.Reason
	}
	if r.Failure != nil {
		at := tr.Done
		sum.FailedAt, sum.Failure = &at, r.Failure.Error()
	}
	compared := false
	for i, rec := range tr.Records[:tr.Done] {
		sum.GradNorms[i], sum.UpdateNorms[i] = finite.Float(rec.GNorm), finite.Float(rec.UpdateNorm)
		compared = compared || !math.IsNaN(rec.GExactNorm)
	}
	if compared {
		n := tr.Done
		sum.CosToExact, sum.GradExactNorms, sum.UpdateRatios = make([]finite.Float, n), make([]finite.Float, n), make([]finite.Float, n)
		for i, rec := range tr.Records[:n] {
			sum.CosToExact[i], sum.GradExactNorms[i], sum.UpdateRatios[i] = finite.Float(rec.GCos), finite.Float(rec.GExactNorm), finite.Float(rec.UpdateRatio)
		}
	}
	if mix := c.mixture(); mix != nil {
		// One factorisation and solve per component: nothing to cancel.
		if post, err := mix.PosteriorWeights(context.Background(), c.Prob.Op.(operator.Linear), c.Prob.Y, c.Prob.Sigma); err == nil {
			sum.PosteriorWeights = finite.Floats(post.Weights)
			sum.ComponentLabels = c.Prior.ComponentLabels
			p := finite.Float(metrics.PSNR(post.Mean, c.Truth))
			sum.PosteriorMeanPSNR = &p
		}
	}
	return sum
}

// safeSSIM is SSIM, NaN when an image is not finite.
func safeSSIM(x, ref []float64, shape img.Shape) float64 {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.NaN()
		}
	}
	return metrics.SSIM(x, ref, shape)
}

// GIFFrames is the number of frames of trajectory.gif.
func (r *Run) GIFFrames() int { return len(r.gifFrames()) }

// gifFrames returns the steps of GIFSteps whose vectors the trajectory
// kept (all of them but for a large image: see run.Trajectory).
func (r *Run) gifFrames() []int {
	tr := r.Traj
	var out []int
	for _, i := range GIFSteps(tr.Done, r.GIFEvery) {
		if _, ok := tr.Rows(i); ok || i == tr.Done-1 {
			out = append(out, i)
		}
	}
	return out
}

// GIFSteps returns the steps trajectory.gif shows: 0, K, 2K, … below done,
// and done−1.
func GIFSteps(done, every int) []int {
	var out []int
	for i := 0; i < done; i += every {
		out = append(out, i)
	}
	if done > 0 && (done-1)%every != 0 {
		out = append(out, done-1)
	}
	return out
}

// Print writes the summary as text: the settings, the figures, a
// divergence or a failure, and the paths written (out a directory, dump a file; ""
// for none).
func (s *RunSummary) Print(w io.Writer, out, dump string) {
	fmt.Fprintf(w, "%s · %s · σ = %g · %s, %d steps · seed %d · %s\n", s.Method, s.Op, float64(s.Sigma), s.Sampler, s.Steps, s.Seed, s.Image)
	fmt.Fprintf(w, "PSNR %.2f dB  SSIM %.3f  residual ‖y − A(x)‖ = %.4g  sampling %.0f ms  NFE %d (%d VJPs)\n",
		float64(s.PSNR), float64(s.SSIM), float64(s.Residual), s.ElapsedMS, s.NFE, s.VJPs)
	if s.PosteriorMeanPSNR != nil {
		fmt.Fprintf(w, "exact posterior mean: PSNR %.2f dB\n", float64(*s.PosteriorMeanPSNR))
	}
	if s.DivergedAt != nil {
		fmt.Fprintf(w, "diverged at step %d of %d (diverged_at = %d, counting from 0): %s\n", *s.DivergedAt+1, s.Steps, *s.DivergedAt, s.DivergedReason)
	}
	if s.FailedAt != nil {
		fmt.Fprintf(w, "incomplete (failed_at = %d, counting from 0): %s\n", *s.FailedAt, s.Failure)
	}
	var wrote []string
	if out != "" {
		wrote = append(wrote, filepath.Clean(out)+string(filepath.Separator))
	}
	if dump != "" {
		wrote = append(wrote, dump)
	}
	if len(wrote) > 0 {
		fmt.Fprintf(w, "wrote %s\n", strings.Join(wrote, " and "))
	}
}
