// Package method holds the training-free guidance methods that steer a
// diffusion sampler towards a measurement y = A(x0) + σ·z, as a registry:
// each method is one value, in one file, that states what it needs of a
// problem, its parameters, its formula panel and how it binds to a
// problem. Flags, help, the explorer's keys and panels and the lab all read
// the registry; nothing else switches on a method.
//
// The methods start from the approximation
//
//	p(y | x_t) ≈ N(A·x̂0, r_t²·A·Aᵀ + σ²·I)
//	g(x_t)     ≈ Jᵀ·Aᵀ·(r_t²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0),   J = ∂x̂0/∂x_t,
//
// which costs one vector–Jacobian product through the denoiser per step.
// ΠG keeps r_t (r_t² = 1 − ᾱ_t by default); DPS takes r → 0 and so needs no
// A·Aᵀ, only a VJP through A, which lets A be nonlinear; the oracle uses the
// exact ∇log p(y|x_t) of an exact prior.
//
// At each step a method reports g, its estimate of ∇log p(y|x_t), and a
// correction that goes either to x̂0 (the sampler then steps from
// x̂0 + correction, consistently with Tweedie's formula) or to x_s after the
// sampler's step.
package method

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"tweedie/core/denoiser"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// Cap is a set of capabilities: what a method needs of a problem, and what
// a problem offers.
type Cap uint

const (
	// VJP: vector–Jacobian products through the denoiser.
	VJP Cap = 1 << iota
	// Linear: a linear operator A.
	Linear
	// PseudoInverse: a linear operator, or a nonlinear one with a
	// pseudo-inverse A† (A(A†(A(x))) = A(x)).
	PseudoInverse
	// Exact: the exact ∇log p(y|x_t) — an exact prior, a linear operator and σ > 0.
	Exact
	// PositiveSigma: measurement noise σ > 0.
	PositiveSigma
	// Particles: several particles evolved together, kept by the guide
	// (particles.go); every problem of core/run offers it.
	Particles
	// Spectral: a linear operator with its singular value decomposition
	// A = U·[diag(s) 0]·Vᵀ (operator.Spectral), for the methods that work
	// per singular component.
	Spectral
)

// Method is a guidance method. Register it from an init function in its
// own file.
type Method struct {
	// Name is its name on the command line ("pig"); Label its name for
	// people ("ΠG").
	Name, Label string
	// Summary is one line for help texts.
	Summary string
	// Order places it in listings and in the explorer's cycle (ascending).
	Order int
	// Baseline marks a method that is not guidance (unconditional
	// sampling): it is never suggested instead of another and the lab runs
	// it only when asked.
	Baseline bool
	// Params are its parameters, in the order they are resolved (a
	// parameter's default may depend on those before it).
	Params []Param
	// Needs says what it needs of a problem with the parameter values v.
	Needs func(v Values) Cap
	// Bind makes the method's guide for a problem with the values v
	// (resolved: every parameter has a value).
	Bind func(p *Problem, v Values) (Guide, error)
	// Formula is its formula panel: the rule and how it enters the step,
	// with the values of the frame.
	Formula func(v Values, f Frame) [2]string
	// Short is the rule on one line, for compare mode; nil takes Formula's first line.
	Short func(v Values, f Frame) string
	// Covariance places the method, with the values v, on the covariance
	// axis (see Cov); nil or OffAxis: the method is not on it.
	Covariance func(v Values) Cov
	// Cost is what one step costs with the values v on a problem of m
	// measurements (required): at most that, fewer only where a method
	// skips work (DAPS's ODE at σ_t ≤ σ_min, MMPS's CG once its residual
	// vanishes). A run's records count what it took (Record.NFE,
	// Record.VJPs), and the conformance tests of core/run hold every
	// method to its Cost.
	Cost func(v Values, m int) StepCost
}

