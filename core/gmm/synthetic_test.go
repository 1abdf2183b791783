package gmm

import (
	"math"
	"strings"
	"testing"

	"tweedie/core/img"
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

func TestParseSyntheticBounds(t *testing.T) {
	for spec, frag := range map[string]string{
		"gmm25:d=9223372036854775806":  "from 2 to 4096",
		"gmm25:d=100000000":            "from 2 to 4096",
		"gmm25:d=4098":                 "from 2 to 4096",
		"gmm25:d=-2":                   "from 2 to 4096",
		"gmm25:d=99999999999999999999": "from 2 to 4096",
		"gmm25:seed=-1":                "non-negative",
		"gmm25:d=8,d=8":                "twice",
	} {
		if _, err := ParseSynthetic(spec); err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("ParseSynthetic(%q): error %v, want one containing %q", spec, err, frag)
		}
	}
	mix, err := ParseSynthetic("gmm25:d=4096,weights=equal")
	if err != nil || mix.Dim() != MaxSyntheticDim {
		t.Fatalf("d = MaxSyntheticDim: %v", err)
	}
}

// FuzzParseSynthetic checks that ParseSynthetic never panics and that
// every prior it accepts validates, has 25 components over 1×d×1 with d
// within the bound.
func FuzzParseSynthetic(f *testing.F) {
	for _, s := range []string{"gmm25", "gmm25:", "gmm25:d=8,seed=1,weights=random",
		"gmm25:d=80,weights=equal", " gmm25 : d = 4096 ", "gmm25:d=4098", "gmm25:d=9223372036854775806",
		"gmm25:d=8,d=8", "gmm25:d", "gmm25:seed=18446744073709551615", "gmm5", ":", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		mix, err := ParseSynthetic(spec)
		if err != nil {
			if mix != nil {
				t.Fatalf("%q: a mixture and an error", spec)
			}
			return
		}
		if err := mix.Validate(); err != nil {
			t.Fatalf("%q accepted but invalid: %v", spec, err)
		}
		d := mix.Dim()
		if len(mix.Components) != 25 || d < 2 || d > MaxSyntheticDim || mix.Shape != (img.Shape{H: 1, W: d, C: 1}) {
			t.Fatalf("%q: %d components, shape %v", spec, len(mix.Components), mix.Shape)
		}
	})
}
