package run

import (
	"context"
	"errors"
	"fmt"
	"math"

	"tweedie/core/denoiser"
	"tweedie/core/internal/vec"
	"tweedie/core/method"
	"tweedie/core/metrics"
	"tweedie/core/sampler"
	"tweedie/core/schedule"
)

// Config is the sampler and guidance of a run.
type Config struct {
	// Schedule defaults to the prior's when nil.
	Schedule *schedule.Schedule
	Sampler  sampler.Kind
	// Eta is DDIM's η (ignored by DDPM).
	Eta float64
	// Steps is the number of sampling steps S (1 ≤ S ≤ T).
	Steps int
	// Seed fixes x_T and every step's noise.
	Seed uint64
	// Method is the guidance method; Params its explicitly set values (the
	// rest take the method's defaults for the operator).
	Method *method.Method
	Params method.Values
	// NoExact skips the exact guidance (and so the comparison with it) during
	// the run even where the problem has it; a method that needs it gets it
	// all the same. CompareExact can fill the comparison in afterwards.
	NoExact bool
	// Counterfactual, when not Plain, replaces the method's update with one
	// made of it and the exact update (see Counterfactual); it needs the
	// exact guidance.
	Counterfactual Counterfactual
	// KeepBytes bounds the memory of the trajectory's vectors (see
	// Trajectory): 0 is DefaultKeepBytes, negative keeps every step
	// whatever its size (a dump of every step asks for that).
	KeepBytes int64
	// Denoiser, when set, is used in place of a new denoiser of the prior:
	// a denoiser.Lockstep member, which batches this run's calls with other
	// runs' (the lab's seeds). It must be one of the problem's prior; Replay
	// makes its own.
	Denoiser denoiser.Denoiser
	// replay: keep no step's rows but the latest (Replay's runs).
	replay bool
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
	prob   *Problem
	cfg    Config
	values method.Values
	sched  *schedule.Schedule
	den    denoiser.Denoiser
	diff   denoiser.Differentiable // den, when the method needs VJPs
	inner  denoiser.Denoiser       // the prior's denoiser that den counts
	guide  method.Guide
	// exact is the exact guidance when the problem has it; exactErr why not.
	exact     denoiser.Exact
	exactErr  error
	needExact bool
	noise     *sampler.Noise
	traj      *Trajectory
	err       error
	st        method.State
	out       method.Output

	xt, xs, x0Hat, scoreY, corr, z, exactG []float64
	// nfe counts the denoiser's evaluations and VJPs (per sample).
	nfe nfe
	// comparison is CompareExact's, made at its first call.
	comparison *Comparison
}

// New prepares a run. It refuses bad settings and methods that cannot serve
// the problem with an error that says why.
func New(prob *Problem, cfg Config) (*Runner, error) {
	if cfg.Method == nil {
		return nil, errors.New("no method")
	}
	sched := cfg.Schedule
	if sched == nil {
		sched = prob.Prior.Schedule()
	}
	grid, err := sched.Respace(cfg.Steps)
	if err != nil {
		return nil, fmt.Errorf("steps: %w", err)
	}
	if cfg.Sampler == sampler.DDIM && (math.IsNaN(cfg.Eta) || cfg.Eta < 0 || cfg.Eta > 1) {
		return nil, fmt.Errorf("η = %v: want a number in [0, 1]", cfg.Eta)
	}
	m := cfg.Method
	values, err := m.Resolve(cfg.Params, prob.Op)
	if err != nil {
		return nil, err
	}
	if err := m.Serves(prob.Offer, values); err != nil {
		return nil, err
	}
	op := prob.Op.Clone()
	guide, err := m.Bind(&method.Problem{Op: op, Y: prob.Y, Sigma: prob.Sigma, Seed: cfg.Seed}, values)
	if err != nil {
		return nil, err
	}
	needs := m.Needs(values)
	if cfg.Counterfactual != Plain {
		if !prob.HasExact() {
			return nil, fmt.Errorf("the counterfactual %s needs the exact guidance: %s", cfg.Counterfactual, prob.Offer.NoExact)
		}
		if err := Fits(m, values); err != nil {
			return nil, err
		}
		needs |= method.Exact
	}
	d := prob.Shape().Len()
	vec := func() []float64 { return make([]float64, d) }
	stateBytes := 0
	if sf, ok := guide.(method.Stateful); ok {
		stateBytes = sf.StateBytes()
	}
	r := &Runner{
		prob: prob, cfg: cfg, values: values, sched: sched,
		guide:     guide,
		needExact: needs&method.Exact != 0,
		noise:     sampler.NewNoise(cfg.Seed),
		traj:      newTrajectory(prob.Shape(), grid, cfg.KeepBytes, stateBytes, cfg.replay),
		xt:        vec(), xs: vec(), x0Hat: vec(), scoreY: vec(), corr: vec(), z: vec(),
	}
	r.inner = cfg.Denoiser
	if r.inner == nil || cfg.replay {
		r.inner = prob.Prior.NewDenoiser()
	}
	r.den = r.nfe.wrap(r.inner, d)
	if needs&method.VJP != 0 {
		r.diff = r.den.(denoiser.Differentiable) // the offer said so
	}
	if prob.HasExact() {
		r.exact, r.exactErr = prob.newExact(op)
		if r.exactErr != nil && r.needExact {
			return nil, r.exactErr
		}
		r.exactG = vec()
	} else {
		r.exactErr = errors.New(prob.Offer.NoExact)
	}
	r.noise.Fill(r.xt) // x_T ~ N(0, I)
	return r, nil
}

