package gmm

import (
	"math"
	"testing"
)

func TestGMM25(t *testing.T) {
	mix, err := ParseSynthetic("gmm25:d=8,seed=2")
	if err != nil {
		t.Fatal(err)
	}
	if err := mix.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(mix.Components) != 25 || mix.Dim() != 8 {
		t.Fatalf("%d components of dimension %d", len(mix.Components), mix.Dim())
	}
	c := mix.Components[0] // i = j = −2
	for k, want := range []float64{-16, -16, -16, -16, -16, -16, -16, -16} {
		if c.Mean[k] != want {
			t.Fatalf("μ_00 = %v", c.Mean)
		}
	}
	if m := mix.Components[7].Mean; m[0] != -8 || m[1] != 0 || m[6] != -8 || m[7] != 0 {
		t.Errorf("μ for i=−1, j=0 is %v", m)
	}
	eq, _ := ParseSynthetic("gmm25:d=80,weights=equal")
	for _, c := range eq.Components {
		if math.Abs(c.Weight-0.04) > 1e-15 || c.Resid != 1 || c.Rank() != 0 {
			t.Fatalf("equal-weight component %+v", c.Weight)
		}
	}
	for _, bad := range []string{"gmm25:d=7", "gmm25:d=0", "gmm5", "gmm25:x=1", "gmm25:weights=odd", "gmm25:d"} {
		if _, err := ParseSynthetic(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
