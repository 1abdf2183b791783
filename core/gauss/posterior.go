package gauss

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/operator"
)

// DefaultStdSamples is the number of posterior samples the per-pixel
// standard deviation is estimated from where it has no closed form: a
// relative standard error of 1/sqrt(2·64) ≈ 9% per pixel.
const DefaultStdSamples = 64

// stdSeed seeds the samples of an estimated standard deviation, so a
// posterior's Std has the same bits every time.
const stdSeed = 0x737464

// Posterior is the exact posterior N(m', Σ') of the prior given y = A·x0 +
// σ·z (see the package doc). Its methods are safe for concurrent use (each
// call takes a solver of its own from a pool).
type Posterior struct {
	ms *measurement
	// Mean is m' = E[x0 | y].
	Mean    []float64
	solvers sync.Pool
}

// ErrNoClosedForm is returned for a quantity that has a closed form only
// when A is a convolution (Structure Convolution).
var ErrNoClosedForm = errors.New("gauss: no closed form for this operator (only for convolutions: identity and circular blurs)")

// Posterior returns the exact posterior for y = A·x0 + σ·z (σ > 0): its
// mean, at the cost of one solve.
func (p *Prior) Posterior(ctx context.Context, op operator.Linear, y []float64, sigma float64, opts Options) (*Posterior, error) {
	ms, err := p.newMeasurement(op, y, sigma, opts)
	if err != nil {
		return nil, err
	}
	post := &Posterior{ms: ms}
	post.solvers.New = func() any { return ms.newSolver(op.Clone().(operator.Linear)) }
	sv := post.solver()
	defer post.solvers.Put(sv)
	// m' = μ + Σ·Aᵀ·S⁻¹·(y − A·μ)
	e := sv.op.Apply(make([]float64, op.OutLen()), p.mean)
	floats.SubTo(e, ms.y, e)
	post.Mean = make([]float64, p.Dim())
	if err := post.gainTo(ctx, sv, post.Mean, e); err != nil {
		return nil, err
	}
	floats.Add(post.Mean, p.mean)
	return post, nil
}

func (post *Posterior) solver() *solver { return post.solvers.Get().(*solver) }

// Structure says how the posterior's systems are solved.
func (post *Posterior) Structure() Structure { return post.ms.kind }

// gainTo writes Σ·Aᵀ·S⁻¹·e into dst (an image; e a measurement).
func (post *Posterior) gainTo(ctx context.Context, sv *solver, dst, e []float64) error {
	u := make([]float64, len(e))
	if err := sv.solve(ctx, u, e, 0); err != nil {
		return err
	}
	sv.op.Adjoint(dst, u)
	sv.pl.filter(dst, dst, post.ms.pr.lambda, sv.s)
	return nil
}

// ApplyCov writes Σ'·v = Σ·v − Σ·Aᵀ·S⁻¹·A·Σ·v into dst (images; dst may
// not be v).
func (post *Posterior) ApplyCov(ctx context.Context, dst, v []float64) error {
	sv := post.solver()
	defer post.solvers.Put(sv)
	pr := post.ms.pr
	sv.pl.filter(dst, v, pr.lambda, sv.s)
	a := sv.op.Apply(make([]float64, sv.op.OutLen()), dst)
	corr := make([]float64, len(dst))
	if err := post.gainTo(ctx, sv, corr, a); err != nil {
		return err
	}
	floats.Sub(dst, corr)
	return nil
}

// Project returns the posterior of θ·x0, N(θ·m', θᵀ·Σ'·θ): its mean and
// variance.
func (post *Posterior) Project(ctx context.Context, theta []float64) (mean, variance float64, err error) {
	cov := make([]float64, len(theta))
	if err := post.ApplyCov(ctx, cov, theta); err != nil {
		return 0, 0, err
	}
	return floats.Dot(theta, post.Mean), floats.Dot(theta, cov), nil
}

// Sample writes an exact draw from the posterior into dst by
// perturbation–optimisation (Matheron's rule): with x ~ N(μ, Σ) and ε ~
// N(0, σ²·I), x + Σ·Aᵀ·S⁻¹·(y − A·x − ε).
func (post *Posterior) Sample(ctx context.Context, dst []float64, rng *rand.Rand) error {
	sv := post.solver()
	defer post.solvers.Put(sv)
	return post.sampleWith(ctx, sv, dst, rng)
}

func (post *Posterior) sampleWith(ctx context.Context, sv *solver, dst []float64, rng *rand.Rand) error {
	ms := post.ms
	ms.pr.sampleWith(sv.pl, dst, rng, sv.s)
	e := sv.op.Apply(make([]float64, sv.op.OutLen()), dst)
	sigma := math.Sqrt(ms.sigma2)
	for i := range e {
		e[i] = ms.y[i] - e[i] - sigma*rng.NormFloat64()
	}
	corr := make([]float64, len(dst))
	if err := post.gainTo(ctx, sv, corr, e); err != nil {
		return err
	}
	floats.Add(dst, corr)
	return nil
}

// Std returns the per-pixel posterior standard deviation and the number
// of samples it was estimated from: 0 for a convolution, where it is the
// closed form sqrt(Σ_k Q_ck²·mean_ω λ'_k(ω)), λ' = λ·σ²/(|k̂|²·λ + σ²), the
// same at every pixel of a channel; else n = Options.StdSamples exact
// samples x_s drawn with a fixed seed, sqrt(mean_s (x_s − m')²) per pixel,
// with relative standard error 1/sqrt(2n).
func (post *Posterior) Std(ctx context.Context) ([]float64, int, error) {
	ms := post.ms
	if ms.kind == Convolution {
		return post.stdClosed(), 0, nil
	}
	n := ms.opts.StdSamples
	d := ms.pr.Dim()
	parts := max(1, min(runtime.GOMAXPROCS(0), n))
	sums := make([][]float64, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for j := range parts {
		wg.Go(func() {
			sv := post.solver()
			defer post.solvers.Put(sv)
			sum, x := make([]float64, d), make([]float64, d)
			for s := j * n / parts; s < (j+1)*n/parts; s++ {
				rng := rand.New(rand.NewPCG(stdSeed, uint64(s)))
				if errs[j] = post.sampleWith(ctx, sv, x, rng); errs[j] != nil {
					return
				}
				for i, m := range post.Mean {
					sum[i] += (x[i] - m) * (x[i] - m)
				}
			}
			sums[j] = sum
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	std := make([]float64, d)
	for _, sum := range sums {
		floats.Add(std, sum)
	}
	for i, v := range std {
		std[i] = math.Sqrt(v / float64(n))
	}
	return std, n, nil
}

// stdClosed is Std for a convolution.
func (post *Posterior) stdClosed() []float64 {
	std := post.ms.pr.diagonal(post.covSpectrum())
	for i, v := range std {
		std[i] = math.Sqrt(v)
	}
	return std
}

// PosteriorMoments returns the exact posterior's mean and per-pixel
// standard deviation for y = A·x0 + σ·z (σ > 0), with the default
// Options (denoiser.ExactPrior), or ctx's error when ctx ends first.
func (p *Prior) PosteriorMoments(ctx context.Context, op operator.Linear, y []float64, sigma float64) (mean, std []float64, err error) {
	post, err := p.Posterior(ctx, op, y, sigma, Options{})
	if err != nil {
		return nil, nil, err
	}
	std, _, err = post.Std(ctx)
	return post.Mean, std, err
}
