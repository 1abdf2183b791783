package run

import (
	"fmt"
	"math"

	"tweedie/core/internal/vec"
	"tweedie/core/method"
)

// Counterfactual replaces a method's update with one built from it and the
// exact one, to tell apart the two ways a guidance can be wrong: its
// direction and its size. With u the method's update of x_s at a step (what
// guidance adds to the unconditional step) and u* = c·g* the exact update
// (the oracle's from the same x_t: c is the sampler's x̂0 coefficient times
// (1−ᾱ_t)/sqrt(ᾱ_t), g* = ∇log p(y|x_t)), the run steps with
//
//	ExactSize:      u' = (‖u*‖/‖u‖)·u        its own direction at the exact size
//	ExactDirection: u' = (‖u‖/‖u*‖)·u*       the exact direction at its own size
//	Along:          u' = ((u·u*)/‖u*‖²)·u*   its component along the exact update
//
// A step where ‖u‖ or ‖u*‖ is 0 keeps u (there is no direction to keep).
// The method's own estimate g is recorded as it computed it; the update and
// the comparison with update* are the counterfactual's. The same x_T and
// noise are used as by the plain run of the same seed, so the difference
// between the two is the guidance's alone.
//
// Working on the update rather than on g makes it the same for every method,
// whether it corrects x̂0, x_s or replaces the step (DDRM, DDNM: there u
// includes the method's own choice of noise, which the split then counts as
// part of its guidance).
type Counterfactual int

const (
	// Plain is the method as it is.
	Plain Counterfactual = iota
	ExactSize
	ExactDirection
	Along
)

// Counterfactuals are the three replacements, in the order reports list them.
var Counterfactuals = []Counterfactual{ExactSize, ExactDirection, Along}

var counterfactualNames = [...]string{Plain: "plain", ExactSize: "exact-size", ExactDirection: "exact-direction", Along: "along"}

// String is the name flags and reports use.
func (c Counterfactual) String() string {
	if c < 0 || int(c) >= len(counterfactualNames) {
		return fmt.Sprintf("Counterfactual(%d)", int(c))
	}
	return counterfactualNames[c]
}

// Describe says in a few words what the run's update is.
func (c Counterfactual) Describe() string {
	switch c {
	case ExactSize:
		return "own direction, exact size"
	case ExactDirection:
		return "exact direction, own size"
	case Along:
		return "own component along the exact"
	}
	return "as it is"
}

// ParseCounterfactual reads a Counterfactual's name.
func ParseCounterfactual(s string) (Counterfactual, error) {
	for c, name := range counterfactualNames {
		if s == name {
			return Counterfactual(c), nil
		}
	}
	return Plain, fmt.Errorf("counterfactual %q: want one of plain, exact-size, exact-direction, along", s)
}

// Fits says why the counterfactuals cannot replace a method's update, or
// returns nil: a particle method moves a population, of which the update
// of the one particle shown is not the whole step.
func Fits(m *method.Method, v method.Values) error {
	if m.Needs(v)&method.Particles != 0 {
		return fmt.Errorf("the counterfactuals replace one update per step; %s moves a population of particles", m.Label)
	}
	return nil
}

// apply replaces the update u by the counterfactual's, given the exact
// guidance gExact and the factor c with u* = c·g*. It returns u.
func (c Counterfactual) apply(u, gExact []float64, shift float64) []float64 {
	nu := math.Sqrt(vec.Dot(u, u))
	ne := math.Abs(shift) * math.Sqrt(vec.Dot(gExact, gExact))
	if c == Plain || nu == 0 || ne == 0 || math.IsNaN(nu) || math.IsNaN(ne) {
		return u
	}
	var keep, take float64 // u' = keep·u + take·g*
	switch c {
	case ExactSize:
		keep = ne / nu
	case ExactDirection:
		take = shift * nu / ne
	case Along:
		take = shift * shift * vec.Dot(u, gExact) / (ne * ne) // (u·c g*)/‖c g*‖² · c
	}
	for j := range u {
		u[j] = keep*u[j] + take*gExact[j]
	}
	return u
}
