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
	"strconv"
	"strings"
	"text/tabwriter"

	"tweedie/core/guidance"
	"tweedie/core/lab"
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

Lists sweep: --methods pig,dps --zeta 0.1,1 --steps 100,1000 runs ΠG at each
step count and DPS at each (ζ, steps). The same seeds serve every method.

Examples:
  tweedie lab                                          MNIST, centre box, σ = 0.05, ΠG/DPS/oracle, 100 seeds
  tweedie lab --seeds 20 --steps 100 --sampler ddim    quicker
  tweedie lab --prior gmm25:d=8 --op svd:dy=1 --sigma 0.1 --methods pig,dps,oracle --steps 100,1000 --zeta 0.1,1
  tweedie lab --prior gmm25:d=80 --op svd:dy=4 --sigma 1 --out lab80   lab.json and lab.csv in lab80/

`

// labFlags are the flags of `tweedie lab`: the problem's, and lists for the
// settings that are swept.
type labFlags struct {
	prior, image, op, sampler, noiseSeed, eta, sigma string
	methods, steps, zeta, r, weight                  string
	seeds, workers, projections                      int
	firstSeed, seed                                  uint64
	out                                              string
	json                                             bool
}

func addLabFlags(fs *flag.FlagSet) *labFlags {
	f := &labFlags{}
	fs.StringVar(&f.prior, "prior", "mnist", "the prior `NAME[:options]` ("+strings.Join(priorNames(), ", ")+")")
	fs.StringVar(&f.image, "image", "0", "ground truth: test image `N` of the prior")
	fs.StringVar(&f.op, "op", "", "measurement operator `NAME[:key=value,…]` (default: the prior's; inpaint-box:size=14 for MNIST)")
	fs.StringVar(&f.sigma, "sigma", "0.05", "measurement noise `σ` > 0 (the exact posterior needs σ > 0)")
	fs.StringVar(&f.noiseSeed, "noise-seed", "1", "seed of the measurement noise")
	fs.StringVar(&f.sampler, "sampler", "ddpm", "ddpm or ddim")
	fs.StringVar(&f.eta, "eta", "1", "DDIM's `η`")
	fs.StringVar(&f.methods, "methods", "pig,dps,oracle", "methods to run, a `LIST` of pig, dps, oracle, none")
	fs.StringVar(&f.steps, "steps", "1000", "sampling steps, a `LIST`")
	fs.StringVar(&f.zeta, "zeta", "", "DPS step sizes `ζ`, a LIST (default: as published for the operator)")
	fs.StringVar(&f.r, "r", "auto", "ΠG's r_t values, a `LIST` of auto or numbers")
	fs.StringVar(&f.weight, "weight", "1", "ΠG's guidance weight `w`")
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

// entries expands the method and sweep lists into lab entries, checking each
// through the same flags and validation as `tweedie run`.
func (f *labFlags) entries(prior *priorData) ([]lab.Entry, error) {
	op := f.op
	if op == "" {
		op = prior.DefaultOp
	}
	methods := splitList(f.methods)
	if len(methods) == 0 {
		return nil, errors.New("--methods: empty list")
	}
	var es []lab.Entry
	for _, m := range methods {
		method, err := guidance.ParseMethod(m)
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		variants := [][]string{nil} // extra flags per entry
		label := method.Label()
		switch method {
		case guidance.PiG:
			variants = nil
			for _, r := range splitList(f.r) {
				variants = append(variants, []string{"--r", r})
			}
		case guidance.DPS:
			if zs := splitList(f.zeta); len(zs) > 0 {
				variants = nil
				for _, z := range zs {
					variants = append(variants, []string{"--zeta", z})
				}
			}
		}
		for _, v := range variants {
			for _, steps := range splitList(f.steps) {
				args := []string{"--image", f.image, "--sigma", f.sigma, "--sampler", f.sampler, "--eta", f.eta,
					"--method", method.String(), "--steps", steps, "--weight", f.weight}
				if op != "" {
					args = append(args, "--op", op)
				}
				args = append(args, v...)
				fs := newFlagSet("lab")
				pf := addProblemFlags(fs)
				if err := fs.Parse(args); err != nil {
					return nil, err
				}
				pr, err := pf.settings(prior.Factory.ImageShape(), len(prior.Truths))
				if err != nil {
					return nil, err
				}
				s := pr.Settings
				ns, err := strconv.ParseUint(f.noiseSeed, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("--noise-seed %q: want a non-negative integer", f.noiseSeed)
				}
				s.NoiseSeed = ns
				name := label
				switch method {
				case guidance.PiG:
					name += " r=" + v[1]
				case guidance.DPS:
					name += fmt.Sprintf(" ζ=%g", s.Guidance.Zeta)
				}
				es = append(es, lab.Entry{Label: fmt.Sprintf("%s S=%d", name, s.Steps), Settings: s})
			}
		}
	}
	return es, nil
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
	prior, err := loadPriorFlag(f.prior)
	if err != nil {
		return fail(stderr, "lab", err)
	}
	if prior.Mixture == nil {
		return fail(stderr, "lab", usagef("--prior %s is not an exact mixture: the lab needs its exact posterior", f.prior))
	}
	n, err := strconv.Atoi(f.image)
	if err != nil || n < 0 || n >= len(prior.Truths) {
		return fail(stderr, "lab", usagef("--image %q: want a test image number in [0, %d)", f.image, len(prior.Truths)))
	}
	entries, err := f.entries(prior)
	if err != nil {
		return fail(stderr, "lab", usageError{err})
	}
	if runs := len(entries) * f.seeds; runs > maxLabRuns {
		return fail(stderr, "lab", usagef("%d settings × %d seeds = %d runs: want at most %d", len(entries), f.seeds, runs, maxLabRuns))
	}
	cfg := lab.Config{Prior: prior.Mixture, Truth: prior.Truths[n].Image.Pix, Entries: entries, Seeds: f.seeds,
		FirstSeed: f.firstSeed, Workers: f.workers, Projections: f.projections, Seed: f.seed}
	lb, err := lab.New(cfg)
	if err != nil {
		return fail(stderr, "lab", usageError{err})
	}
	var out *outDir
	if f.out != "" {
		if out, err = prepareOutDir(f.out); err != nil {
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
			out.abort()
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "tweedie lab: interrupted")
			return exitInterrupt
		}
		return fail(stderr, "lab", err)
	}
	rep := newLabJSON(lb.Report(), prior, f, entries)
	if f.json {
		if err := writeJSON(stdout, rep); err != nil {
			return fail(stderr, "lab", err)
		}
	} else {
		printLab(stdout, rep)
	}
	if out != nil {
		err := out.write("lab.json", func(w io.Writer) error { return writeJSON(w, rep) })
		if err == nil {
			err = out.write("lab.csv", func(w io.Writer) error { return writeLabCSV(w, rep) })
		}
		if err == nil {
			err = out.commit()
		}
		if err != nil {
			out.abort()
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
	SWFloor       jsonFloat       `json:"sw_floor"`
	TVFloor       jsonFloat       `json:"tv_floor"`
	CoverageFloor jsonFloat       `json:"coverage_floor"`
	Weights       []jsonFloat     `json:"posterior_weights"`
	Labels        []string        `json:"component_labels,omitempty"`
	Results       []labResultJSON `json:"results"`
}

type labResultJSON struct {
	Label         string      `json:"label"`
	Method        string      `json:"method"`
	Steps         int         `json:"steps"`
	Zeta          float64     `json:"zeta"`
	R             string      `json:"r"`
	Runs          int         `json:"runs"`
	Diverged      jsonFloat   `json:"diverged_fraction"`
	TV            jsonFloat   `json:"tv"`
	SW            jsonFloat   `json:"sliced_wasserstein"`
	PSNR          jsonFloat   `json:"mean_psnr"`
	Coverage      jsonFloat   `json:"coverage"`
	TruthCoverage jsonFloat   `json:"truth_coverage"`
	Frequencies   []jsonFloat `json:"frequencies"`
}

func newLabJSON(rep *lab.Report, prior *priorData, f *labFlags, entries []lab.Entry) *labJSON {
	n, _ := strconv.Atoi(f.image)
	s0 := entries[0].Settings
	out := &labJSON{Prior: f.prior, Op: s0.Op, Sigma: s0.Sigma, Image: prior.Truths[n].Name, Seeds: rep.Seeds,
		Projections: rep.Projections, SWFloor: jsonFloat(rep.SWFloor), TVFloor: jsonFloat(rep.TVFloor),
		CoverageFloor: jsonFloat(rep.CoverageFloor), Weights: jsonFloats(rep.Weights),
		Labels: prior.ComponentLabels}
	for i, r := range rep.Results {
		s := entries[i].Settings
		rStr := "auto"
		if !s.Guidance.RAuto {
			rStr = strconv.FormatFloat(s.Guidance.R, 'g', -1, 64)
		}
		out.Results = append(out.Results, labResultJSON{
			Label: r.Label, Method: s.Guidance.Method.String(), Steps: s.Steps, Zeta: s.Guidance.Zeta, R: rStr,
			Runs: r.Runs, Diverged: jsonFloat(r.Diverged), TV: jsonFloat(r.TV), SW: jsonFloat(r.SW),
			PSNR: jsonFloat(r.PSNR), Coverage: jsonFloat(r.Coverage), TruthCoverage: jsonFloat(r.TruthCoverage),
			Frequencies: jsonFloats(r.Frequencies),
		})
	}
	return out
}

func fmtNum(v jsonFloat, format string) string {
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
	fmt.Fprintln(tw, "method\truns\tdiv\tTV\tSW\tPSNR\tcover\ttruth\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Label, r.Runs, fmtNum(r.Diverged, "%.2f"),
			fmtNum(r.TV, "%.3f"), fmtNum(r.SW, "%.3f"), fmtNum(r.PSNR, "%.2f"), fmtNum(r.Coverage, "%.3f"),
			fmtNum(r.TruthCoverage, "%.3f"))
	}
	fmt.Fprintf(tw, "exact (floor)\t%d\t\t%s\t%s\t\t%s\t\t\n", rep.Seeds, fmtNum(rep.TVFloor, "%.3f"),
		fmtNum(rep.SWFloor, "%.3f"), fmtNum(rep.CoverageFloor, "%.3f"))
	tw.Flush()
}

// writeLabCSV writes one row per method.
func writeLabCSV(w io.Writer, rep *labJSON) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"label", "method", "steps", "zeta", "r", "runs", "diverged_fraction", "tv", "tv_floor",
		"sliced_wasserstein", "sw_floor", "mean_psnr", "coverage", "coverage_floor", "truth_coverage"})
	for _, r := range rep.Results {
		cw.Write([]string{r.Label, r.Method, strconv.Itoa(r.Steps), csvFloat(r.Zeta), r.R, strconv.Itoa(r.Runs),
			csvFloat(float64(r.Diverged)), csvFloat(float64(r.TV)), csvFloat(float64(rep.TVFloor)),
			csvFloat(float64(r.SW)), csvFloat(float64(rep.SWFloor)), csvFloat(float64(r.PSNR)),
			csvFloat(float64(r.Coverage)), csvFloat(float64(rep.CoverageFloor)), csvFloat(float64(r.TruthCoverage))})
	}
	cw.Flush()
	return cw.Error()
}
