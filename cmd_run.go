package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/core/method"
	"tweedie/core/metrics"
	"tweedie/core/operator"
	"tweedie/core/run"
)

const runHelp = `tweedie run — one guided reverse-diffusion run, headless, with exports

Usage:
  tweedie run [flags]

Runs the sampler on the problem the flags describe (the same flags as the
explorer) and prints a summary; --out writes the files below, --json prints
summary.json to stdout, --dump writes every step's arrays.

Files in --out DIR (written to a temporary directory beside DIR and moved
into place at the end, so a failure leaves nothing behind):
  final.png        the sample x_0 (for a diverged run: x̂0 of the last step)
  x0hat.png        the last step's Tweedie estimate x̂0
  truth.png        the ground truth x0
  measurement.png  the measurement y as an image (unobserved pixels magenta)
  trajectory.gif   x_t (left) and x̂0 (right) at steps 0, K, 2K, … and the
                   last step: ceil(S/K) frames, one more when the last step
                   is not a multiple of K (K = --gif-every)
  steps.csv        one row per step: index,t,alpha_bar,residual,psnr,
                   g_norm,g_exact_norm,g_ratio,g_cos,
                   update_norm,update_exact_norm,update_ratio
                   (NaN where a value does not exist; see below); particle
                   methods add particles,ess,resampled,distinct
  gradnorm.png     ‖update‖, ‖g‖, ‖g*‖ and the residual per step, log scale
  summary.json     settings and results (non-finite numbers are null)
g is the method's estimate of the likelihood score ∇log p(y|x_t) and g*
the exact one (exact priors only): g_ratio = ‖g‖/‖g*‖, g_cos = cos∠(g, g*).
update is what the guidance changed in x_{t−1}, and update* what the exact
guidance would change from the same x_t (the oracle's update):
update_ratio = ‖update‖/‖update*‖ is how much of the exact correction the
method applies. (DPS's default step never applies g = h/σ² itself, so
g_ratio and update_ratio differ for it.)
Images in [-1, 1] are 8-bit gray, upscaled by an integer factor (8× for
28×28) with nearest neighbour.

--dump FILE.npz holds float32 arrays x_t, x0_hat, score_y and update of
shape (S, d), row i being step i flattened as H×W×C with channels innermost
(x_t.reshape(S, H, W, C) gives images); int64 t and float64 alpha_bar (S,);
y, the operator's output vector; truth (d,); mask (d,) for inpainting
operators, 1 where observed; final (d,) when the run completed; and int64
scalars height, width, channels. S is the number of steps recorded.

Examples:
  tweedie run                                      ΠG on digit 0, centre box, 1000 DDPM steps
  tweedie run --method dps --steps 1000 --json     DPS, summary as JSON on stdout
  tweedie run --op sr:factor=4 --image 42 --out sr4
  tweedie run --image-file my.png --op inpaint-half --sampler ddim --steps 100 --out half
  tweedie run --method oracle --steps 200 --dump oracle.npz
  tweedie run --method dps --steps 50 --json | jq .psnr

`

// runFlags are `tweedie run`'s flags beyond the problem's.
type runFlags struct {
	prior    *string
	out      *string
	json     *bool
	dump     *string
	gifEvery *int
	noExact  *bool
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie run")
	pf := addProblemFlags(fs)
	rf := runFlags{
		prior:    addPriorFlag(fs),
		out:      fs.String("out", "", "write images, trajectory.gif, steps.csv, gradnorm.png and summary.json to `DIR`"),
		json:     fs.Bool("json", false, "print summary.json to stdout instead of the text summary"),
		dump:     fs.String("dump", "", "write every step's arrays to `FILE.npz`"),
		gifEvery: fs.Int("gif-every", 0, "a trajectory.gif frame every `K` steps (default: about 50 frames, ceil(steps/50))"),
		noExact:  fs.Bool("no-exact", false, "skip the exact guidance at every step (faster; no cos_to_exact)"),
	}
	if status, done := parseNoArgs(fs, args, "run", runHelp, stdout, stderr); done {
		return status
	}
	return doRun(pf, rf, stdout, stderr)
}

// runResult is a finished (complete or diverged) run.
type runResult struct {
	setup    *problemSetup
	traj     *run.Trajectory
	diverged *run.DivergedError
	elapsed  time.Duration
	final    []float64 // x_0, or the last x̂0 of a diverged run
	gifEvery int
	values   method.Values // the method's parameters, defaults resolved
}

