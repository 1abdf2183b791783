// Package guidance holds the training-free approximations of the
// likelihood score ∇_{x_t} log p(y | x_t) that steer a diffusion sampler
// towards a measurement y = A(x0) + σ·z, and the way each is applied.
//
// Both rules start from the seed's approximation
//
//	p(y | x_t) ≈ N(A·x̂0, r_t²·A·Aᵀ + σ²·I)
//	g(x_t)     ≈ Jᵀ·Aᵀ·(r_t²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0),   J = ∂x̂0/∂x_t,
//
// which costs one vector–Jacobian product through the denoiser per step.
// ΠG keeps r_t (r_t² = 1 − ᾱ_t by default); DPS takes r → 0 and so needs no
// A·Aᵀ, only a VJP through A, which lets A be nonlinear.
package guidance

import (
	"fmt"
	"math"
	"strings"

	"tweedie/core/denoiser"
	"tweedie/core/operator"
)

// Method names a guidance rule.
type Method int

const (
	None   Method = iota // unconditional sampling
	PiG                  // pseudoinverse guidance (Song et al., ICLR 2023)
	DPS                  // diffusion posterior sampling (Chung et al., ICLR 2023)
	Oracle               // the exact ∇log p(y|x_t) of an exact prior
)

// Methods lists the methods in the order the explorer cycles through them.
var Methods = []Method{PiG, DPS, Oracle, None}

