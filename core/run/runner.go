package run

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/denoiser"
	"tweedie/core/guidance"
	"tweedie/core/internal/vec"
	"tweedie/core/metrics"
	"tweedie/core/sampler"
	"tweedie/core/schedule"
)

// Config is the sampler and guidance of a run.
type Config struct {
	// Schedule defaults to schedule.Default() when nil.
	Schedule *schedule.Schedule
	Sampler  sampler.Kind
	// Eta is DDIM's η (ignored by DDPM).
	Eta float64
	// Steps is the number of sampling steps S (1 ≤ S ≤ T).
	Steps int
	// Seed fixes x_T and every step's noise.
	Seed uint64
	// Guidance is the method and its settings; its Sigma is taken from the Problem.
	Guidance guidance.Params
	// NoExact skips the exact guidance (and so the comparison with it) during
	// the run even where the prior is exact; the oracle method needs it and
	// ignores this. CompareExact can fill the comparison in afterwards.
	NoExact bool
}

// DivergeLimit is the largest |x_s| a run accepts: images live in [-1, 1],
// so a state this far out has left the model's support for good.
const DivergeLimit = 1e6

// DivergedError reports the step at which a run stopped. Step is the
// step's index (0 for the first, as in Trajectory.Records); the message
// counts from 1, as the explorer does: "diverged at step 5 of 100".
type DivergedError struct {
	Step, T int
	// Steps is the number of steps the run was planned for.
	Steps  int
	Reason string
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("diverged at step %d of %d (t = %d): %s", e.Step+1, e.Steps, e.T, e.Reason)
}

// Runner performs a run one step at a time. It is not safe for concurrent
// use; independent Runners may run on different goroutines.
type Runner struct {
	prob  *Problem
	cfg   Config
	sched *schedule.Schedule
	den   denoiser.Denoiser
	guide guidance.Guide
	exact guidance.Exact
	noise *sampler.Noise
	traj  *Trajectory
	err   error
	st    guidance.State

	xt, xs, x0Hat, scoreY, corr, z, exactG []float64
}

// New prepares a run. It refuses bad settings and methods that cannot serve
// the problem with an error that says why.
func New(prob *Problem, cfg Config) (*Runner, error) {
	sched := cfg.Schedule
	if sched == nil {
		sched = schedule.Default()
	}
	grid, err := sched.Respace(cfg.Steps)
	if err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	if cfg.Sampler == sampler.DDIM && (math.IsNaN(cfg.Eta) || cfg.Eta < 0 || cfg.Eta > 1) {
		return nil, fmt.Errorf("η = %v: want a number in [0, 1]", cfg.Eta)
	}
	cfg.Guidance.Sigma = prob.Sigma
	exact := prob.exactGuidance()
	guide, err := guidance.New(cfg.Guidance, prob.Op, prob.Y, exact != nil)
	if err != nil {
		return nil, err
	}
	d := prob.Shape().Len()
	vec := func() []float64 { return make([]float64, d) }
	r := &Runner{
		prob: prob, cfg: cfg, sched: sched,
		den: prob.Prior.NewDenoiser(), guide: guide, exact: exact,
		noise: sampler.NewNoise(cfg.Seed),
		traj:  newTrajectory(prob.Shape(), grid),
		xt:    vec(), xs: vec(), x0Hat: vec(), scoreY: vec(), corr: vec(), z: vec(),
	}
	if exact != nil {
		r.exactG = vec()
	}
	r.noise.Fill(r.xt) // x_T ~ N(0, I)
	return r, nil
}

// Trajectory returns the record so far. It is shared with the Runner: read
// it between steps, not during one.
func (r *Runner) Trajectory() *Trajectory { return r.traj }

// Done reports whether the run has finished, by completing or by diverging.
func (r *Runner) Done() bool { return r.traj.Complete() || r.err != nil }

// Err returns the error that stopped the run (a *DivergedError), or nil.
func (r *Runner) Err() error { return r.err }