// StepCost is the network work of one step: denoiser evaluations and
// vector–Jacobian products through the denoiser, a batch of B inputs
// counting B.
type StepCost struct{ NFE, VJPs int }

// OneEval is the cost of a step that denoises x_t once and takes no VJP.
func OneEval(Values, int) StepCost { return StepCost{NFE: 1} }

// OneVJP is the cost of a step that denoises x_t once and takes one VJP.
func OneVJP(Values, int) StepCost { return StepCost{NFE: 1, VJPs: 1} }

// Cov is a point of the covariance axis: how a method models Cov[x0|x_t]
// in
//
//	p(y | x_t) ≈ N(A·x̂0, A·Cov[x0|x_t]·Aᵀ + σ²·I),
//	Cov[x0|x_t] = (1−ᾱ_t)/sqrt(ᾱ_t)·J   (J = ∂x̂0/∂x_t, exact for an exact denoiser).
//
// The points in order (CovAxis): DPS takes Cov = 0; ΠG r_t²·I; TMPD-diag
// the Jacobian's covariance with A·Cov·Aᵀ reduced to a diagonal; MMPS the
// full A·Cov·Aᵀ through VJPs, solved by a few conjugate-gradient steps;
// exact the exact p(y|x_t) (the oracle) or, for a Gaussian prior where
// that is the same, the exact A·Cov·Aᵀ solved exactly.
type Cov int

const (
	// OffAxis is the zero value: not on the axis.
	OffAxis Cov = iota
	// CovZero: Cov[x0|x_t] = 0 (DPS).
	CovZero
	// CovIsotropic: Cov[x0|x_t] = r_t²·I (ΠG).
	CovIsotropic
	// CovDiagonal: A·Cov·Aᵀ replaced by a diagonal, its floored row sums
	// from one VJP or the diagonal itself from m (TMPD-diag).
	CovDiagonal
	// CovFull: the full A·Cov·Aᵀ, applied through VJPs and solved
	// iteratively (MMPS).
	CovFull
	// CovExact: the exact likelihood, or the exact covariance solved exactly.
	CovExact
)

// CovAxis lists the points of the covariance axis in order.
func CovAxis() []Cov { return []Cov{CovZero, CovIsotropic, CovDiagonal, CovFull, CovExact} }

// String is the point's name on the axis ("TMPD-diag").
func (c Cov) String() string {
	switch c {
	case CovZero:
		return "DPS"
	case CovIsotropic:
		return "ΠG"
	case CovDiagonal:
		return "TMPD-diag"
	case CovFull:
		return "MMPS"
	case CovExact:
		return "exact"
	}
	return ""
}

// CovarianceOf is the method's point on the covariance axis with the
// values v (OffAxis when it has none).
func (m *Method) CovarianceOf(v Values) Cov {
	if m.Covariance == nil {
		return OffAxis
	}
	return m.Covariance(v)
}

// Frame is what a formula panel shows values of: the problem and the step.
type Frame struct {
	Sigma  float64
	Linear bool
	// AlphaBarT and Residual (‖y − A(x̂0)‖) are those of the step shown,
	// NaN before the first step.
	AlphaBarT, Residual float64
}

// ShortFormula is the method's rule on one line.
func (m *Method) ShortFormula(v Values, f Frame) string {
	if m.Short != nil {
		return m.Short(v, f)
	}
	return m.Formula(v, f)[0]
}

// Problem is what a method binds to: a measurement y = A(x0) + σ·z. Op is
// the guide's own (operators keep scratch buffers).
type Problem struct {
	Op    operator.Operator
	Y     []float64
	Sigma float64
	// Seed is the run's seed, for methods that draw randomness of their
	// own (the particle methods, on a stream apart from the run's noise).
	Seed uint64
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
	// Replace: the method makes the step itself; Output.Xs is x_s (methods
	// that work in the operator's spectral space, or re-noise an estimate).
	Replace
)

