package gauss

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"tweedie/core/operator"
)

// Structure is how a measurement's systems are solved (see the package
// doc).
type Structure int

const (
	// Convolution: A is an operator.Convolver, diagonal in the prior's
	// Fourier basis; every solve is a filter.
	Convolution Structure = iota
	// RowOrthogonal: A·Aᵀ = c·I (masks, average pooling); conjugate
	// gradients preconditioned by (1/c)·A·(c·V + σ²·I)⁻¹·Aᵀ.
	RowOrthogonal
	// General: conjugate gradients without a preconditioner.
	General
)

func (s Structure) String() string {
	switch s {
	case Convolution:
		return "convolution (closed form by FFT)"
	case RowOrthogonal:
		return "A·Aᵀ = c·I (preconditioned conjugate gradients)"
	}
	return "general (conjugate gradients)"
}

// Options are the conjugate-gradient settings of a posterior or guidance.
// Zero values mean the defaults.
type Options struct {
	// Tol is the relative residual at which conjugate gradients stop
	// (DefaultTol).
	Tol float64
	// MaxIter bounds the iterations of one solve (DefaultMaxIter).
	MaxIter int
	// StdSamples is the number of posterior samples the per-pixel
	// standard deviation is estimated from where it has no closed form
	// (DefaultStdSamples).
	StdSamples int
}

func (o Options) withDefaults() Options {
	if o.Tol <= 0 {
		o.Tol = DefaultTol
	}
	if o.MaxIter <= 0 {
		o.MaxIter = DefaultMaxIter
	}
	if o.StdSamples <= 0 {
		o.StdSamples = DefaultStdSamples
	}
	return o
}

// measurement is y = A·x0 + σ·z for the prior, with what solving
//
//	S_ᾱ·u = b,   S_ᾱ = A·V_ᾱ·Aᵀ + σ²·I,   V_ᾱ = (1−ᾱ)·Σ·(ᾱ·Σ + (1−ᾱ)·I)⁻¹,
//
// needs: V_ᾱ is Cov[x0 | x_t] at noise level ᾱ, V_0 = Σ (the posterior's
// S) and V_1 = 0. It is read-only once built and shared by the solvers of
// a posterior or guidance.
type measurement struct {
	pr     *Prior
	op     operator.Linear
	y      []float64
	sigma2 float64
	kind   Structure
	opts   Options
	// khat is k̂ on one eigen-channel's half-plane modes (H·Wc) and k2
	// |k̂|² on all the spectrum's modes (Convolution).
	khat []complex128
	k2   []float64
	// gram is c of A·Aᵀ = c·I (RowOrthogonal).
	gram float64
}

func (p *Prior) newMeasurement(op operator.Linear, y []float64, sigma float64, opts Options) (*measurement, error) {
	switch {
	case op == nil || !op.Linear():
		return nil, errors.New("gauss: the exact posterior needs a linear operator")
	case op.InShape() != p.shape:
		return nil, fmt.Errorf("gauss: operator %s acts on %v images, the prior's are %v", op.Name(), op.InShape(), p.shape)
	case len(y) != op.OutLen():
		return nil, fmt.Errorf("gauss: measurement of length %d, operator %s gives %d", len(y), op.Name(), op.OutLen())
	case !(sigma > 0) || math.IsInf(sigma, 0):
		return nil, fmt.Errorf("gauss: the exact posterior needs 0 < σ < ∞, got %v", sigma)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("gauss: measurement value %d is %v", i, v)
		}
	}
	ms := &measurement{pr: p, op: op, y: append([]float64(nil), y...), sigma2: sigma * sigma,
		kind: General, opts: opts.withDefaults()}
	if cv, ok := op.(operator.Convolver); ok {
		ms.kind = Convolution
		ms.khat, ms.k2 = p.halfTransfer(cv.Transfer())
	} else if c := scalarGram(op); c > 0 {
		ms.kind, ms.gram = RowOrthogonal, c
	}
	return ms, nil
}

// gramTol is the relative accuracy to which scalarGram must find A·Aᵀ·e =
// c·e.
const gramTol = 1e-12

// scalarGram returns c when A·Aᵀ = c·I (c > 0), else 0, from A·Aᵀ applied
// to a fixed random vector: exact for masks (c = 1) and average pooling
// (c = 1/f²) up to rounding.
func scalarGram(op operator.Linear) float64 {
	m, d := op.OutLen(), op.InShape().Len()
	e, back, out := make([]float64, m), make([]float64, d), make([]float64, m)
	rng := rand.New(rand.NewPCG(0x6772616d, 0))
	for i := range e {
		e[i] = rng.NormFloat64()
	}
	op.Apply(out, op.Adjoint(back, e))
	c := floats.Dot(out, e) / floats.Dot(e, e)
	if !(c > 0) || math.IsInf(c, 0) {
		return 0
	}
	for i := range out {
		if math.Abs(out[i]-c*e[i]) > gramTol*c*(1+math.Abs(e[i])) {
			return 0
		}
	}
	return c
}

