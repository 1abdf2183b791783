package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"tweedie/core/budget"
	"tweedie/core/export"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/prior"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/core/sampler"
	"tweedie/internal/cli"
	"tweedie/tui/progress"
)

// labFlags are the flags of `tweedie lab`: the problem's, and lists for
// the settings that are swept (the steps, η and every method parameter).
type labFlags struct {
	prior, image, op, sampler         string
	sigma                             float64
	noiseSeed                         uint64
	methods, steps, eta               string
	params                            map[string]*string
	seeds, workers, projections       int
	resamples, floorDraws, timePoints int
	firstSeed, seed                   uint64
	out, sweep                        string
	json, counterfactual              bool
	cmd                               *cobra.Command
}

func newLabCmd() *cobra.Command {
	f := &labFlags{params: map[string]*string{}}
	f.cmd = &cobra.Command{
		Use:  "lab",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := f.cmd.Flags()
	addPriorFlag(fs, &f.prior)
	fs.StringVar(&f.image, "image", "0", "ground truth: test image `N` of the prior")
	fs.StringVar(&f.op, "op", "", opHelp+" (default: the prior's; inpaint-box:size=14 for MNIST)")
	fs.Float64Var(&f.sigma, "sigma", 0.05, "measurement noise `σ` > 0 (the exact posterior needs σ > 0)")
	fs.Uint64Var(&f.noiseSeed, "noise-seed", 1, "the `SEED` of the measurement noise")
	cli.SetGroup(fs, groupProblem)
	fs.StringVar(&f.sampler, "sampler", "ddpm", "the sampler `KIND`: ddpm or ddim")
	fs.StringVar(&f.steps, "steps", "1000", "sampling steps, a `LIST`")
	fs.StringVar(&f.eta, "eta", "1", "DDIM's η, a `LIST`")
	cli.SetGroup(fs, groupSampler, "sampler", "steps", "eta")
	fs.StringVar(&f.methods, "methods", "", "the methods to run, a `LIST` (default: every guidance method that serves the problem)")
	cli.SetGroup(fs, groupParams, "methods")
	for _, p := range method.Params() {
		f.params[p.Name] = addParamFlag(f.cmd, p, "", "; a list to sweep")
	}
	fs.IntVar(&f.seeds, "seeds", 100, "runs per method `N` (sampler seeds first-seed … first-seed+N−1)")
	fs.Uint64Var(&f.firstSeed, "first-seed", 1, "the first sampler `SEED`")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "`N` parallel runs")
	fs.Lookup("workers").DefValue = "one per CPU" // help's words for the machine's number
	fs.IntVar(&f.projections, "projections", lab.DefaultProjections, "`N` random directions of the sliced Wasserstein distance")
	fs.IntVar(&f.resamples, "resamples", lab.DefaultResamples, "`N` bootstrap resamples of the 90% intervals")
	fs.IntVar(&f.floorDraws, "floor-draws", lab.DefaultFloorDraws, "`N` exact sample sets of the floor band")
	fs.IntVar(&f.timePoints, "time-points", lab.DefaultTimePoints, "`N` steps per run scored against the exact p_t(x_t|y) (0: none)")
	fs.Uint64Var(&f.seed, "seed", 1, "the `SEED` of the projections, the exact samples and the bootstrap")
	fs.StringVar(&f.sweep, "sweep", "", "run over a grid `NAME=LO:HI:log|lin:N` of a parameter (steps, eta or a method's)")
	fs.BoolVar(&f.counterfactual, "counterfactual", false, "also run each guidance method with its update at the exact size, in the exact direction and along the exact, and report how much of its distance each removes")
	cli.SetGroup(fs, groupLab, "seeds", "first-seed", "workers", "projections", "resamples", "floor-draws", "time-points", "seed", "sweep", "counterfactual")
	addOutFlag(f.cmd, &f.out, "lab.json, CSVs and plots")
	addJSONFlag(f.cmd, &f.json, "print the report as JSON instead of a table")
	completePriors(f.cmd)
	completeMethods(f.cmd, "methods", true)
	completeWords(f.cmd, "op", operator.Names())
	completeWords(f.cmd, "sampler", []string{"ddpm", "ddim"})
	completeSweep(f.cmd)
	return f.cmd
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// plan is the lab's plan on prior pd, test image n, and the problem its
// entries share: the flags' lists, the sweep (nil for none) applied, the
// methods filled in when --methods is not given.
func (f *labFlags) plan(pd *prior.Prior, n int, sw *lab.Sweep) (*lab.Plan, *run.Problem, error) {
	p := &lab.Plan{Base: run.DefaultSettings(), Methods: splitList(f.methods), Params: map[string][]string{}}
	if f.methods != "" && len(p.Methods) == 0 {
		return nil, nil, errors.New("--methods: empty list")
	}
	b := &p.Base
	b.Op = cmp.Or(f.op, pd.DefaultOp, b.Op)
	b.Sigma, b.NoiseSeed = f.sigma, f.noiseSeed
	var err error
	if b.Sampler, err = sampler.ParseKind(f.sampler); err != nil {
		return nil, nil, fmt.Errorf("--sampler: %w", err)
	}
	for _, t := range splitList(f.steps) {
		s, err := strconv.ParseInt(t, 0, strconv.IntSize)
		if err != nil {
			return nil, nil, fmt.Errorf("--steps %q: want whole numbers", t)
		}
		p.Steps = append(p.Steps, int(s))
	}
	for _, t := range splitList(f.eta) {
		eta, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("--eta %q: want numbers in [0, 1]", t)
		}
		p.Etas = append(p.Etas, eta)
	}
	for name, list := range f.params {
		if vals := splitList(*list); len(vals) > 0 {
			p.Params[name] = vals
		}
	}
	if sw != nil {
		if f.cmd.Flags().Changed(sw.Param) {
			return nil, nil, fmt.Errorf("--sweep %s and --%s: give the parameter one way", sw.Param, sw.Param)
		}
		if err := p.ApplySweep(sw); err != nil {
			return nil, nil, err
		}
	}
	op, err := operator.Parse(b.Op, pd.Model.ImageShape())
	if err != nil {
		return nil, nil, fmt.Errorf("--op: %w", err)
	}
	b.Op = op.Name()
	prob, err := b.Problem(pd.Model, pd.Truths[n].Image.Pix)
	if err != nil {
		return nil, nil, err
	}
	if err := p.DefaultMethods(prob); err != nil {
		return nil, nil, err
	}
	var ms []*method.Method
	for _, name := range p.Methods {
		m, err := method.Lookup(name)
		if err != nil {
			return nil, nil, fmt.Errorf("--methods: %w", err)
		}
		ms = append(ms, m)
	}
	return p, prob, refuseParams(f.cmd, ms...)
}