// State is what a method sees at one step from t to s.
type State struct {
	AlphaBarT, AlphaBarS float64
	Xt, X0Hat            []float64
	// Point is the denoiser linearised at Xt, when the method needs VJP.
	Point denoiser.Point
	// Exact is the exact ∇log p(y|x_t) when the method needs Exact (and
	// whenever the run compares with it), else nil.
	Exact []float64
	// Den is the denoiser, for methods that evaluate it elsewhere than at
	// Xt (an ODE to x̂0, say); a call makes Point stale. Every call counts
	// as network evaluations.
	Den denoiser.Denoiser
	// Step is the unconditional sampler step x_s = A·x̂0 + B·x_t + C·z and
	// Z its noise z, drawn from the run's seed whatever the method.
	Step sampler.Coeffs
	Z    []float64
}

// Output is what a method returns at one step. ScoreY, Corr and Xs have
// length d and belong to the caller.
type Output struct {
	// ScoreY is g, the method's estimate of ∇log p(y|x_t).
	ScoreY []float64
	// Corr is the correction and Target where it goes; with Replace, Xs is
	// x_s and Corr is not read.
	Corr   []float64
	Xs     []float64
	Target Target
	// Residual is ‖y − A(x̂0)‖.
	Residual float64
}

// Guide is a method bound to one problem. It keeps scratch buffers, so it
// is not safe for concurrent use. Its buffers are allocated by Bind: a
// step allocates nothing (the conformance tests of core/run hold every
// method to that).
type Guide interface {
	// Guide fills out for the step st. Errors come from the denoiser (a
	// remote model can fail or be cancelled).
	Guide(ctx context.Context, st *State, out *Output) error
}

var registry = struct {
	sync.RWMutex
	byName map[string]*Method
}{byName: map[string]*Method{}}

// Register adds a method to the registry. It panics on a duplicate name, a
// method without Bind, Needs, Formula or Cost, a parameter that another
// method declares differently (parameters of one name are one parameter:
// one flag, one pair of keys), or a parameter key that another parameter
// of any method takes. The explorer's own keys are not known here (core
// does not import the explorer): its tests check the registry against
// them.
func Register(m *Method) {
	if err := check(m); err != nil {
		panic("method: " + err.Error())
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byName[m.Name]; dup {
		panic(fmt.Sprintf("method: %q registered twice", m.Name))
	}
	for _, other := range registry.byName {
		if err := clash(m, other); err != nil {
			panic("method: " + err.Error())
		}
	}
	registry.byName[m.Name] = m
}

// clash says how m's parameters conflict with other's: one name declared
// two ways, or one key taken by two parameters.
func clash(m, other *Method) error {
	for i := range m.Params {
		p := &m.Params[i]
		if q := other.Param(p.Name); q != nil {
			if !p.sameAs(q) {
				return fmt.Errorf("%s's parameter %q differs from %s's", m.Name, p.Name, other.Name)
			}
			continue
		}
		for j := range other.Params {
			if k := sharedKey(p, &other.Params[j]); k != "" {
				return fmt.Errorf("%s's parameter %q takes the key %q of %s's parameter %q", m.Name, p.Name, k, other.Name, other.Params[j].Name)
			}
		}
	}
	return nil
}

// sharedKey returns a key that both parameters take, or "".
func sharedKey(p, q *Param) string {
	for _, k := range p.Keys() {
		if slices.Contains(q.Keys(), k) {
			return k
		}
	}
	return ""
}

// Unregister removes a method (for tests that register their own).
func Unregister(name string) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.byName, name)
}

