package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/core/metrics"
	"tweedie/core/operator"
)

const posteriorHelp = `tweedie posterior — the exact posterior p(x0|y) of a problem

Usage:
  tweedie posterior [flags]

For an exact Gaussian-mixture prior, a linear operator and σ > 0 the
posterior is again a mixture, p(x0|y) = Σ_k π'_k·N(m'_k, Σ'_k). This prints
each component's prior and posterior weight (with the class it models when
the prior has one component per class, found from labelled data), the PSNR
of the posterior mean, and the spread of the posterior standard deviation.
The problem flags are the explorer's and tweedie run's; the sampler and
guidance flags are accepted and ignored, --seed seeds the samples.

Files in --out DIR (all-or-nothing, as for tweedie run):
  mean.png        E[x0|y]
  std.png         the per-pixel posterior standard deviation, black = 0,
                  white = its maximum (std_max in posterior.json)
  samples.png     --samples exact posterior samples in a grid, 8 a row
  truth.png, measurement.png
  weights.csv     component,label,prior_weight,posterior_weight
  posterior.json  the same numbers, the samples' components, PSNRs

Examples:
  tweedie posterior                                  digit 0, centre box, σ = 0.05
  tweedie posterior --image 42 --op inpaint-half --out post42
  tweedie posterior --op sr:factor=4 --sigma 0.1 --samples 16 --out sr4post
  tweedie posterior --json | jq '.weights'

`

// maxPosteriorSamples bounds --samples: the samples and their grid in
// samples.png are allocated at once.
const maxPosteriorSamples = 1000

