package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"

	"tweedie/core/export"
	"tweedie/core/finite"
	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/imgio"
	"tweedie/core/metrics"
	"tweedie/core/operator"
)

// MaxPosteriorSamples bounds the samples of a Posterior: they and their
// grid in samples.png are allocated at once.
const MaxPosteriorSamples = 1000

// Posterior is the exact posterior p(x0|y) of a case, with samples drawn
// from it.
type Posterior struct {
	Case *Case
	Post *gmm.Posterior
	// Draws are the samples; Summary is posterior.json.
	Draws   [][]float64
	Summary *PosteriorSummary
}

// NewPosterior computes the exact posterior of c and draws n samples from
// it, seeded by c.Config.Seed. Its errors say why c has no exact
// posterior (run.Problem.HasExact) or why it could not be computed, or
// are ctx's when ctx ends first.
func NewPosterior(ctx context.Context, c *Case, n int) (*Posterior, error) {
	if n < 0 || n > MaxPosteriorSamples {
		return nil, fmt.Errorf("%d samples: want 0 ≤ N ≤ %d", n, MaxPosteriorSamples)
	}
	mix := c.mixture()
	if mix == nil {
		return nil, errors.New("no exact posterior: " + c.Prob.Offer.NoExact)
	}
	post, err := mix.Posterior(ctx, c.Prob.Op.(operator.Linear), c.Prob.Y, c.Prob.Sigma)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.Config.Seed, 0x9e3779b97f4a7c15))
	p := &Posterior{Case: c, Post: post, Draws: make([][]float64, n)}
	comps := make([]int, n)
	for i := range p.Draws {
		p.Draws[i], comps[i] = post.Sample(make([]float64, mix.Dim()), rng)
	}
	p.Summary = newPosteriorSummary(c, mix, post, comps)
	return p, nil
}

// PosteriorSummary is posterior.json.
type PosteriorSummary struct {
	Prior     string       `json:"prior"`
	Image     string       `json:"image"`
	Op        string       `json:"op"`
	Sigma     finite.Float `json:"sigma"`
	NoiseSeed uint64       `json:"noise_seed"`
	// Labels[k] names component k's class; absent when the prior has no
	// one-to-one component–class mapping.
	Labels           []string       `json:"labels,omitempty"`
	PriorWeights     []finite.Float `json:"prior_weights"`
	Weights          []finite.Float `json:"weights"`
	MeanPSNR         finite.Float   `json:"mean_psnr"`
	MeanSSIM         finite.Float   `json:"mean_ssim"`
	StdMax           finite.Float   `json:"std_max"`
	StdMean          finite.Float   `json:"std_mean"`
	Seed             uint64         `json:"seed"`
	SampleComponents []int          `json:"sample_components"`
}

func newPosteriorSummary(c *Case, mix *gmm.Mixture, post *gmm.Posterior, comps []int) *PosteriorSummary {
	s := &PosteriorSummary{
		Prior: c.Prior.Spec, Image: c.TruthName, Op: c.Prob.Op.Name(), Sigma: finite.Float(c.Prob.Sigma),
		NoiseSeed: c.NoiseSeed, Labels: c.Prior.ComponentLabels,
		Weights:  finite.Floats(post.Weights),
		MeanPSNR: finite.Float(metrics.PSNR(post.Mean, c.Truth)),
		MeanSSIM: finite.Float(safeSSIM(post.Mean, c.Truth, c.Prob.Shape())),
		Seed:     c.Config.Seed, SampleComponents: comps,
	}
	for _, comp := range mix.Components {
		s.PriorWeights = append(s.PriorWeights, finite.Float(comp.Weight))
	}
	hi, total := 0.0, 0.0
	for _, v := range post.Std {
		hi = math.Max(hi, v)
		total += v
	}
	s.StdMax, s.StdMean = finite.Float(hi), finite.Float(total/float64(len(post.Std)))
	return s
}

// Print writes the summary as a table of the components' weights and a
// line of the mean's PSNR and SSIM and the spread of the std.
func (s *PosteriorSummary) Print(w io.Writer) {
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

// WriteFiles writes mean.png, std.png, samples.png (when there are
// samples), truth.png, measurement.png, weights.csv and posterior.json.
func (p *Posterior) WriteFiles(od *export.Dir) error {
	c, sum := p.Case, p.Summary
	shape := c.Prob.Shape()
	// std in [0, max] → [−1, 1] so 0 is black and the largest white.
	stdIm := img.Image{Shape: shape, Pix: make([]float64, len(p.Post.Std))}
	for i, v := range p.Post.Std {
		if m := float64(sum.StdMax); m > 0 {
			stdIm.Pix[i] = 2*v/m - 1
		} else {
			stdIm.Pix[i] = -1
		}
	}
	if err := writeImages(od, []namedImage{
		{"mean.png", img.Image{Shape: shape, Pix: p.Post.Mean}},
		{"std.png", stdIm},
		{"truth.png", img.Image{Shape: shape, Pix: c.Truth}},
		{"measurement.png", c.Prob.Op.Display(c.Prob.Y)},
	}); err != nil {
		return err
	}
	if len(p.Draws) > 0 {
		ims := make([]img.Image, len(p.Draws))
		for i, x := range p.Draws {
			ims[i] = img.Image{Shape: shape, Pix: x}
		}
		if err := od.Write("samples.png", func(w io.Writer) error {
			return imgio.WritePNG(w, imgio.Grid(ims, 8, imgio.ViewScale(shape)))
		}); err != nil {
			return err
		}
	}
	if err := od.Write("weights.csv", sum.writeWeightsCSV); err != nil {
		return err
	}
	return od.Write("posterior.json", func(w io.Writer) error { return export.WriteJSON(w, sum) })
}

// writeWeightsCSV writes weights.csv: component,label,prior_weight,posterior_weight.
func (s *PosteriorSummary) writeWeightsCSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "component,label,prior_weight,posterior_weight"); err != nil {
		return err
	}
	for k, wk := range s.Weights {
		label := ""
		if s.Labels != nil {
			label = s.Labels[k]
		}
		if _, err := fmt.Fprintf(w, "%d,%s,%s,%s\n", k, label, export.CSVFloat(float64(s.PriorWeights[k])), export.CSVFloat(float64(wk))); err != nil {
			return err
		}
	}
	return nil
}