// Step performs the next step. It returns an error when the run diverged
// at this step (and on every call after that).
func (r *Runner) Step() error {
	if r.Done() {
		return r.err
	}
	tr := r.traj
	i := tr.Done
	t := tr.Grid[i]
	s := 0
	if i+1 < len(tr.Grid) {
		s = tr.Grid[i+1]
	}
	abT, abS := r.sched.AlphaBar[t], r.sched.AlphaBar[s]

	r.den.Denoise(r.x0Hat, r.xt, abT)
	// r.st is a field, not a local: passed to an interface it would escape.
	st := &r.st
	*st = guidance.State{AlphaBarT: abT, AlphaBarS: abS, Xt: r.xt, X0Hat: r.x0Hat, Den: r.den}
	if r.exact != nil && (!r.cfg.NoExact || r.cfg.Guidance.Method == guidance.Oracle) {
		st.Exact = r.exact.Guidance(r.exactG, r.xt, abT)
	}
	target, residual := r.guide.Guide(st, r.scoreY, r.corr)

	co := r.cfg.Sampler.StepCoeffs(abT, abS, r.cfg.Eta)
	r.noise.Fill(r.z)
	var a0, as float64 // update = a0·Δ0 + as·Δs
	switch target {
	case guidance.ToX0Hat:
		a0 = 1
	case guidance.ToXs:
		as = 1
	}
	updNorm, maxAbs := 0.0, 0.0
	for j := range r.xs {
		u := co.A*a0*r.corr[j] + as*r.corr[j]
		x := co.A*r.x0Hat[j] + co.B*r.xt[j] + co.C*r.z[j] + u
		r.xs[j] = x
		r.corr[j] = u
		updNorm += u * u
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}

	rec := &tr.Records[i]
	*rec = Record{
		Index: i, T: t, AlphaBar: abT,
		UpdateNorm: math.Sqrt(updNorm), ScoreNorm: norm(r.scoreY), Residual: residual,
		PSNR: math.NaN(), CosExact: math.NaN(), NormRatio: math.NaN(), ExactNorm: math.NaN(),
	}
	if r.prob.Truth != nil {
		rec.PSNR = metrics.PSNR(r.x0Hat, r.prob.Truth)
	}
	if st.Exact != nil {
		compare(rec, r.scoreY, st.Exact)
	}
	d := len(r.xt)
	narrow(tr.xt[i*d:(i+1)*d], r.xt)
	narrow(tr.x0Hat[i*d:(i+1)*d], r.x0Hat)
	narrow(tr.scoreY[i*d:(i+1)*d], r.scoreY)
	narrow(tr.update[i*d:(i+1)*d], r.corr)
	tr.Done = i + 1

	if reason := divergence(maxAbs, rec); reason != "" {
		tr.DivergedAt = i
		r.err = &DivergedError{Step: i, T: t, Steps: len(tr.Grid), Reason: reason}
		return r.err
	}
	r.xt, r.xs = r.xs, r.xt
	if tr.Done == len(tr.Grid) {
		tr.Final = append([]float64(nil), r.xt...)
	}
	return nil
}

// compare fills the record's comparison of the estimate g with the exact g*.
func compare(rec *Record, g, exact []float64) {
	rec.ExactNorm = norm(exact)
	rec.CosExact = vec.Dot(g, exact) / (rec.ScoreNorm * rec.ExactNorm)
	rec.NormRatio = rec.ScoreNorm / rec.ExactNorm
}

// HasExact reports whether the problem has an exact guidance to compare with.
func (r *Runner) HasExact() bool { return r.exact != nil }

// CompareExact fills the comparison with the exact guidance of recorded
// step i (CosExact, NormRatio, ExactNorm) from its recorded x_t and g, for a
// run made with NoExact. The recorded vectors are float32, so the figures
// agree with an inline comparison to about 1e-6. It does nothing when the
// problem has no exact guidance. Like Step, it is not safe to call
// concurrently with the Runner's other methods.
func (r *Runner) CompareExact(i int) {
	if r.exact == nil {
		return
	}
	tr := r.traj
	tr.Xt(r.xs, i)
	tr.ScoreY(r.scoreY, i)
	exact := r.exact.Guidance(r.exactG, r.xs, tr.Records[i].AlphaBar)
	compare(&tr.Records[i], r.scoreY, exact)
}

// divergence names what went wrong at a step, or returns "".
func divergence(maxAbs float64, rec *Record) string {
	switch {
	case math.IsNaN(maxAbs) || math.IsInf(maxAbs, 0):
		return "x_s is not finite"
	case maxAbs > DivergeLimit:
		return fmt.Sprintf("|x_s| reached %.3g (limit %.0g)", maxAbs, DivergeLimit)
	case math.IsNaN(rec.ScoreNorm) || math.IsInf(rec.ScoreNorm, 0):
		return "the guidance is not finite"
	case math.IsNaN(rec.Residual) || math.IsInf(rec.Residual, 0):
		return "the residual ‖y − A(x̂0)‖ is not finite"
	}
	return ""
}

// Run performs every remaining step, calling progress (if not nil) after
// each. It stops early, with ctx's error, when ctx is done.
func (r *Runner) Run(ctx context.Context, progress func(done int)) (*Trajectory, error) {
	for !r.Done() {
		if err := ctx.Err(); err != nil {
			return r.traj, err
		}
		if err := r.Step(); err != nil {
			return r.traj, err
		}
		if progress != nil {
			progress(r.traj.Done)
		}
	}
	return r.traj, r.err
}

func norm(a []float64) float64 { return math.Sqrt(vec.Dot(a, a)) }