func cmdPosterior(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie posterior")
	pf := addProblemFlags(fs)
	prior := addPriorFlag(fs)
	out := fs.String("out", "", "write mean.png, std.png, samples.png, weights.csv and posterior.json to `DIR`")
	samples := fs.Int("samples", 8, "number `N` of exact posterior samples in samples.png (0 for none)")
	jsonOut := fs.Bool("json", false, "print posterior.json to stdout instead of the table")
	if status, done := parseNoArgs(fs, args, "posterior", posteriorHelp, stdout, stderr); done {
		return status
	}
	if *samples < 0 || *samples > maxPosteriorSamples {
		return fail(stderr, "posterior", usagef("--samples %d: want 0 ≤ N ≤ %d", *samples, maxPosteriorSamples))
	}
	st, err := setupProblem(pf, *prior)
	if err != nil {
		return fail(stderr, "posterior", err)
	}
	mix := st.Prior.Mixture
	lin, isLin := st.Prob.Op.(operator.Linear)
	switch {
	case mix == nil:
		return fail(stderr, "posterior", usagef("prior %s is not an exact mixture: no closed-form posterior", st.Prior.Spec))
	case !isLin || !lin.Linear():
		return fail(stderr, "posterior", usagef("operator %s is nonlinear: the exact posterior needs a linear operator", st.Prob.Op.Name()))
	case st.Prob.Sigma <= 0:
		return fail(stderr, "posterior", usagef("σ = 0: the exact posterior needs σ > 0"))
	}
	post, err := mix.Posterior(lin, st.Prob.Y, st.Prob.Sigma)
	if err != nil {
		return fail(stderr, "posterior", usageError{err})
	}
	rng := rand.New(rand.NewPCG(pf.seed, 0x9e3779b97f4a7c15))
	draws := make([][]float64, *samples)
	comps := make([]int, *samples)
	for i := range draws {
		draws[i], comps[i] = post.Sample(make([]float64, mix.Dim()), rng)
	}
	sum := posteriorSummary(st, mix, post, comps)

	if *out != "" {
		od, err := export.PrepareDir(*out)
		if err != nil {
			return fail(stderr, "posterior", usageError{err})
		}
		if err := writePosteriorFiles(od, st, post, draws, sum); err != nil {
			od.Abort()
			return fail(stderr, "posterior", fmt.Errorf("--out %s: %w", *out, err))
		}
		if err := od.Commit(); err != nil {
			od.Abort()
			return fail(stderr, "posterior", fmt.Errorf("--out %s: %w", *out, err))
		}
	}
	if *jsonOut {
		if err := export.WriteJSON(stdout, sum); err != nil {
			return fail(stderr, "posterior", err)
		}
		return exitOK
	}
	printPosterior(stdout, sum)
	if *out != "" {
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	return exitOK
}

// posteriorJSON is posterior.json.
type posteriorJSON struct {
	Prior     string       `json:"prior"`
	Image     string       `json:"image"`
	Op        string       `json:"op"`
	Sigma     export.Float `json:"sigma"`
	NoiseSeed uint64       `json:"noise_seed"`
	// Labels[k] names component k's class; absent when the prior has no
	// one-to-one component–class mapping.
	Labels           []string       `json:"labels,omitempty"`
	PriorWeights     []export.Float `json:"prior_weights"`
	Weights          []export.Float `json:"weights"`
	MeanPSNR         export.Float   `json:"mean_psnr"`
	MeanSSIM         export.Float   `json:"mean_ssim"`
	StdMax           export.Float   `json:"std_max"`
	StdMean          export.Float   `json:"std_mean"`
	Seed             uint64         `json:"seed"`
	SampleComponents []int          `json:"sample_components"`
}

func posteriorSummary(st *problemSetup, mix *gmm.Mixture, post *gmm.Posterior, comps []int) *posteriorJSON {
	s := &posteriorJSON{
		Prior: st.Prior.Spec, Image: st.TruthName, Op: st.Prob.Op.Name(), Sigma: export.Float(st.Prob.Sigma),
		NoiseSeed: st.Problem.Settings.NoiseSeed, Labels: st.Prior.ComponentLabels,
		Weights:  export.Floats(post.Weights),
		MeanPSNR: export.Float(metrics.PSNR(post.Mean, st.Truth)),
		MeanSSIM: export.Float(safeSSIM(post.Mean, st.Truth, st.Prob.Shape())),
		Seed:     st.Config.Seed, SampleComponents: comps,
	}
	for _, c := range mix.Components {
		s.PriorWeights = append(s.PriorWeights, export.Float(c.Weight))
	}
	hi, total := 0.0, 0.0
	for _, v := range post.Std {
		hi = math.Max(hi, v)
		total += v
	}
	s.StdMax, s.StdMean = export.Float(hi), export.Float(total/float64(len(post.Std)))
	return s
}

func printPosterior(w io.Writer, s *posteriorJSON) {
	fmt.Fprintf(w, "exact posterior p(x0|y) · %s · σ = %g · %s\n", s.Op, float64(s.Sigma), s.Image)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if s.Labels != nil {
		fmt.Fprintln(tw, "component\tlabel\tprior π_k\tposterior π'_k\t")
	} else {
		fmt.Fprintln(tw, "component\tprior π_k\tposterior π'_k\t")
	}
	for k, wk := range s.Weights {
		if s.Labels != nil {
			fmt.Fprintf(tw, "%d\t%s\t%.4f\t%.4f\t\n", k, s.Labels[k], float64(s.PriorWeights[k]), float64(wk))
		} else {
			fmt.Fprintf(tw, "%d\t%.4f\t%.4f\t\n", k, float64(s.PriorWeights[k]), float64(wk))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "posterior mean: PSNR %.2f dB, SSIM %.3f; posterior std: mean %.3f, max %.3f\n",
		float64(s.MeanPSNR), float64(s.MeanSSIM), float64(s.StdMean), float64(s.StdMax))
}

func writePosteriorFiles(od *export.Dir, st *problemSetup, post *gmm.Posterior, draws [][]float64, sum *posteriorJSON) error {
	shape := st.Prob.Shape()
	scale := imgio.ViewScale(shape)
	// std in [0, max] → [−1, 1] so 0 is black and the largest white.
	stdIm := img.Image{Shape: shape, Pix: make([]float64, len(post.Std))}
	for i, v := range post.Std {
		if m := float64(sum.StdMax); m > 0 {
			stdIm.Pix[i] = 2*v/m - 1
		} else {
			stdIm.Pix[i] = -1
		}
	}
	measured := st.Prob.Op.Display(st.Prob.Y)
	pngs := []struct {
		name string
		im   img.Image
	}{
		{"mean.png", img.Image{Shape: shape, Pix: post.Mean}},
		{"std.png", stdIm},
		{"truth.png", img.Image{Shape: shape, Pix: st.Truth}},
		{"measurement.png", measured},
	}
	for _, p := range pngs {
		if err := od.Write(p.name, func(w io.Writer) error {
			return imgio.WritePNG(w, imgio.RGBA(p.im, imgio.ViewScale(p.im.Shape)))
		}); err != nil {
			return err
		}
	}
	if len(draws) > 0 {
		ims := make([]img.Image, len(draws))
		for i, x := range draws {
			ims[i] = img.Image{Shape: shape, Pix: x}
		}
		if err := od.Write("samples.png", func(w io.Writer) error {
			return imgio.WritePNG(w, imgio.Grid(ims, 8, scale))
		}); err != nil {
			return err
		}
	}
	if err := od.Write("weights.csv", func(w io.Writer) error {
		if _, err := fmt.Fprintln(w, "component,label,prior_weight,posterior_weight"); err != nil {
			return err
		}
		for k, wk := range sum.Weights {
			label := ""
			if sum.Labels != nil {
				label = sum.Labels[k]
			}
			if _, err := fmt.Fprintf(w, "%d,%s,%s,%s\n", k, label, export.CSVFloat(float64(sum.PriorWeights[k])), export.CSVFloat(float64(wk))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return od.Write("posterior.json", func(w io.Writer) error { return export.WriteJSON(w, sum) })
}