func check(m *Method) error {
	switch {
	case m.Name == "" || m.Name != strings.ToLower(m.Name) || strings.ContainsAny(m.Name, ", :="):
		return fmt.Errorf("bad name %q: want a lower-case word", m.Name)
	case m.Bind == nil || m.Needs == nil || m.Formula == nil || m.Cost == nil:
		return fmt.Errorf("%s: Bind, Needs, Formula and Cost are required", m.Name)
	}
	seen := map[string]bool{}
	for i := range m.Params {
		p := &m.Params[i]
		if err := p.check(); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if seen[p.Name] {
			return fmt.Errorf("%s: parameter %q twice", m.Name, p.Name)
		}
		seen[p.Name] = true
		for _, q := range m.Params[:i] {
			if k := sharedKey(p, &q); k != "" {
				return fmt.Errorf("%s: parameters %q and %q both take the key %q", m.Name, q.Name, p.Name, k)
			}
		}
	}
	return nil
}

// All returns the registered methods by Order, then name.
func All() []*Method {
	registry.RLock()
	ms := make([]*Method, 0, len(registry.byName))
	for _, m := range registry.byName {
		ms = append(ms, m)
	}
	registry.RUnlock()
	slices.SortFunc(ms, func(a, b *Method) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ms
}

// Names returns the registered methods' names in order.
func Names() []string {
	var n []string
	for _, m := range All() {
		n = append(n, m.Name)
	}
	return n
}

// Lookup returns the method of a name (case-insensitive), or an error that
// lists the methods there are.
func Lookup(name string) (*Method, error) {
	registry.RLock()
	m, ok := registry.byName[strings.ToLower(strings.TrimSpace(name))]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown method %q (want %s)", name, strings.Join(Names(), ", "))
	}
	return m, nil
}

// Param returns the method's parameter of a name, or nil.
func (m *Method) Param(name string) *Param {
	for i := range m.Params {
		if m.Params[i].Name == name {
			return &m.Params[i]
		}
	}
	return nil
}

// Offer is what a problem offers the methods: its capabilities, and what
// the refusals say.
type Offer struct {
	Caps Cap
	// Op is the operator's name.
	Op string
	// NoExact says why the exact guidance is not available ("" when it is).
	NoExact string
}

// Has reports whether every capability of c is offered.
func (o Offer) Has(c Cap) bool { return o.Caps&c == c }

// lacks says why a problem cannot meet the need c (one capability).
func (o Offer) lacks(c Cap) string {
	switch c {
	case VJP:
		return "the model has no vector–Jacobian product"
	case Linear:
		return "it is nonlinear"
	case PseudoInverse:
		return "it is nonlinear and has no pseudo-inverse"
	case Exact:
		return o.NoExact
	case PositiveSigma:
		return "it needs σ > 0 with these settings"
	case Particles:
		return "it needs several particles"
	case Spectral:
		return "it has no singular value decomposition here (identity, masks, average pooling, circular blurs and svd: have one)"
	}
	return fmt.Sprintf("capability %#x is missing", uint(c))
}

// Serves says why the method, with values v, cannot serve a problem with
// the offer, or returns nil when it can. This is the one rule of which
// methods are available: it suggests the first non-baseline method that
// can serve instead.
func (m *Method) Serves(o Offer, v Values) error {
	missing := m.Needs(v) &^ o.Caps
	if missing == 0 {
		return nil
	}
	need := missing & -missing // the lowest missing capability
	msg := fmt.Sprintf("%s cannot serve %s: %s", m.Label, o.Op, o.lacks(need))
	for _, alt := range All() {
		if alt != m && !alt.Baseline && alt.Needs(Values{})&^o.Caps == 0 {
			msg += fmt.Sprintf(" (use %s)", alt.Label)
			break
		}
	}
	return &Refusal{Method: m.Name, Msg: msg}
}

// Refusal is the error of a method that cannot serve a problem.
type Refusal struct {
	Method, Msg string
}

func (r *Refusal) Error() string { return r.Msg }

// Available lists the methods that serve a problem with the offer
// (parameters at their defaults).
func Available(o Offer) []*Method {
	var ms []*Method
	for _, m := range All() {
		if m.Needs(Values{})&^o.Caps == 0 {
			ms = append(ms, m)
		}
	}
	return ms
}