func (m Method) String() string {
	switch m {
	case None:
		return "none"
	case PiG:
		return "pig"
	case DPS:
		return "dps"
	case Oracle:
		return "oracle"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Label is the method's name for people: "ΠG", "DPS", "oracle", "none".
func (m Method) Label() string {
	switch m {
	case PiG:
		return "ΠG"
	case DPS:
		return "DPS"
	}
	return m.String()
}

// ParseMethod reads "pig", "dps", "oracle" or "none".
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{None, PiG, DPS, Oracle} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown method %q (want pig, dps, oracle or none)", s)
}

// Weighting is how ΠG's g enters the sampler step.
type Weighting int

const (
	// Tweedie shifts the denoised estimate consistently with Tweedie's
	// formula, x̂0_y = x̂0 + (1−ᾱ_t)/sqrt(ᾱ_t)·w·g, and the sampler steps from
	// x̂0_y (DDIM recomputes ε̂ from it). The default.
	Tweedie Weighting = iota
	// PiGDM adds sqrt(ᾱ_s·ᾱ_t)·w·g to x_s after the step, as ΠGDM's
	// published code does.
	PiGDM
	// AlphaBar adds ᾱ_s·ᾱ_t·w·g to x_s after the step, the scaling of another
	// published implementation (α in DDIM's notation is ᾱ here).
	AlphaBar
)

var weightingNames = []string{"tweedie", "pigdm", "alphabar"}

func (w Weighting) String() string {
	if int(w) >= 0 && int(w) < len(weightingNames) {
		return weightingNames[w]
	}
	return fmt.Sprintf("Weighting(%d)", int(w))
}

// ParseWeighting reads "tweedie", "pigdm" or "alphabar".
func ParseWeighting(s string) (Weighting, error) {
	for i, n := range weightingNames {
		if strings.EqualFold(s, n) {
			return Weighting(i), nil
		}
	}
	return 0, fmt.Errorf("unknown weighting %q (want tweedie, pigdm or alphabar)", s)
}

// DPSForm is the step DPS takes.
type DPSForm int

const (
	// DPSNorm is the official code's step after the unconditional update:
	// x_s = x'_s − ζ·∇_{x_t}‖y − A(x̂0)‖ (the norm, not its square). The default.
	DPSNorm DPSForm = iota
	// DPSLikelihood uses the seed's likelihood score
	// g = −∇‖y − A(x̂0)‖²/(2σ²) as a score, Tweedie-consistently:
	// x̂0_y = x̂0 + ζ·(1−ᾱ_t)/sqrt(ᾱ_t)·g. It diverges for small σ.
	DPSLikelihood
)

func (f DPSForm) String() string {
	if f == DPSLikelihood {
		return "likelihood"
	}
	return "norm"
}

// ParseDPSForm reads "norm" or "likelihood".
func ParseDPSForm(s string) (DPSForm, error) {
	switch strings.ToLower(s) {
	case "norm":
		return DPSNorm, nil
	case "likelihood":
		return DPSLikelihood, nil
	}
	return 0, fmt.Errorf("unknown DPS form %q (want norm or likelihood)", s)
}

// Params are the settings of every method; each method reads its own.
type Params struct {
	Method Method
	// Sigma is the measurement noise σ ≥ 0.
	Sigma float64
	// RAuto uses r_t² = 1 − ᾱ_t for ΠG; otherwise r_t = R for every t.
	RAuto bool
	R     float64
	// Weight is ΠG's guidance weight w (default 1).
	Weight    float64
	Weighting Weighting
	// Zeta is DPS's step size ζ.
	Zeta    float64
	DPSForm DPSForm
}

// DefaultParams returns the defaults of ../shared/notes/math.md for an
// operator: σ = 0.05, r auto, w = 1, Tweedie weighting, ζ as published for
// the operator's family, the norm form of DPS.
func DefaultParams(m Method, op operator.Operator) Params {
	return Params{
		Method: m, Sigma: 0.05, RAuto: true, R: 0.1, Weight: 1,
		Zeta: operator.DefaultZeta(op),
	}
}

// RT returns ΠG's r_t at noise level ᾱ_t.
func (p *Params) RT(alphaBar float64) float64 {
	if p.RAuto {
		return math.Sqrt(1 - alphaBar)
	}
	return p.R
}

// Validate checks the parameters that apply to the method.
func (p *Params) Validate() error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch {
	case bad(p.Sigma):
		return fmt.Errorf("σ = %v: want a finite number ≥ 0", p.Sigma)
	case p.Method == PiG && !p.RAuto && bad(p.R):
		return fmt.Errorf("r = %v: want a finite number ≥ 0 or auto", p.R)
	case p.Method == PiG && !p.RAuto && p.R == 0 && p.Sigma == 0:
		return fmt.Errorf("ΠG with r = 0 and σ = 0 has no likelihood variance: set r > 0, r auto or σ > 0")
	case p.Method == PiG && (math.IsNaN(p.Weight) || math.IsInf(p.Weight, 0)):
		return fmt.Errorf("weight w = %v: want a finite number", p.Weight)
	case p.Method == DPS && bad(p.Zeta):
		return fmt.Errorf("ζ = %v: want a finite number ≥ 0", p.Zeta)
	case p.Method == DPS && p.DPSForm == DPSLikelihood && p.Sigma == 0:
		return fmt.Errorf("DPS's likelihood form divides by σ²: it needs σ > 0")
	}
	return nil
}

// Exact evaluates the exact ∇_{x_t} log p(y | x_t) of an exact prior.
// It keeps scratch buffers and is not safe for concurrent use.
type Exact interface {
	// Guidance writes ∇log p(y|x_t) at noise level ᾱ_t = alphaBar into dst and returns it.
	Guidance(dst, xt []float64, alphaBar float64) []float64
}

// ExactPrior is a prior whose posterior given a linear measurement is known
// in closed form.
type ExactPrior interface {
	denoiser.Factory
	// NewExactGuidance returns the exact guidance for y = A·x0 + σ·z, or an
	// error when it is not available (σ = 0, say).
	NewExactGuidance(op operator.Linear, y []float64, sigma float64) (Exact, error)
}

// Target says where a method's correction goes.
type Target int

