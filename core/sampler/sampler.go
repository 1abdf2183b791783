// Package sampler holds the reverse-diffusion update rules, one step at a
// time from timestep t to an earlier timestep s < t (s = 0 ends the run).
//
// Both rules are affine in x̂0 and x_t, so a step is three coefficients:
//
//	x_s = A·x̂0 + B·x_t + C·z,   z ~ N(0, I).
//
// DDPM ancestral sampling draws x_s from the forward posterior q(x_s | x_t, x0 = x̂0);
// on the full grid (s = t−1) this is
//
//	A = sqrt(ᾱ_{t−1})·β_t/(1−ᾱ_t),  B = sqrt(α_t)·(1−ᾱ_{t−1})/(1−ᾱ_t),  C² = β_t·(1−ᾱ_{t−1})/(1−ᾱ_t),
//
// and on a respaced grid β_t becomes 1 − ᾱ_t/ᾱ_s. DDIM(η) recomputes the noise
// estimate ε̂ = (x_t − sqrt(ᾱ_t)·x̂0)/sqrt(1−ᾱ_t) and steps
//
//	x_s = sqrt(ᾱ_s)·x̂0 + sqrt(1−ᾱ_s−c²)·ε̂ + c·z,  c = η·sqrt((1−ᾱ_t/ᾱ_s)·(1−ᾱ_s)/(1−ᾱ_t)).
//
// At s = 0 (ᾱ_0 = 1) both give x_0 = x̂0 with no noise.
package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Kind names an update rule.
type Kind int

const (
	DDPM Kind = iota // ancestral sampling
	DDIM             // DDIM(η)
)

func (k Kind) String() string {
	switch k {
	case DDPM:
		return "ddpm"
	case DDIM:
		return "ddim"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind reads "ddpm" or "ddim".
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "ddpm":
		return DDPM, nil
	case "ddim":
		return DDIM, nil
	}
	return 0, fmt.Errorf("unknown sampler %q (want ddpm or ddim)", s)
}

// Coeffs are the coefficients of one step x_s = A·x̂0 + B·x_t + C·z.
type Coeffs struct{ A, B, C float64 }

// StepCoeffs returns the coefficients of a step from noise level alphaBarT
// to alphaBarS > alphaBarT. eta is used by DDIM only (η = 1 equals DDPM).
func (k Kind) StepCoeffs(alphaBarT, alphaBarS, eta float64) Coeffs {
	// betaTS = 1 − ᾱ_t/ᾱ_s is the variance the forward process adds from s to t.
	betaTS := 1 - alphaBarT/alphaBarS
	// Posterior variance of q(x_s | x_t, x0).
	post := betaTS * (1 - alphaBarS) / (1 - alphaBarT)
	switch k {
	case DDPM:
		return Coeffs{
			A: math.Sqrt(alphaBarS) * betaTS / (1 - alphaBarT),
			B: math.Sqrt(alphaBarT/alphaBarS) * (1 - alphaBarS) / (1 - alphaBarT),
			C: math.Sqrt(post),
		}
	case DDIM:
		c := eta * math.Sqrt(post)
		kEps := math.Sqrt(math.Max(0, 1-alphaBarS-c*c)) / math.Sqrt(1-alphaBarT)
		return Coeffs{
			A: math.Sqrt(alphaBarS) - kEps*math.Sqrt(alphaBarT),
			B: kEps,
			C: c,
		}
	}
	panic("sampler: unknown kind " + k.String())
}

// Apply writes x_s = A·x̂0 + B·x_t + C·z into dst. It panics if lengths differ.
func (c Coeffs) Apply(dst, x0Hat, xt, z []float64) []float64 {
	if len(x0Hat) != len(dst) || len(xt) != len(dst) || len(z) != len(dst) {
		panic("sampler: length mismatch")
	}
	for i := range dst {
		dst[i] = c.A*x0Hat[i] + c.B*xt[i] + c.C*z[i]
	}
	return dst
}

// Noise is a seeded source of standard normal vectors. The same seed gives
// the same sequence on every platform (math/rand/v2 PCG).
type Noise struct {
	rng *rand.Rand
	pcg *rand.PCG
}

// NewNoise returns a noise source for seed.
func NewNoise(seed uint64) *Noise {
	pcg := rand.NewPCG(seed, 0x7477656564696521)
	return &Noise{rng: rand.New(pcg), pcg: pcg}
}

// State returns the source's position in its sequence; Restore goes back
// to it (math/rand/v2's Rand keeps no state of its own beyond the PCG's).
func (n *Noise) State() []byte {
	b, _ := n.pcg.MarshalBinary() // never fails
	return b
}

// Restore sets the source to a position State returned.
func (n *Noise) Restore(state []byte) error { return n.pcg.UnmarshalBinary(state) }

// Fill writes independent N(0, 1) values into dst and returns it.
func (n *Noise) Fill(dst []float64) []float64 {
	for i := range dst {
		dst[i] = n.rng.NormFloat64()
	}
	return dst
}
