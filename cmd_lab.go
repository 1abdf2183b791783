package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/prior"
)

const labHelp = `tweedie lab — measure ΠG and DPS against the exact posterior

Usage:
  tweedie lab [flags]

For one problem, runs N seeds of each method (and of each setting in a
sweep) in parallel on all cores, and reports per method:
  TV        total-variation distance between the frequencies of the mixture
            components the samples reach and the exact posterior weights
  SW        sliced Wasserstein-2 distance to as many exact posterior samples
            (--projections random directions)
  floor     the TV, SW and coverage of a second set of exact posterior samples of
            the same size: what an exact sampler scores with this many seeds
  PSNR      mean PSNR of the samples against the ground truth
  cover     exact posterior mass inside the samples' per-pixel 90% intervals
            (0.90 for an exact sampler with many seeds, a little less with few);
            "truth" the fraction of ground-truth pixels inside them
  div       the fraction of runs that diverged (left out of the others)

Without an exact posterior (--prior remote:CMD, a served model) the lab
reports what it can: div, PSNR, the residual ‖y − A(x)‖ beside σ·√m, the
per-pixel spread of the samples and the NFE; remote:workers=N:CMD spreads
the seeds over N worker processes, with the same report whatever N.

Lists sweep: --methods pig,dps --zeta 0.1,1 --steps 100,1000 runs ΠG at each
step count and DPS at each (ζ, steps); every method parameter takes a list.
The same seeds serve every method. Without --methods, every guidance method
that serves the problem runs.

Examples:
  tweedie lab                                          MNIST, centre box, σ = 0.05, every method, 100 seeds
  tweedie lab --seeds 20 --steps 100 --sampler ddim    quicker
  tweedie lab --prior gmm25:d=8 --op svd:dy=1 --sigma 0.1 --methods pig,dps,oracle --steps 100,1000 --zeta 0.1,1
  tweedie lab --prior gmm25:d=80 --op svd:dy=4 --sigma 1 --out lab80   lab.json and lab.csv in lab80/

`

// labFlags are the flags of `tweedie lab`: the problem's, and lists for
// the settings that are swept (the steps and every method parameter).
type labFlags struct {
	prior, image, op, sampler, noiseSeed, eta, sigma string
	methods, steps                                   string
	params                                           map[string]*string
	seeds, workers, projections                      int
	firstSeed, seed                                  uint64
	out                                              string
	json                                             bool
}

func addLabFlags(fs *flag.FlagSet) *labFlags {
	f := &labFlags{params: map[string]*string{}}
	fs.StringVar(&f.prior, "prior", "mnist", "the prior `NAME[:options]` ("+strings.Join(prior.Names(), ", ")+")")
	fs.StringVar(&f.image, "image", "0", "ground truth: test image `N` of the prior")
	fs.StringVar(&f.op, "op", "", "measurement operator `NAME[:key=value,…]` (default: the prior's; inpaint-box:size=14 for MNIST)")
	fs.StringVar(&f.sigma, "sigma", "0.05", "measurement noise `σ` > 0 (the exact posterior needs σ > 0)")
	fs.StringVar(&f.noiseSeed, "noise-seed", "1", "seed of the measurement noise")
	fs.StringVar(&f.sampler, "sampler", "ddpm", "ddpm or ddim")
	fs.StringVar(&f.eta, "eta", "1", "DDIM's `η`")
	fs.StringVar(&f.methods, "methods", "", "methods to run, a `LIST` of "+strings.Join(method.Names(), ", ")+" (default: every guidance method that serves the problem)")
	fs.StringVar(&f.steps, "steps", "1000", "sampling steps, a `LIST`")
	for _, p := range method.Params() {
		f.params[p.Name] = fs.String(p.Name, "", paramHelp(p)+"; a `LIST` to sweep")
	}
	fs.IntVar(&f.seeds, "seeds", 100, "runs per method `N` (sampler seeds first-seed … first-seed+N−1)")
	fs.Uint64Var(&f.firstSeed, "first-seed", 1, "the first sampler `seed`")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "parallel runs")
	fs.IntVar(&f.projections, "projections", lab.DefaultProjections, "random directions of the sliced Wasserstein distance")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the exact reference samples and the projections")
	fs.StringVar(&f.out, "out", "", "write lab.json and lab.csv to `DIR`")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON instead of a table")
	return f
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// sweeps returns, for a method, every combination of the values listed
// for its parameters (flag arguments, "--name value" pairs) and the names
// of the parameters swept over more than one value.
func (f *labFlags) sweeps(m *method.Method) (combos [][]string, swept []string) {
	combos = [][]string{nil}
	for _, p := range m.Params {
		vals := splitList(*f.params[p.Name])
		if len(vals) == 0 {
			continue
		}
		if len(vals) > 1 {
			swept = append(swept, p.Name)
		}
		var next [][]string
		for _, c := range combos {
			for _, v := range vals {
				next = append(next, append(append([]string(nil), c...), "--"+p.Name, v))
			}
		}
		combos = next
	}
	return combos, swept
}