// Bounds of the lab's sizes: the exact reference samples take 2·seeds·d
// numbers, the directions projections·d and the samples of the runs
// runs·d (runs = seeds × the entries the lists sweep), so these are checked
// before anything is allocated. The bootstrap costs resamples ×
// projections × seeds per entry, the floor band floor-draws × seeds exact
// samples, the time-resolved figures time-points × K numbers per run.
const (
	maxLabSeeds       = 10000
	maxLabWorkers     = 256
	maxLabProjections = 4096
	maxLabRuns        = 50000
	maxLabResamples   = 20000
	maxLabFloorDraws  = 1000
	maxLabTimePoints  = 1000
	// maxLabTimeNumbers bounds the time-resolved scores kept until the
	// report (runs × scored steps × components, float32 each).
	maxLabTimeNumbers = 50_000_000
)

// run runs the lab the flags describe.
func (f *labFlags) run(ctx context.Context, stdout, stderr io.Writer) error {
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"--seeds", f.seeds, 2, maxLabSeeds},
		{"--workers", f.workers, 1, maxLabWorkers},
		{"--projections", f.projections, 1, maxLabProjections},
		{"--resamples", f.resamples, 2, maxLabResamples},
		{"--floor-draws", f.floorDraws, 2, maxLabFloorDraws},
		{"--time-points", f.timePoints, 0, maxLabTimePoints},
	} {
		if c.v < c.lo || c.v > c.hi {
			return cli.Usagef("%s %d: want %d to %d", c.name, c.v, c.lo, c.hi)
		}
	}
	var sw *lab.Sweep
	if f.sweep != "" {
		s, err := lab.ParseSweep(f.sweep)
		if err != nil {
			return cli.Usage(err)
		}
		sw = &s
	}
	ctx, stop := signalContext(ctx)
	defer stop()
	pd, err := loadPriorContext(ctx, f.prior)
	switch {
	case ctx.Err() != nil:
		return interrupted(ctx)
	case err != nil:
		return err
	}
	n, err := strconv.Atoi(f.image)
	if err != nil || n < 0 || n >= len(pd.Truths) {
		return cli.Usagef("--image %q: want a test image number in [0, %d)", f.image, len(pd.Truths))
	}
	plan, prob, err := f.plan(pd, n, sw)
	if err != nil {
		return cli.Usage(err)
	}
	// The grid's size before its entries are built: methods × the values
	// listed, each list bounded by its flag's length.
	if sw != nil {
		if runs := len(plan.Methods) * len(sw.Values) * f.seeds; runs > maxLabRuns {
			return cli.Usagef("--sweep: %d methods × %d values × %d seeds = %d runs: want at most %d",
				len(plan.Methods), len(sw.Values), f.seeds, runs, maxLabRuns)
		}
	}
	les, err := plan.Entries(pd.Model, prob)
	if err != nil {
		return cli.Usage(err)
	}
	if f.counterfactual {
		if sw != nil {
			return cli.Usagef("--counterfactual and --sweep: choose one (a sweep's map has no place for the counterfactual runs)")
		}
		les = lab.PlanWithCounterfactuals(les)
	}
	if runs := len(les) * f.seeds; runs > maxLabRuns {
		return cli.Usagef("%d settings × %d seeds = %d runs: want at most %d", len(les), f.seeds, runs, maxLabRuns)
	}
	setup := &report.LabSetup{Prior: pd, Image: n, Entries: les, Sweep: sw, Counterfactual: f.counterfactual}
	if pd.Mixture == nil {
		if sw != nil || f.counterfactual {
			return cli.Usagef("--prior %s has no exact posterior: --sweep and --counterfactual measure against it", f.prior)
		}
		return labNoExact(ctx, f, setup, stdout) // cmd_lab_noexact.go
	}
	if n := len(les) * f.seeds * f.timePoints * len(pd.Mixture.Components); n > maxLabTimeNumbers {
		return cli.Usagef("--time-points %d: %d runs × %d steps × %d components = %d scores to keep: want at most %d (lower --time-points, or 0 for none)",
			f.timePoints, len(les)*f.seeds, f.timePoints, len(pd.Mixture.Components), n, maxLabTimeNumbers)
	}
	entries := setup.Plain()
	timePoints := f.timePoints
	if timePoints == 0 {
		timePoints = -1 // none
	}
	cfg := lab.Config{Prior: pd.Mixture, Truth: pd.Truths[n].Image.Pix, Entries: entries, Seeds: f.seeds,
		FirstSeed: f.firstSeed, Workers: f.workers, Projections: f.projections, Seed: f.seed,
		Resamples: f.resamples, FloorDraws: f.floorDraws, TimePoints: timePoints}
	lb, err := lab.New(ctx, cfg)
	if err != nil {
		return cli.Usage(err)
	}
	var out *export.Dir
	if f.out != "" {
		if out, err = export.PrepareDir(f.out); err != nil {
			return cli.Usage(err)
		}
	}
	bar := progress.New(stderr, "lab", f.seeds*len(entries))
	done := 0
	err = lb.Run(ctx, func(int, int) { done++; bar.Update(done) })
	bar.Finish()
	if err != nil {
		return labFailed(ctx, err, out)
	}
	rep := lb.Report()
	if err := labDone(report.NewLab(rep, setup), f.json, out, stdout); err != nil {
		return err
	}
	return failedRuns(rep.Results, f.seeds, func(r lab.Result) (int, string) { return r.Failed, r.Failure })
}

