// Package schedule holds the variance-preserving noise schedule of DDPM and
// its respacing to fewer sampling steps.
//
// Timesteps are 1-based: t ∈ {1, …, T}, with
//
//	β_t linear from β_1 to β_T,  α_t = 1 − β_t,  ᾱ_t = ∏_{s≤t} α_s,  ᾱ_0 = 1,
//
// and the forward process x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε.
package schedule

import (
	"fmt"
	"math"
)

// Defaults of the DPS paper.
const (
	DefaultT     = 1000
	DefaultBeta1 = 1e-4
	DefaultBetaT = 0.02
)

// Schedule is a VP noise schedule with T steps.
type Schedule struct {
	// AlphaBar[t] = ᾱ_t for t = 0…T (AlphaBar[0] = 1).
	AlphaBar []float64
}

// Linear returns the schedule with β_t linear from beta1 at t = 1 to betaT at t = T.
func Linear(T int, beta1, betaT float64) (*Schedule, error) {
	switch {
	case T < 1:
		return nil, fmt.Errorf("schedule: T = %d, want at least 1", T)
	case !(beta1 > 0 && beta1 < 1) || !(betaT > 0 && betaT < 1):
		return nil, fmt.Errorf("schedule: β from %v to %v, want both in (0, 1)", beta1, betaT)
	}
	ab := make([]float64, T+1)
	ab[0] = 1
	for t := 1; t <= T; t++ {
		beta := beta1
		if T > 1 {
			beta = beta1 + (betaT-beta1)*float64(t-1)/float64(T-1)
		}
		ab[t] = ab[t-1] * (1 - beta)
	}
	return &Schedule{AlphaBar: ab}, nil
}

// Default returns the DPS schedule: T = 1000, β linear from 1e-4 to 0.02.
func Default() *Schedule {
	s, err := Linear(DefaultT, DefaultBeta1, DefaultBetaT)
	if err != nil {
		panic(err) // constants are valid
	}
	return s
}

// T returns the number of diffusion steps.
func (s *Schedule) T() int { return len(s.AlphaBar) - 1 }

// Respace returns S timesteps spread evenly over 1…T, largest first:
//
//	t_i = round(1 + i·(T−1)/(S−1)),  i = S−1, …, 0,
//
// so S = T gives every timestep and S = 1 gives {T}. A sampler steps from
// Grid[i] to Grid[i+1], and from the last to t = 0.
func (s *Schedule) Respace(S int) ([]int, error) {
	T := s.T()
	if S < 1 || S > T {
		return nil, fmt.Errorf("schedule: %d steps, want 1 to %d", S, T)
	}
	grid := make([]int, S)
	for i := 0; i < S; i++ {
		t := T
		if S > 1 {
			t = int(math.Round(1 + float64(i)*float64(T-1)/float64(S-1)))
		}
		grid[S-1-i] = t
	}
	return grid, nil
}