// halfTransfer returns k̂ on the half-plane modes of one eigen-channel and
// |k̂|² on the spectrum's modes (the same on every eigen-channel), from k̂
// on the full plane.
func (p *Prior) halfTransfer(full []complex128) (khat []complex128, k2 []float64) {
	H, W := p.shape.H, p.shape.W
	wc := W/2 + 1
	khat = make([]complex128, H*wc)
	for u := range H {
		copy(khat[u*wc:(u+1)*wc], full[u*W:u*W+wc])
	}
	k2 = make([]float64, p.shape.C*len(khat))
	for i := range k2 {
		z := khat[i%len(khat)]
		k2[i] = real(z)*real(z) + imag(z)*imag(z)
	}
	return khat, k2
}

// solver solves the systems of a measurement. It keeps scratch and is not
// safe for concurrent use.
type solver struct {
	ms *measurement
	op operator.Linear // the measurement's operator or a clone (own scratch)
	pl *plan
	s  []complex128
	// img is an image of scratch.
	img []float64
	cg  cg
	// filt is the system's filter at filtAt: (|k̂|²·V_ᾱ + σ²)⁻¹
	// (Convolution) or V_ᾱ; prec is the preconditioner's, (c·V_ᾱ + σ²)⁻¹/c
	// (RowOrthogonal).
	filt, prec []float64
	filtAt     float64
	// last is what the latest solve did.
	last Stats
}

func (ms *measurement) newSolver(op operator.Linear) *solver {
	pl := newPlan(ms.pr.shape, ms.pr.col.q)
	return &solver{ms: ms, op: op, pl: pl, s: make([]complex128, pl.specLen()),
		img: make([]float64, ms.pr.Dim()), filtAt: math.NaN()}
}

// filters computes the system's filters at ᾱ (see solver.filt) when ᾱ
// changes.
func (sv *solver) filters(alphaBar float64) {
	if sv.filtAt == alphaBar {
		return
	}
	ms := sv.ms
	sv.filt = condVarTo(sv.filt, ms.pr.lambda, alphaBar)
	switch ms.kind {
	case Convolution:
		for i, v := range sv.filt {
			sv.filt[i] = 1 / (ms.k2[i]*v + ms.sigma2)
		}
	case RowOrthogonal:
		c := ms.gram
		sv.prec = grow(sv.prec, len(sv.filt))
		for i, v := range sv.filt {
			sv.prec[i] = 1 / (c*v + ms.sigma2) / c
		}
	}
	sv.filtAt = alphaBar
}

// solve writes u = S_ᾱ⁻¹·b into u (both of the measurement's length; u
// may not be b).
//
// For A·Aᵀ = c·I, with B = A/sqrt(c) (B·Bᵀ = I), S = B·(c·V + σ²·I)·Bᵀ and
// the preconditioner is B·(c·V + σ²·I)⁻¹·Bᵀ: S⁻¹ itself when the filter
// commutes with BᵀB (A = I), and for masks and pooling it leaves conjugate
// gradients few outlying eigenvalues (at 128×128×3, α = 2, σ = 0.05: 15–31
// iterations at ᾱ = 0 for pooling ×2, ×4, a 14 or 64 box and the half
// mask, against 200–1300 unpreconditioned; about 150 either way for a
// random half of the pixels).
func (sv *solver) solve(ctx context.Context, u, b []float64, alphaBar float64) error {
	ms := sv.ms
	sv.filters(alphaBar)
	sv.last = Stats{}
	if ms.kind == Convolution {
		sv.pl.filter(u, b, sv.filt, sv.s)
		return nil
	}
	var prec func(dst, x []float64)
	if ms.kind == RowOrthogonal {
		prec = func(dst, x []float64) { sv.sandwich(dst, x, sv.prec) }
	}
	var err error
	sv.last, err = sv.cg.solve(ctx, func(dst, x []float64) {
		sv.sandwich(dst, x, sv.filt)
		floats.AddScaled(dst, ms.sigma2, x)
	}, prec, u, b, ms.opts.Tol, ms.opts.MaxIter)
	return err
}

// sandwich writes A·F·Aᵀ·x into dst, F the filter f.
func (sv *solver) sandwich(dst, x, f []float64) {
	sv.op.Adjoint(sv.img, x)
	sv.pl.filter(sv.img, sv.img, f, sv.s)
	sv.op.Apply(dst, sv.img)
}