// failedRuns is nil when no run of a lab's results failed, else the error
// that ends the lab with exit status 1 once its report is written: how
// many of its runs (seeds a result) failed, which the report counts in the
// column "failed", and why the first did.
func failedRuns[R any](results []R, seeds int, failed func(R) (n int, cause string)) error {
	total, first := 0, ""
	for _, r := range results {
		n, cause := failed(r)
		if first == "" {
			first = cause
		}
		total += n
	}
	if total == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d runs failed, counted in the report's \"failed\" column; the first: %s", total, seeds*len(results), first)
}

// labReport is lab.json with or without an exact posterior.
type labReport interface {
	Print(w io.Writer)
	WriteFiles(out *export.Dir) error
}

// labDone prints the report (as JSON with --json) and commits its files
// to out (nil without --out).
func labDone(rep labReport, json bool, out *export.Dir, stdout io.Writer) error {
	if json {
		if err := export.WriteJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		rep.Print(stdout)
	}
	if out != nil {
		err := rep.WriteFiles(out)
		if err == nil {
			err = out.Commit()
		}
		if err != nil {
			out.Abort()
			return err
		}
	}
	return nil
}

// labFailed ends a lab run that stopped with err: the output directory is
// abandoned, and an interrupt exits as one.
func labFailed(ctx context.Context, err error, out *export.Dir) error {
	if out != nil {
		out.Abort()
	}
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	var be *budget.Error
	if errors.As(err, &be) { // refused before any run
		return cli.Usage(err)
	}
	return err
}
