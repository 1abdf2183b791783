package gauss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/schedule"
)

// Prior is the stationary Gaussian prior N(μ, Σ) of a Config (see the
// package doc). It is immutable and safe for concurrent use; its
// denoisers and posteriors keep their own scratch.
type Prior struct {
	cfg   Config
	shape img.Shape
	sched *schedule.Schedule
	col   *colour
	// mean is μ as an image; lambda holds Σ's eigenvalues λ_k(ω) = κ_k·P̃(ω)
	// on the spectrum's modes, root their square roots.
	mean, lambda, root []float64
	// plans are transforms for the prior's own calls (Sample, ApplyCov).
	plans sync.Pool
}

var _ denoiser.ExactPrior = (*Prior)(nil)

// New builds the prior of a config, which it validates first.
func New(cfg Config) (*Prior, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	col, err := newColour(cfg.Shape.C)
	if err != nil {
		return nil, err
	}
	p := &Prior{cfg: cfg, shape: cfg.Shape, sched: schedule.Default(), col: col}
	p.plans.New = func() any { return newPlan(p.shape, p.col.q) }
	d := p.shape.Len()
	p.mean = make([]float64, d)
	for i := range p.mean {
		p.mean[i] = col.mean[i%cfg.Shape.C]
	}
	spatial := p.spatialSpectrum()
	pl := p.plan()
	defer p.release(pl)
	m := pl.modes()
	p.lambda, p.root = make([]float64, pl.specLen()), make([]float64, pl.specLen())
	for k, kappa := range col.kappa {
		for i, s := range spatial {
			p.lambda[k*m+i] = kappa * s
			p.root[k*m+i] = math.Sqrt(kappa * s)
		}
	}
	return p, nil
}

// spatialSpectrum returns P̃(ω) on the half-plane modes (u, v), v ≤ W/2:
//
//	P(ω) = (f² + f0²)^(−α/2),  f² = (ū/H)² + (v/W)²,  f0 = 1/max(H, W),
//
// normalised so that its mean over the full plane is 1.
func (p *Prior) spatialSpectrum() []float64 {
	H, W := p.shape.H, p.shape.W
	wc := W/2 + 1
	f0 := 1 / float64(max(H, W))
	spec := make([]float64, H*wc)
	total := 0.0
	for u := range H {
		fu := float64(min(u, H-u)) / float64(H)
		for v := range wc {
			fv := float64(v) / float64(W)
			s := math.Pow(fu*fu+fv*fv+f0*f0, -p.cfg.Alpha/2)
			spec[u*wc+v] = s
			total += multiplicity(v, W) * s
		}
	}
	mean := total / float64(H*W)
	for i := range spec {
		spec[i] /= mean
	}
	return spec
}

// plan returns a transform from the prior's pool; give it back with release.
func (p *Prior) plan() *plan { return p.plans.Get().(*plan) }

func (p *Prior) release(pl *plan) { p.plans.Put(pl) }

// Config returns the prior's config.
func (p *Prior) Config() Config { return p.cfg }

// ImageShape returns the shape of the prior's images.
func (p *Prior) ImageShape() img.Shape { return p.shape }

// Schedule returns the noise schedule, schedule.Default().
func (p *Prior) Schedule() *schedule.Schedule { return p.sched }

// Dim returns d = H·W·C.
func (p *Prior) Dim() int { return p.shape.Len() }

// Mean returns μ as an image (a copy).
func (p *Prior) Mean() []float64 { return append([]float64(nil), p.mean...) }

// PixelStd returns the prior's standard deviation of each pixel of each
// channel, sqrt(K_cc): the same at every pixel.
func (p *Prior) PixelStd() []float64 {
	C := p.shape.C
	sd := make([]float64, C)
	for c := range sd {
		sd[c] = math.Sqrt(p.col.cov[c*C+c])
	}
	return sd
}

// ApplyCov writes Σ·v into dst (length d each; dst may be v).
func (p *Prior) ApplyCov(dst, v []float64) []float64 {
	pl := p.plan()
	defer p.release(pl)
	return pl.filter(dst, v, p.lambda, make([]complex128, pl.specLen()))
}

// Sample writes a draw x = μ + Σ^(1/2)·z, z ~ N(0, I), into dst (length d).
func (p *Prior) Sample(dst []float64, rng *rand.Rand) []float64 {
	pl := p.plan()
	defer p.release(pl)
	return p.sampleWith(pl, dst, rng, make([]complex128, pl.specLen()))
}

// sampleWith is Sample with the caller's transform and spectrum scratch s.
func (p *Prior) sampleWith(pl *plan, dst []float64, rng *rand.Rand, s []complex128) []float64 {
	for i := range dst {
		dst[i] = rng.NormFloat64()
	}
	pl.filter(dst, dst, p.root, s)
	for i, m := range p.mean {
		dst[i] += m
	}
	return dst
}

// diagonal returns the diagonal of the filter with eigenvalues c on the
// spectrum's modes, as an image: the same at every pixel of a channel,
//
//	Σ_k Q_ck²·mean_ω c_k(ω)   (the mean over the full plane).
func (p *Prior) diagonal(c []float64) []float64 {
	H, W, C := p.shape.H, p.shape.W, p.shape.C
	wc := W/2 + 1
	chanMean := make([]float64, C) // mean_ω c_k(ω) per eigen-channel k
	for i, v := range c {
		chanMean[i/(H*wc)] += multiplicity(i%wc, W) * v / float64(H*W)
	}
	diag := make([]float64, p.Dim())
	for ch := range C {
		v := 0.0
		for k := range C {
			q := p.col.q[ch*C+k]
			v += q * q * chanMean[k]
		}
		for px := range H * W {
			diag[px*C+ch] = v
		}
	}
	return diag
}

// CondCov returns the diagonal of Cov[x0 | x_t] at noise level ᾱ ∈ [0, 1]
// (the same for every x_t) as an image, and its largest eigenvalue
// max_ω (1−ᾱ)·λ(ω)/(ᾱ·λ(ω) + 1−ᾱ).
func (p *Prior) CondCov(alphaBar float64) (diag []float64, top float64, err error) {
	if !(alphaBar >= 0 && alphaBar <= 1) {
		return nil, 0, fmt.Errorf("gauss: noise level ᾱ = %v, want [0, 1]", alphaBar)
	}
	v := condVarTo(nil, p.lambda, alphaBar)
	for _, x := range v {
		top = math.Max(top, x)
	}
	return p.diagonal(v), top, nil
}