// entries expands the method and sweep lists into lab entries, checking each
// through the same flags and validation as `tweedie run`.
func (f *labFlags) entries(pd *prior.Prior) ([]lab.Entry, error) {
	op := f.op
	if op == "" {
		op = pd.DefaultOp
	}
	ns, err := strconv.ParseUint(f.noiseSeed, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("--noise-seed %q: want a non-negative integer", f.noiseSeed)
	}
	methods := splitList(f.methods)
	if f.methods != "" && len(methods) == 0 {
		return nil, errors.New("--methods: empty list")
	}
	var es []lab.Entry
	for _, name := range methods {
		m, err := method.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		combos, swept := f.sweeps(m)
		for _, c := range combos {
			for _, steps := range splitList(f.steps) {
				args := []string{"--image", f.image, "--sigma", f.sigma, "--sampler", f.sampler, "--eta", f.eta,
					"--method", m.Name, "--steps", steps}
				if op != "" {
					args = append(args, "--op", op)
				}
				fs := newFlagSet("lab")
				pf := addProblemFlags(fs)
				if err := fs.Parse(append(args, c...)); err != nil {
					return nil, err
				}
				pr, err := pf.settings(pd)
				if err != nil {
					return nil, err
				}
				s := pr.Settings
				s.NoiseSeed = ns
				prob, err := s.Problem(pd.Model, pd.Truths[pr.Image].Image.Pix)
				if err != nil {
					return nil, err
				}
				v, err := m.Resolve(s.Params, prob.Op)
				if err != nil {
					return nil, err
				}
				if err := m.Serves(prob.Offer, v); err != nil {
					return nil, err
				}
				es = append(es, lab.Entry{Label: fmt.Sprintf("%s S=%d", m.Describe(v, swept...), s.Steps), Settings: s, Values: v})
			}
		}
	}
	return es, nil
}

