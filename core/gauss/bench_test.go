package gauss

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/run"
)

var shape128 = img.Shape{H: 128, W: 128, C: 3}

// BenchmarkTransform compares a forward and inverse transform of a
// 128×128×3 image: the radix-2 engine ("radix2"), gonum's real FFT over
// rows then complex FFT down half the columns ("gonum"), and a complex
// 2-D FFT of each channel by gonum's complex FFT over rows then columns,
// as core/operator's fft2 does ("complex").
func BenchmarkTransform(b *testing.B) {
	p := newPrior(b, shape128, 2)
	x := randVec(rand.New(rand.NewPCG(1, 1)), p.Dim(), 1)
	for _, eng := range []string{"radix2", "gonum"} {
		b.Run(eng, func(b *testing.B) {
			pl := newPlan(shape128, p.col.q)
			if eng == "gonum" {
				pl.eng = newGonumFFT(shape128.H, shape128.W)
			}
			s := make([]complex128, pl.specLen())
			out := make([]float64, p.Dim())
			reportCPU(b, func() {
				pl.forward(s, x)
				pl.inverse(out, s)
			})
		})
	}
	b.Run("complex", func(b *testing.B) {
		H, W := shape128.H, shape128.W
		row, col := fourier.NewCmplxFFT(W), fourier.NewCmplxFFT(H)
		a := make([]complex128, H*W)
		buf := make([]complex128, H)
		transform := func(inv bool) {
			for y := range H {
				r := a[y*W : (y+1)*W]
				if inv {
					row.Sequence(r, r)
				} else {
					row.Coefficients(r, r)
				}
			}
			for xx := range W {
				for y := range H {
					buf[y] = a[y*W+xx]
				}
				if inv {
					col.Sequence(buf, buf)
				} else {
					col.Coefficients(buf, buf)
				}
				for y := range H {
					a[y*W+xx] = buf[y]
				}
			}
		}
		reportCPU(b, func() {
			for c := range 3 {
				for p := range H * W {
					a[p] = complex(x[3*p+c], 0)
				}
				transform(false)
				transform(true)
			}
		})
	})
}

// BenchmarkDenoise is one x̂0 and one VJP of a 128×128×3 image.
func BenchmarkDenoise(b *testing.B) {
	ctx := context.Background()
	p := newPrior(b, shape128, 2)
	d := p.Dim()
	rng := rand.New(rand.NewPCG(1, 1))
	xt, v, out := randVec(rng, d, 1), randVec(rng, d, 1), make([]float64, d)
	dn := p.NewDenoiser().(*Denoiser)
	reportCPU(b, func() {
		pt, err := dn.Linearize(ctx, out, xt, 0.5)
		if err != nil {
			b.Fatal(err)
		}
		if err := pt.VJP(ctx, out, v); err != nil {
			b.Fatal(err)
		}
	})
}

// benchProblem is a problem at 128×128×3, σ = 0.05, the truth a prior draw.
func benchProblem(b *testing.B, spec string) problem {
	b.Helper()
	pr := newPrior(b, shape128, 2)
	op, err := operator.Parse(spec, shape128)
	if err != nil {
		b.Fatal(err)
	}
	return newProblem(b, pr, spec, op.(operator.Linear), 0.05, 1, General)
}

// benchOps are the operators of the benchmarks: a closed form, a box mask
// and pooling by conjugate gradients.
var benchOps = []string{"blur-gauss:size=7,std=1.5", "inpaint-box:size=64", "sr:factor=4"}

// BenchmarkGuidance is one exact guidance at ᾱ = 0.5 of a 128×128×3 image.
func BenchmarkGuidance(b *testing.B) {
	for _, spec := range benchOps {
		b.Run(spec, func(b *testing.B) {
			pb := benchProblem(b, spec)
			g, err := pb.pr.NewGuidance(pb.op, pb.y, pb.sigma, Options{})
			if err != nil {
				b.Fatal(err)
			}
			xt := randVec(rand.New(rand.NewPCG(2, 2)), pb.pr.Dim(), 1)
			out := make([]float64, len(xt))
			reportCPU(b, func() {
				g.Guidance(out, xt, 0.5)
			})
			if g.Err() != nil {
				b.Fatal(g.Err())
			}
			b.ReportMetric(float64(g.Stats().Iterations), "cg-iters")
		})
	}
}

// BenchmarkPosteriorSample is one exact posterior sample of a 128×128×3
// image.
func BenchmarkPosteriorSample(b *testing.B) {
	ctx := context.Background()
	for _, spec := range benchOps {
		b.Run(spec, func(b *testing.B) {
			pb := benchProblem(b, spec)
			post, err := pb.pr.Posterior(ctx, pb.op, pb.y, pb.sigma, Options{})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 3))
			x := make([]float64, pb.pr.Dim())
			reportCPU(b, func() {
				if err := post.Sample(ctx, x, rng); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkPosteriorMoments is the exact posterior's mean and per-pixel
// standard deviation of a 128×128×3 image, what the explorer computes in
// the background (the std from DefaultStdSamples samples where it has no
// closed form, on GOMAXPROCS goroutines).
func BenchmarkPosteriorMoments(b *testing.B) {
	for _, spec := range benchOps {
		b.Run(spec, func(b *testing.B) {
			pb := benchProblem(b, spec)
			reportCPU(b, func() {
				if _, _, err := pb.pr.PosteriorMoments(context.Background(), pb.op, pb.y, pb.sigma); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFirstFrame is what the explorer computes on gauss:size=128x128x3
// before its first frame can show a run's first step: the prior, a truth,
// the problem, the exact guidance, and one step's x̂0, VJP and guidance.
func BenchmarkFirstFrame(b *testing.B) {
	ctx := context.Background()
	cfg, err := Parse("gauss:size=128x128x3")
	if err != nil {
		b.Fatal(err)
	}
	reportCPU(b, func() {
		pr, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		truth := pr.Sample(make([]float64, pr.Dim()), rand.New(rand.NewPCG(0, 1)))
		op, _ := operator.Parse("blur-gauss:size=7,std=1.5", shape128)
		prob, err := run.NewProblem(pr, op, truth, 0.05, 1)
		if err != nil {
			b.Fatal(err)
		}
		g, err := pr.NewExactGuidance(op.(operator.Linear), prob.Y, prob.Sigma)
		if err != nil {
			b.Fatal(err)
		}
		d := pr.Dim()
		xt := randVec(rand.New(rand.NewPCG(1, 1)), d, 1)
		x0, v := make([]float64, d), make([]float64, d)
		pt, err := pr.NewDenoiser().(*Denoiser).Linearize(ctx, x0, xt, 4e-5)
		if err != nil {
			b.Fatal(err)
		}
		if err := pt.VJP(ctx, v, x0); err != nil {
			b.Fatal(err)
		}
		g.Guidance(v, xt, 4e-5)
	})
}

// BenchmarkOracleRun is a whole 1000-step DDPM run of the oracle sampler
// (core/run, exact guidance at every step) on a 128×128×3 image; run it
// with -benchtime 1x.
func BenchmarkOracleRun(b *testing.B) {
	for _, spec := range benchOps {
		b.Run(spec, func(b *testing.B) {
			pb := benchProblem(b, spec)
			truth := pb.pr.Sample(make([]float64, pb.pr.Dim()), rand.New(rand.NewPCG(4, 4)))
			prob, err := run.NewProblem(pb.pr, pb.op, truth, pb.sigma, 1)
			if err != nil {
				b.Fatal(err)
			}
			reportCPU(b, func() {
				oracleRun(b, prob, 1000, 1)
			})
		})
	}
}