func doRun(pf *problemFlags, rf runFlags, stdout, stderr io.Writer) int {
	st, err := setupProblem(pf, *rf.prior)
	if err != nil {
		return fail(stderr, "run", err)
	}
	st.Config.NoExact = *rf.noExact
	if *rf.dump != "" {
		st.Config.KeepBytes = -1 // the dump holds every step: 16·d bytes each
	}
	// Build the Runner before anything is written: run.New refuses methods
	// that cannot serve the problem.
	runner, err := run.New(st.Prob, st.Config)
	if err != nil {
		return fail(stderr, "run", usageError{err})
	}
	if err := runner.ExactErr(); err != nil && st.Prob.HasExact() && !*rf.noExact {
		fmt.Fprintf(stderr, "tweedie run: warning: no comparison with the exact guidance: %v\n", err)
	}
	gifEvery := *rf.gifEvery
	switch {
	case gifEvery < 0:
		return fail(stderr, "run", usagef("--gif-every %d: want K ≥ 1 (or 0 for about 50 frames)", gifEvery))
	case gifEvery == 0:
		gifEvery = max(1, (st.Config.Steps+49)/50)
	}
	if *rf.dump != "" {
		if err := export.CheckDest("--dump", *rf.dump); err != nil {
			return fail(stderr, "run", usageError{err})
		}
	}
	var od *export.Dir
	if *rf.out != "" {
		if od, err = export.PrepareDir(*rf.out); err != nil {
			return fail(stderr, "run", usageError{err})
		}
	}
	abort := func() {
		if od != nil {
			od.Abort()
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgressBar(stderr, "sampling", st.Config.Steps)
	start := time.Now()
	tr, err := runner.Run(ctx, bar.update)
	elapsed := time.Since(start) - bar.drawTime() // sampler compute only
	bar.finish()
	res := &runResult{setup: st, traj: tr, elapsed: elapsed, gifEvery: gifEvery, values: runner.Values()}
	switch {
	case ctx.Err() != nil:
		abort()
		fmt.Fprintln(stderr, "tweedie run: interrupted; nothing written")
		return exitInterrupt
	case errors.As(err, &res.diverged):
	case err != nil:
		abort()
		return fail(stderr, "run", err)
	}
	if tr.Done == 0 {
		abort()
		return fail(stderr, "run", errors.New("no step was recorded"))
	}
	res.final = tr.Final
	if res.final == nil {
		res.final = tr.X0Hat(nil, tr.Done-1)
	}
	sum := summarize(res)

	if od != nil {
		if err := writeRunFiles(od, res, sum); err != nil {
			abort()
			return fail(stderr, "run", fmt.Errorf("--out %s: %w", *rf.out, err))
		}
	}
	if *rf.dump != "" {
		if err := export.AtomicFile(*rf.dump, func(w io.Writer) error { return export.WriteDump(w, res.traj, res.setup.Prob, res.setup.Truth) }); err != nil {
			abort()
			return fail(stderr, "run", fmt.Errorf("--dump %s: %w", *rf.dump, err))
		}
	}
	if od != nil {
		if err := od.Commit(); err != nil {
			abort()
			if *rf.dump != "" {
				os.Remove(*rf.dump)
			}
			return fail(stderr, "run", fmt.Errorf("--out %s: %w", *rf.out, err))
		}
	}

	if *rf.json {
		if err := export.WriteJSON(stdout, sum); err != nil {
			return fail(stderr, "run", err)
		}
	} else {
		printRunSummary(stdout, sum, *rf.out, *rf.dump)
	}
	if res.diverged != nil {
		wrote := ""
		if od != nil || *rf.dump != "" {
			wrote = "outputs written with "
		}
		fmt.Fprintf(stderr, "tweedie run: %v; %sdiverged_at = %d (the step index, from 0)\n", res.diverged, wrote, res.diverged.Step)
		return exitFailure
	}
	return exitOK
}

// runSummary is summary.json.
type runSummary struct {
	Prior  string       `json:"prior"`
	Image  string       `json:"image"`
	Method string       `json:"method"`
	Op     string       `json:"op"`
	Sigma  export.Float `json:"sigma"`
	// Params are the method's parameters, defaults resolved.
	Params    method.Values `json:"params"`
	Sampler   string        `json:"sampler"`
	Eta       export.Float  `json:"eta"`
	Steps     int           `json:"steps"`
	StepsDone int           `json:"steps_done"`
	Seed      uint64        `json:"seed"`
	NoiseSeed uint64        `json:"noise_seed"`
	// PSNR, SSIM and Residual are of the final sample (see runHelp).
	PSNR     export.Float `json:"psnr"`
	SSIM     export.Float `json:"ssim"`
	Residual export.Float `json:"residual"`
	// NFE and VJPs are the network evaluations the sample cost: inputs
	// denoised and vector–Jacobian products.
	NFE  int `json:"nfe"`
	VJPs int `json:"vjps"`
	// ElapsedMS is the time in Runner.Run only: no setup, no I/O.
	ElapsedMS      float64 `json:"elapsed_ms"`
	DivergedAt     *int    `json:"diverged_at"`
	DivergedReason string  `json:"diverged_reason,omitempty"`
	// GradNorms are ‖g‖ per step, the method's estimate of the likelihood
	// score; UpdateNorms are ‖update‖, what the guidance changed in x_{t−1}.
	GradNorms   []export.Float `json:"grad_norms"`
	UpdateNorms []export.Float `json:"update_norms"`
	// Exact-prior fields.
	PosteriorWeights  []export.Float `json:"posterior_weights,omitempty"`
	ComponentLabels   []string       `json:"component_labels,omitempty"`
	PosteriorMeanPSNR *export.Float  `json:"posterior_mean_psnr,omitempty"`
	CosToExact        []export.Float `json:"cos_to_exact,omitempty"`
	GradExactNorms    []export.Float `json:"grad_exact_norms,omitempty"`
	UpdateRatios      []export.Float `json:"update_ratios,omitempty"`
	GIFEvery          int            `json:"gif_every"`
	GIFFrames         int            `json:"gif_frames"`
}

func summarize(res *runResult) *runSummary {
	st, tr := res.setup, res.traj
	s := st.Problem.Settings
	sum := &runSummary{
		Prior: st.Prior.Spec, Image: st.TruthName, Method: st.Config.Method.Name, Op: st.Prob.Op.Name(),
		Sigma: export.Float(st.Prob.Sigma), Params: res.values,
		Sampler: st.Config.Sampler.String(), Eta: export.Float(st.Config.Eta), Steps: tr.Steps(), StepsDone: tr.Done,
		Seed: st.Config.Seed, NoiseSeed: s.NoiseSeed,
		PSNR:      export.Float(metrics.PSNR(res.final, st.Truth)),
		SSIM:      export.Float(safeSSIM(res.final, st.Truth, st.Prob.Shape())),
		Residual:  export.Float(residualNorm(st.Prob.Op, st.Prob.Y, res.final)),
		ElapsedMS: float64(res.elapsed.Microseconds()) / 1000,
		GradNorms: make([]export.Float, tr.Done), UpdateNorms: make([]export.Float, tr.Done),
		GIFEvery: res.gifEvery, GIFFrames: len(gifFrames(tr, res.gifEvery)),
	}
	if tr.Done > 0 {
		sum.NFE, sum.VJPs = tr.Records[tr.Done-1].NFE, tr.Records[tr.Done-1].VJPs
	}
	if res.diverged != nil {
		at := res.diverged.Step
		sum.DivergedAt, sum.DivergedReason = &at, res.diverged.Reason
	}
	hasExact := false
	for i, rec := range tr.Records[:tr.Done] {
		sum.GradNorms[i], sum.UpdateNorms[i] = export.Float(rec.GNorm), export.Float(rec.UpdateNorm)
		hasExact = hasExact || !math.IsNaN(rec.GExactNorm)
	}
	if hasExact {
		n := tr.Done
		sum.CosToExact, sum.GradExactNorms, sum.UpdateRatios = make([]export.Float, n), make([]export.Float, n), make([]export.Float, n)
		for i, rec := range tr.Records[:n] {
			sum.CosToExact[i], sum.GradExactNorms[i], sum.UpdateRatios[i] = export.Float(rec.GCos), export.Float(rec.GExactNorm), export.Float(rec.UpdateRatio)
		}
	}
	if mix := st.Prior.Mixture; mix != nil {
		if lin, ok := st.Prob.Op.(operator.Linear); ok && lin.Linear() && st.Prob.Sigma > 0 {
			if post, err := mix.PosteriorWeights(lin, st.Prob.Y, st.Prob.Sigma); err == nil {
				sum.PosteriorWeights = export.Floats(post.Weights)
				sum.ComponentLabels = st.Prior.ComponentLabels
				p := export.Float(metrics.PSNR(post.Mean, st.Truth))
				sum.PosteriorMeanPSNR = &p
			}
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

// residualNorm returns ‖y − A(x)‖.
func residualNorm(op operator.Operator, y, x []float64) float64 {
	ax := op.Apply(make([]float64, op.OutLen()), x)
	s := 0.0
	for i := range ax {
		d := y[i] - ax[i]
		s += d * d
	}
	return math.Sqrt(s)
}

// gifFrames returns the steps of gifSteps whose vectors the trajectory
// kept (all of them but for a large image: see run.Trajectory).
func gifFrames(tr *run.Trajectory, every int) []int {
	var out []int
	for _, i := range gifSteps(tr.Done, every) {
		if _, ok := tr.Rows(i); ok || i == tr.Done-1 {
			out = append(out, i)
		}
	}
	return out
}

// gifSteps returns the steps trajectory.gif shows: 0, K, 2K, … below done,
// and done−1.
func gifSteps(done, every int) []int {
	var out []int
	for i := 0; i < done; i += every {
		out = append(out, i)
	}
	if done > 0 && (done-1)%every != 0 {
		out = append(out, done-1)
	}
	return out
}

func writeRunFiles(od *export.Dir, res *runResult, sum *runSummary) error {
	st, tr := res.setup, res.traj
	shape := st.Prob.Shape()
	scale := imgio.ViewScale(shape)
	image := func(pix []float64) img.Image { return img.Image{Shape: shape, Pix: pix} }
	measured := st.Prob.Op.Display(st.Prob.Y)
	pngs := []struct {
		name string
		im   img.Image
	}{
		{"final.png", image(res.final)},
		{"x0hat.png", image(tr.X0Hat(nil, tr.Done-1))},
		{"truth.png", image(st.Truth)},
		{"measurement.png", measured},
	}
	for _, p := range pngs {
		if err := od.Write(p.name, func(w io.Writer) error {
			return imgio.WritePNG(w, imgio.RGBA(p.im, imgio.ViewScale(p.im.Shape)))
		}); err != nil {
			return err
		}
	}
	if err := od.Write("trajectory.gif", func(w io.Writer) error {
		steps := gifFrames(tr, res.gifEvery)
		frames := make([][]img.Image, len(steps))
		for f, i := range steps {
			frames[f] = []img.Image{image(tr.Xt(nil, i)), image(tr.X0Hat(nil, i))}
		}
		return imgio.WriteGIF(w, frames, scale, 8)
	}); err != nil {
		return err
	}
	if err := od.Write("steps.csv", func(w io.Writer) error { return writeStepsCSV(w, tr) }); err != nil {
		return err
	}
	if err := od.Write("gradnorm.png", func(w io.Writer) error { return export.WriteGradNormPlot(w, tr, sum.Method) }); err != nil {
		return err
	}
	return od.Write("summary.json", func(w io.Writer) error { return export.WriteJSON(w, sum) })
}

// stepsCSVHeader is the header of steps.csv.
const stepsCSVHeader = "index,t,alpha_bar,residual,psnr,g_norm,g_exact_norm,g_ratio,g_cos,update_norm,update_exact_norm,update_ratio"

// particlesCSVHeader are the columns steps.csv adds for a particle method
// (MCGdiff, TDS): N, the ESS of the weights the step resampled by, whether
// it resampled (0/1) and how many particles kept offspring.
const particlesCSVHeader = ",particles,ess,resampled,distinct"

func writeStepsCSV(w io.Writer, tr *run.Trajectory) error {
	header := stepsCSVHeader
	if tr.HasParticles() {
		header += particlesCSVHeader
	}
	if _, err := fmt.Fprintln(w, header); err != nil {
		return err
	}
	for _, r := range tr.Records[:tr.Done] {
		part := ""
		if p, ok := tr.Particle(r.Index); ok {
			resampled := 0
			if p.Resampled {
				resampled = 1
			}
			part = fmt.Sprintf(",%d,%s,%d,%d", p.N, export.CSVFloat(p.ESS), resampled, p.Distinct)
		}
		_, err := fmt.Fprintf(w, "%d,%d,%s%s\n", r.Index, r.T, strings.Join([]string{export.CSVFloat(r.AlphaBar),
			export.CSVFloat(r.Residual), export.CSVFloat(r.PSNR), export.CSVFloat(r.GNorm), export.CSVFloat(r.GExactNorm), export.CSVFloat(r.GRatio),
			export.CSVFloat(r.GCos), export.CSVFloat(r.UpdateNorm), export.CSVFloat(r.UpdateExactNorm), export.CSVFloat(r.UpdateRatio)}, ","), part)
		if err != nil {
			return err
		}
	}
	return nil
}

func printRunSummary(w io.Writer, s *runSummary, out, dump string) {
	fmt.Fprintf(w, "%s · %s · σ = %g · %s, %d steps · seed %d · %s\n", s.Method, s.Op, float64(s.Sigma), s.Sampler, s.Steps, s.Seed, s.Image)
	fmt.Fprintf(w, "PSNR %.2f dB  SSIM %.3f  residual ‖y − A(x)‖ = %.4g  sampling %.0f ms  NFE %d (%d VJPs)\n",
		float64(s.PSNR), float64(s.SSIM), float64(s.Residual), s.ElapsedMS, s.NFE, s.VJPs)
	if s.PosteriorMeanPSNR != nil {
		fmt.Fprintf(w, "exact posterior mean: PSNR %.2f dB\n", float64(*s.PosteriorMeanPSNR))
	}
	if s.DivergedAt != nil {
		fmt.Fprintf(w, "diverged at step %d of %d (diverged_at = %d, counting from 0): %s\n", *s.DivergedAt+1, s.Steps, *s.DivergedAt, s.DivergedReason)
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