const (
	// NoCorrection: the step is unconditional.
	NoCorrection Target = iota
	// ToX0Hat: the sampler steps from x̂0 + correction.
	ToX0Hat
	// ToXs: the correction is added to x_s after the sampler step.
	ToXs
)

// State is what a method sees at one step from t to s.
type State struct {
	AlphaBarT, AlphaBarS float64
	Xt, X0Hat            []float64
	// Den is the denoiser, linearised at Xt (Denoise was called there).
	Den denoiser.Denoiser
	// Exact is the exact ∇log p(y|x_t) when the prior is exact, else nil.
	Exact []float64
}

// Guide is a method bound to one problem (operator, y, σ). It keeps scratch
// buffers, so it is not safe for concurrent use.
type Guide interface {
	// Guide writes the method's estimate of ∇log p(y|x_t) into scoreY and its
	// correction into corr (both of length d), and says where the correction
	// goes. It returns the residual ‖y − A(x̂0)‖.
	Guide(st *State, scoreY, corr []float64) (Target, float64)
}

// New binds a method to an operator and measurement. It refuses, with the
// reason, a method that cannot serve the operator (ΠG on a nonlinear
// operator without a pseudo-inverse; the oracle without an exact prior).
func New(p Params, op operator.Operator, y []float64, hasExact bool) (Guide, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(y) != op.OutLen() {
		return nil, fmt.Errorf("measurement has length %d, operator %s gives %d", len(y), op.Name(), op.OutLen())
	}
	b := newBuffers(op, y)
	switch p.Method {
	case None:
		return &none{b}, nil
	case PiG:
		return newPiG(p, b)
	case DPS:
		return &dps{buffers: b, p: p}, nil
	case Oracle:
		if !hasExact {
			return nil, fmt.Errorf("the oracle needs an exact prior and a linear operator with σ > 0")
		}
		return &oracle{b}, nil
	}
	return nil, fmt.Errorf("unknown method %v", p.Method)
}

// buffers holds the operator, y and scratch shared by the methods.
type buffers struct {
	op   operator.Operator
	y    []float64
	ax   []float64 // A(x̂0), length m
	res  []float64 // y − A(x̂0), length m
	back []float64 // a length-d vector pulled back through A
}

func newBuffers(op operator.Operator, y []float64) buffers {
	m, d := op.OutLen(), op.InShape().Len()
	return buffers{op: op, y: y, ax: make([]float64, m), res: make([]float64, m), back: make([]float64, d)}
}

// residual writes y − A(x̂0) into b.res and returns its norm.
func (b *buffers) residual(x0Hat []float64) float64 {
	b.op.Apply(b.ax, x0Hat)
	n := 0.0
	for i := range b.res {
		b.res[i] = b.y[i] - b.ax[i]
		n += b.res[i] * b.res[i]
	}
	return math.Sqrt(n)
}

// tweedieShift is (1−ᾱ_t)/sqrt(ᾱ_t): a score g shifts x̂0 by this times g.
func tweedieShift(alphaBarT float64) float64 {
	return (1 - alphaBarT) / math.Sqrt(alphaBarT)
}

func scaleTo(dst []float64, a float64, x []float64) {
	for i := range dst {
		dst[i] = a * x[i]
	}
}

type none struct{ buffers }

func (g *none) Guide(st *State, scoreY, corr []float64) (Target, float64) {
	clear(scoreY)
	clear(corr)
	return NoCorrection, g.residual(st.X0Hat)
}

// oracle applies the exact likelihood score as a score: the sampler steps
// from E[x0 | x_t, y] = x̂0 + (1−ᾱ_t)/sqrt(ᾱ_t)·∇log p(y|x_t).
type oracle struct{ buffers }

func (g *oracle) Guide(st *State, scoreY, corr []float64) (Target, float64) {
	copy(scoreY, st.Exact)
	scaleTo(corr, tweedieShift(st.AlphaBarT), st.Exact)
	return ToX0Hat, g.residual(st.X0Hat)
}