// Values are the method's parameter values of the run, defaults resolved.
func (r *Runner) Values() method.Values { return r.values }

// Trajectory returns the record so far. It is shared with the Runner: read
// it between steps, not during one.
func (r *Runner) Trajectory() *Trajectory { return r.traj }

// Done reports whether the run has finished, by completing or by diverging.
func (r *Runner) Done() bool { return r.traj.Complete() || r.err != nil }

// Err returns the error that stopped the run (a *DivergedError), or nil.
func (r *Runner) Err() error { return r.err }

// Step performs the next step. It returns an error when the run diverged
// at this step (a *DivergedError, and on every call after that), when the
// denoiser failed (likewise), or ctx's error when it was cancelled.
func (r *Runner) Step(ctx context.Context) error {
	if r.Done() {
		return r.err
	}
	tr := r.traj
	i := tr.Done
	abT, abS, co := r.coeffs(i)
	t := tr.Grid[i]

	if tr.keys != nil && tr.Kept(i) && tr.keys[i] == nil {
		tr.saveKey(i, r.xt, r.noise.State(), r.nfe, r.guideState())
	}
	// r.st and r.out are fields, not locals: passed to an interface they would escape.
	st, out := &r.st, &r.out
	r.noise.Fill(r.z)
	*st = method.State{AlphaBarT: abT, AlphaBarS: abS, Xt: r.xt, X0Hat: r.x0Hat, Den: r.den, Step: co, Z: r.z}
	var err error
	if r.diff != nil {
		st.Point, err = r.diff.Linearize(ctx, r.x0Hat, r.xt, abT)
	} else {
		err = r.den.Denoise(ctx, r.x0Hat, r.xt, abT)
	}
	if err != nil {
		return r.fail(ctx, i, "denoiser", err)
	}
	if r.exact != nil && (r.needExact || !r.cfg.NoExact) {
		if se, ok := r.exact.(denoiser.SharedExact); ok {
			st.Exact = se.GuidanceAfter(r.exactG, r.xt, abT, r.inner) // the same numbers, sooner
		} else {
			st.Exact = r.exact.Guidance(r.exactG, r.xt, abT)
		}
	}
	*out = method.Output{ScoreY: r.scoreY, Corr: r.corr, Xs: r.xs}
	if err := r.guide.Guide(ctx, st, out); err != nil {
		return r.fail(ctx, i, r.cfg.Method.Label, err)
	}
	if r.cfg.Counterfactual != Plain {
		r.asUpdate(out, co)
		r.cfg.Counterfactual.apply(r.corr, st.Exact, co.A*method.TweedieShift(abT))
	}

	var a0, as float64 // update = a0·Δ0 + as·Δs
	switch out.Target {
	case method.ToX0Hat:
		a0 = 1
	case method.ToXs:
		as = 1
	}
	updNorm, maxAbs := 0.0, 0.0
	for j := range r.xs {
		plain := r.plain(co, j)
		var u, x float64
		if out.Target == method.Replace {
			x = r.xs[j]
			u = x - plain
		} else {
			u = co.A*a0*r.corr[j] + as*r.corr[j]
			x = plain + u
		}
		r.xs[j] = x
		r.corr[j] = u
		updNorm += u * u
		if a := math.Abs(x); a > maxAbs || a != a { // a NaN sticks, as with math.Max
			maxAbs = a
		}
	}

	rec := &tr.Records[i]
	*rec = Record{
		Index: i, T: t, AlphaBar: abT, NFE: r.nfe.evals, VJPs: r.nfe.vjps,
		UpdateNorm: math.Sqrt(updNorm), GNorm: norm(r.scoreY), Residual: out.Residual,
		PSNR: math.NaN(), GCos: math.NaN(), GRatio: math.NaN(), GExactNorm: math.NaN(),
		UpdateExactNorm: math.NaN(), UpdateRatio: math.NaN(),
	}
	if r.prob.Truth != nil {
		rec.PSNR = metrics.PSNR(r.x0Hat, r.prob.Truth)
	}
	if st.Exact != nil {
		compare(rec, r.scoreY, st.Exact, co.A*method.TweedieShift(abT))
	}
	r.recordParticles(i)
	rows := tr.split(tr.next(i))
	narrow(rows.Xt, r.xt)
	narrow(rows.X0Hat, r.x0Hat)
	narrow(rows.ScoreY, r.scoreY)
	narrow(rows.Update, r.corr)
	tr.sums[i] = rows.Sum()
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

// guideState is the guide's state for a keyframe, nil for a guide that
// carries none.
func (r *Runner) guideState() []byte {
	sf, ok := r.guide.(method.Stateful)
	if !ok {
		return nil
	}
	return sf.AppendState(make([]byte, 0, sf.StateBytes()))
}

// plain is coordinate j of the unconditional step from x_t.
func (r *Runner) plain(co sampler.Coeffs, j int) float64 {
	return co.A*r.x0Hat[j] + co.B*r.xt[j] + co.C*r.z[j]
}

// asUpdate rewrites the method's output as the update of x_s it makes
// (Target ToXs): the same step, in the form a counterfactual changes.
func (r *Runner) asUpdate(out *method.Output, co sampler.Coeffs) {
	switch out.Target {
	case method.ToX0Hat:
		for j := range r.corr {
			r.corr[j] *= co.A
		}
	case method.Replace:
		for j := range r.corr {
			r.corr[j] = r.xs[j] - r.plain(co, j)
		}
	}
	out.Target = method.ToXs
}

// coeffs returns ᾱ_t and ᾱ_s of step i and the sampler's coefficients.
func (r *Runner) coeffs(i int) (abT, abS float64, co sampler.Coeffs) {
	grid := r.traj.Grid
	s := 0
	if i+1 < len(grid) {
		s = grid[i+1]
	}
	abT, abS = r.sched.AlphaBar[grid[i]], r.sched.AlphaBar[s]
	return abT, abS, r.cfg.Sampler.StepCoeffs(abT, abS, r.cfg.Eta)
}

// fail stops the run at step i for an error of the denoiser or the method,
// unless the error is ctx's (a cancelled run can be resumed).
func (r *Runner) fail(ctx context.Context, i int, who string, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	r.err = fmt.Errorf("step %d of %d (t = %d): %s: %w", i+1, len(r.traj.Grid), r.traj.Grid[i], who, err)
	return r.err
}

// compare fills the record's comparison of the estimate g with the exact
// g*, and of the update with the oracle's, update* = shift·g* where shift
// is what a score becomes in x_s (the sampler's x̂0 coefficient times
// (1−ᾱ_t)/sqrt(ᾱ_t)).
func compare(rec *Record, g, exact []float64, shift float64) {
	rec.GExactNorm = norm(exact)
	rec.GCos = vec.Dot(g, exact) / (rec.GNorm * rec.GExactNorm)
	rec.GRatio = rec.GNorm / rec.GExactNorm
	rec.UpdateExactNorm = math.Abs(shift) * rec.GExactNorm
	rec.UpdateRatio = rec.UpdateNorm / rec.UpdateExactNorm
}

// HasExact reports whether the run can compare with the exact guidance.
func (r *Runner) HasExact() bool { return r.exact != nil }

// ExactErr says why the run cannot compare with the exact guidance, or is nil.
func (r *Runner) ExactErr() error {
	if r.exact != nil {
		return nil
	}
	return r.exactErr
}

// ComparedInline reports whether the steps are compared with the exact
// guidance as they are made (else CompareExact does it afterwards).
func (r *Runner) ComparedInline() bool { return r.exact != nil && (r.needExact || !r.cfg.NoExact) }

// CompareExact fills the comparison with the exact guidance of recorded
// step i from its recorded x_t, g and update, for a run made with NoExact.
// The recorded vectors are float32, so the figures agree with an inline
// comparison to about 1e-6. It does nothing when the problem has no exact
// guidance. Like Step, it is not safe to call concurrently with the
// Runner's other methods.
func (r *Runner) CompareExact(i int) {
	if r.exact == nil {
		return
	}
	in, ok := r.CompareInput(i)
	if !ok {
		return
	}
	if r.comparison == nil {
		d := len(r.xt)
		r.comparison = &Comparison{exact: r.exact, xt: make([]float64, d), g: make([]float64, d), out: r.exactG}
	}
	r.traj.Records[i] = r.comparison.Compare(in)
}

// divergence names what went wrong at a step, or returns "".
func divergence(maxAbs float64, rec *Record) string {
	switch {
	case math.IsNaN(maxAbs) || math.IsInf(maxAbs, 0):
		return "x_s is not finite"
	case maxAbs > DivergeLimit:
		return fmt.Sprintf("|x_s| reached %.3g (limit %.0g)", maxAbs, DivergeLimit)
	case math.IsNaN(rec.GNorm) || math.IsInf(rec.GNorm, 0):
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
		if err := r.Step(ctx); err != nil {
			return r.traj, err
		}
		if progress != nil {
			progress(r.traj.Done)
		}
	}
	return r.traj, r.err
}

func norm(a []float64) float64 { return math.Sqrt(vec.Dot(a, a)) }