// defaultMethods are the guidance methods that serve the lab's problem.
func (f *labFlags) defaultMethods(pd *prior.Prior) error {
	if f.methods != "" {
		return nil
	}
	fs := newFlagSet("lab")
	pf := addProblemFlags(fs)
	args := []string{"--image", f.image, "--sigma", f.sigma}
	if op := cmpOr(f.op, pd.DefaultOp); op != "" {
		args = append(args, "--op", op)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	pr, err := pf.settings(pd)
	if err != nil {
		return err
	}
	prob, err := pr.Settings.Problem(pd.Model, pd.Truths[pr.Image].Image.Pix)
	if err != nil {
		return err
	}
	var names []string
	for _, m := range method.Available(prob.Offer) {
		if !m.Baseline {
			names = append(names, m.Name)
		}
	}
	f.methods = strings.Join(names, ",")
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Bounds of the lab's sizes: the exact reference samples take 2·seeds·d
// numbers, the directions projections·d and the samples of the runs
// runs·d (runs = seeds × the entries the lists sweep), so these are checked
// before anything is allocated.
const (
	maxLabSeeds       = 10000
	maxLabWorkers     = 256
	maxLabProjections = 4096
	maxLabRuns        = 50000
)

func cmdLab(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie lab")
	f := addLabFlags(fs)
	if status, done := parseNoArgs(fs, args, "lab", labHelp, stdout, stderr); done {
		return status
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"--seeds", f.seeds, 2, maxLabSeeds},
		{"--workers", f.workers, 1, maxLabWorkers},
		{"--projections", f.projections, 1, maxLabProjections},
	} {
		if c.v < c.lo || c.v > c.hi {
			return fail(stderr, "lab", usagef("%s %d: want %d to %d", c.name, c.v, c.lo, c.hi))
		}
	}
	pd, err := loadPrior(f.prior)
	if err != nil {
		return fail(stderr, "lab", err)
	}
	n, err := strconv.Atoi(f.image)
	if err != nil || n < 0 || n >= len(pd.Truths) {
		return fail(stderr, "lab", usagef("--image %q: want a test image number in [0, %d)", f.image, len(pd.Truths)))
	}
	if err := f.defaultMethods(pd); err != nil {
		return fail(stderr, "lab", usageError{err})
	}
	entries, err := f.entries(pd)
	if err != nil {
		return fail(stderr, "lab", usageError{err})
	}
	if runs := len(entries) * f.seeds; runs > maxLabRuns {
		return fail(stderr, "lab", usagef("%d settings × %d seeds = %d runs: want at most %d", len(entries), f.seeds, runs, maxLabRuns))
	}
	if pd.Mixture == nil {
		return labNoExact(f, pd, entries, stdout, stderr) // cmd_lab_noexact.go
	}
	cfg := lab.Config{Prior: pd.Mixture, Truth: pd.Truths[n].Image.Pix, Entries: entries, Seeds: f.seeds,
		FirstSeed: f.firstSeed, Workers: f.workers, Projections: f.projections, Seed: f.seed}
	lb, err := lab.New(cfg)
	if err != nil {
		return fail(stderr, "lab", usageError{err})
	}
	var out *export.Dir
	if f.out != "" {
		if out, err = export.PrepareDir(f.out); err != nil {
			return fail(stderr, "lab", usageError{err})
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgressBar(stderr, "lab", f.seeds*len(entries))
	done := 0
	err = lb.Run(ctx, func(int, int) { done++; bar.update(done) })
	bar.finish()
	if err != nil {
		if out != nil {
			out.Abort()
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "tweedie lab: interrupted")
			return exitInterrupt
		}
		return fail(stderr, "lab", err)
	}
	rep := newLabJSON(lb.Report(), pd, f, entries)
	if f.json {
		if err := export.WriteJSON(stdout, rep); err != nil {
			return fail(stderr, "lab", err)
		}
	} else {
		printLab(stdout, rep)
	}
	if out != nil {
		err := out.Write("lab.json", func(w io.Writer) error { return export.WriteJSON(w, rep) })
		if err == nil {
			err = out.Write("lab.csv", func(w io.Writer) error { return writeLabCSV(w, rep) })
		}
		if err == nil {
			err = out.Commit()
		}
		if err != nil {
			out.Abort()
			return fail(stderr, "lab", err)
		}
	}
	return exitOK
}

// labJSON is the lab report as written: NaN (no converged run) as null.
type labJSON struct {
	Prior         string          `json:"prior"`
	Op            string          `json:"op"`
	Sigma         float64         `json:"sigma"`
	Image         string          `json:"image"`
	Seeds         int             `json:"seeds"`
	Projections   int             `json:"projections"`
	SWFloor       export.Float    `json:"sw_floor"`
	TVFloor       export.Float    `json:"tv_floor"`
	CoverageFloor export.Float    `json:"coverage_floor"`
	Weights       []export.Float  `json:"posterior_weights"`
	Labels        []string        `json:"component_labels,omitempty"`
	Results       []labResultJSON `json:"results"`
}

type labResultJSON struct {
	Label         string         `json:"label"`
	Method        string         `json:"method"`
	Steps         int            `json:"steps"`
	Params        method.Values  `json:"params"`
	Runs          int            `json:"runs"`
	Diverged      export.Float   `json:"diverged_fraction"`
	TV            export.Float   `json:"tv"`
	SW            export.Float   `json:"sliced_wasserstein"`
	PSNR          export.Float   `json:"mean_psnr"`
	Coverage      export.Float   `json:"coverage"`
	TruthCoverage export.Float   `json:"truth_coverage"`
	Frequencies   []export.Float `json:"frequencies"`
	NFE           float64        `json:"nfe"`
	VJPs          float64        `json:"vjps"`
	// Rank orders the results by their distance to the exact posterior
	// (SW, then TV), 1 the closest.
	Rank int `json:"rank"`
}

func newLabJSON(rep *lab.Report, prior *prior.Prior, f *labFlags, entries []lab.Entry) *labJSON {
	n, _ := strconv.Atoi(f.image)
	s0 := entries[0].Settings
	out := &labJSON{Prior: f.prior, Op: s0.Op, Sigma: s0.Sigma, Image: prior.Truths[n].Name, Seeds: rep.Seeds,
		Projections: rep.Projections, SWFloor: export.Float(rep.SWFloor), TVFloor: export.Float(rep.TVFloor),
		CoverageFloor: export.Float(rep.CoverageFloor), Weights: export.Floats(rep.Weights),
		Labels: prior.ComponentLabels}
	for i, r := range rep.Results {
		s := entries[i].Settings
		out.Results = append(out.Results, labResultJSON{
			Label: r.Label, Method: s.Method, Steps: s.Steps, Params: entries[i].Values,
			Runs: r.Runs, Diverged: export.Float(r.Diverged), TV: export.Float(r.TV), SW: export.Float(r.SW),
			PSNR: export.Float(r.PSNR), Coverage: export.Float(r.Coverage), TruthCoverage: export.Float(r.TruthCoverage),
			Frequencies: export.Floats(r.Frequencies), NFE: r.NFE, VJPs: r.VJPs,
		})
	}
	for rank, i := range rep.Ranked() {
		out.Results[i].Rank = rank + 1
	}
	return out
}

func fmtNum(v export.Float, format string) string {
	if math.IsNaN(float64(v)) {
		return "—"
	}
	return fmt.Sprintf(format, float64(v))
}

// printLab writes the report as an aligned table.
func printLab(w io.Writer, rep *labJSON) {
	fmt.Fprintf(w, "lab · %s · %s · σ = %g · %s · %d seeds · SW over %d projections\n",
		rep.Prior, rep.Op, rep.Sigma, rep.Image, rep.Seeds, rep.Projections)
	fmt.Fprint(w, "exact posterior weights:")
	for k, p := range rep.Weights {
		if p >= 0.001 {
			name := strconv.Itoa(k)
			if rep.Labels != nil {
				name = rep.Labels[k]
			}
			fmt.Fprintf(w, "  %s: %.3f", name, float64(p))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tmethod\truns\tdiv\tTV\tSW\tPSNR\tcover\ttruth\tNFE\tVJPs\t")
	ranked := make([]labResultJSON, len(rep.Results))
	for _, r := range rep.Results {
		ranked[r.Rank-1] = r
	}
	for _, r := range ranked {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t\n", r.Rank, r.Label, r.Runs, fmtNum(r.Diverged, "%.2f"),
			fmtNum(r.TV, "%.3f"), fmtNum(r.SW, "%.3f"), fmtNum(r.PSNR, "%.2f"), fmtNum(r.Coverage, "%.3f"),
			fmtNum(r.TruthCoverage, "%.3f"), r.NFE, r.VJPs)
	}
	fmt.Fprintf(tw, "\texact (floor)\t%d\t\t%s\t%s\t\t%s\t\t\t\t\n", rep.Seeds, fmtNum(rep.TVFloor, "%.3f"),
		fmtNum(rep.SWFloor, "%.3f"), fmtNum(rep.CoverageFloor, "%.3f"))
	tw.Flush()
}

// writeLabCSV writes one row per method.
func writeLabCSV(w io.Writer, rep *labJSON) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rank", "label", "method", "steps", "params", "nfe", "vjps", "runs", "diverged_fraction", "tv", "tv_floor",
		"sliced_wasserstein", "sw_floor", "mean_psnr", "coverage", "coverage_floor", "truth_coverage"})
	for _, r := range rep.Results {
		cw.Write([]string{strconv.Itoa(r.Rank), r.Label, r.Method, strconv.Itoa(r.Steps), formatParams(r.Params),
			export.CSVFloat(r.NFE), export.CSVFloat(r.VJPs), strconv.Itoa(r.Runs),
			export.CSVFloat(float64(r.Diverged)), export.CSVFloat(float64(r.TV)), export.CSVFloat(float64(rep.TVFloor)),
			export.CSVFloat(float64(r.SW)), export.CSVFloat(float64(rep.SWFloor)), export.CSVFloat(float64(r.PSNR)),
			export.CSVFloat(float64(r.Coverage)), export.CSVFloat(float64(rep.CoverageFloor)), export.CSVFloat(float64(r.TruthCoverage))})
	}
	cw.Flush()
	return cw.Error()
}

// formatParams is parameter values as "name=value" pairs, sorted.
func formatParams(v method.Values) string {
	var kv []string
	for k, x := range v {
		kv = append(kv, k+"="+x)
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}
