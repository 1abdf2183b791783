package schedule

import (
	"math"
	"testing"
)

func TestDefaultMatchesProduct(t *testing.T) {
	s := Default()
	if s.T() != 1000 {
		t.Fatalf("T = %d", s.T())
	}
	// Independent computation: ᾱ_t = exp(Σ log(1−β_s)).
	for _, tt := range []int{1, 2, 500, 1000} {
		sum := 0.0
		for k := 1; k <= tt; k++ {
			beta := 1e-4 + (0.02-1e-4)*float64(k-1)/999
			sum += math.Log1p(-beta)
		}
		if got, want := s.AlphaBar[tt], math.Exp(sum); math.Abs(got-want) > 1e-12*want {
			t.Errorf("ᾱ_%d = %v, want %v", tt, got, want)
		}
	}
	if s.AlphaBar[1] != 1-1e-4 {
		t.Errorf("ᾱ_1 = %v", s.AlphaBar[1])
	}
	// Published value: ᾱ_T ≈ 4.04e-5 for this schedule.
	if a := s.AlphaBar[1000]; a < 4.0e-5 || a > 4.1e-5 {
		t.Errorf("ᾱ_T = %v, want ≈ 4.04e-5", a)
	}
}

func TestRespace(t *testing.T) {
	s := Default()
	for _, S := range []int{1, 2, 10, 100, 999, 1000} {
		g, err := s.Respace(S)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) != S || g[0] != 1000 {
			t.Fatalf("S=%d: grid starts %v", S, g[:1])
		}
		if S > 1 && g[S-1] != 1 {
			t.Errorf("S=%d: grid ends at %d, want 1", S, g[S-1])
		}
		for i := 1; i < S; i++ {
			if g[i] >= g[i-1] {
				t.Fatalf("S=%d: grid not strictly decreasing at %d: %v", S, i, g[i-1:i+1])
			}
		}
	}
	for _, S := range []int{0, -1, 1001} {
		if _, err := s.Respace(S); err == nil {
			t.Errorf("Respace(%d) gave no error", S)
		}
	}
}

func TestLinearRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		T    int
		b, e float64
	}{{0, 1e-4, 0.02}, {10, 0, 0.02}, {10, 1e-4, 1}, {10, math.NaN(), 0.02}} {
		if _, err := Linear(c.T, c.b, c.e); err == nil {
			t.Errorf("Linear(%d, %v, %v) gave no error", c.T, c.b, c.e)
		}
	}
}
