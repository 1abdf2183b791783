package gmm

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"tweedie/core/img"
)

// MaxSyntheticDim bounds the dimension d of a synthetic prior: 25 means of
// d values each, and operators built on it (svd) grow like d².
const MaxSyntheticDim = 4096

// GMM25 returns the synthetic benchmark prior of MCGdiff and TMPD: 25
// components with identity covariance and means
//
//	μ_ij = (8i, 8j, 8i, 8j, …) ∈ R^d,   i, j ∈ {−2, −1, 0, 1, 2},
//
// over "images" of shape 1×d×1 (d even, at most MaxSyntheticDim). Weights are drawn uniformly from
// (0, 1) with the seed and normalised (MCGdiff), or equal (TMPD) when
// equal is set.
func GMM25(d int, equal bool, seed uint64) (*Mixture, error) {
	if d < 2 || d%2 != 0 || d > MaxSyntheticDim {
		return nil, fmt.Errorf("gmm25: d = %d, want an even number from 2 to %d", d, MaxSyntheticDim)
	}
	rng := rand.New(rand.NewPCG(seed, 0x676d6d3235))
	mix := &Mixture{Shape: img.Shape{H: 1, W: d, C: 1}}
	total := 0.0
	for i := -2; i <= 2; i++ {
		for j := -2; j <= 2; j++ {
			mean := make([]float64, d)
			for k := 0; k < d; k += 2 {
				mean[k], mean[k+1] = 8*float64(i), 8*float64(j)
			}
			w := 1.0
			if !equal {
				w = rng.Float64()
			}
			total += w
			mix.Components = append(mix.Components, Component{Weight: w, Mean: mean, Resid: 1})
		}
	}
	for k := range mix.Components {
		mix.Components[k].Weight /= total
	}
	return mix, nil
}

// ParseSynthetic builds a synthetic prior from a spec
//
//	gmm25:d=8,seed=1,weights=random|equal
//
// (defaults d = 8, seed = 1, weights = random; d even, 2 ≤ d ≤
// MaxSyntheticDim, checked before anything is allocated). Each key may be
// given once.
func ParseSynthetic(spec string) (*Mixture, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	if name != "gmm25" {
		return nil, fmt.Errorf("unknown synthetic prior %q (known: gmm25)", name)
	}
	d, seed, equal := 8, uint64(1), false
	if strings.TrimSpace(rest) != "" {
		seen := make(map[string]bool)
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			var err error
			switch {
			case !ok:
				err = fmt.Errorf("malformed parameter %q (want key=value)", kv)
			case seen[k]:
				err = fmt.Errorf("key %q given twice", k)
			case k == "d":
				if d, err = strconv.Atoi(v); err != nil {
					err = fmt.Errorf("d=%s: want an even integer from 2 to %d", v, MaxSyntheticDim)
				}
			case k == "seed":
				if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
					err = fmt.Errorf("seed=%s: want a non-negative integer below 2^64", v)
				}
			case k == "weights" && (v == "random" || v == "equal"):
				equal = v == "equal"
			case k == "weights":
				err = fmt.Errorf("weights=%s: want random or equal", v)
			default:
				err = fmt.Errorf("unknown key %q (keys: d, seed, weights)", k)
			}
			if err != nil {
				return nil, fmt.Errorf("prior %q: %w", spec, err)
			}
			seen[k] = true
		}
	}
	mix, err := GMM25(d, equal, seed)
	if err != nil {
		return nil, fmt.Errorf("prior %q: %w", spec, err)
	}
	return mix, nil
}
