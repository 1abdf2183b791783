package lab

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"tweedie/core/internal/vec"
)

// slicedW2 is the sample-based distance the lab used before: sqrt(mean_θ
// W2²(θ·a, θ·b)) for sample sets of sizes n and N = M·n, each of a's
// values standing for M of b's (W2 of 1-D empirical measures by sorting).
func slicedW2(a, b [][]float64, dirs [][]float64) float64 {
	n, N := len(a), len(b)
	M := N / n
	pa, pb := make([]float64, n), make([]float64, N)
	sum := 0.0
	for _, th := range dirs {
		for i := range a {
			pa[i] = vec.Dot(th, a[i])
		}
		for i := range b {
			pb[i] = vec.Dot(th, b[i])
		}
		slices.Sort(pa)
		slices.Sort(pb)
		for i, x := range pb {
			d := pa[i/M] - x
			sum += d * d / float64(N)
		}
	}
	return math.Sqrt(sum / float64(len(dirs)))
}

// bruteW2sq integrates ∫_0^1 (x_(⌈u·n⌉) − F⁻¹(u))² du by the midpoint rule
// on a fine grid of u, F⁻¹ by plain bisection on the CDF written with
// math.Erf: an independent computation of quantileTable.w2sq.
func bruteW2sq(xs []float64, w, mu, s []float64, grid int) float64 {
	cdf := func(x float64) float64 {
		c := 0.0
		for k := range w {
			c += w[k] * 0.5 * (1 + math.Erf((x-mu[k])/(s[k]*math.Sqrt2)))
		}
		return c
	}
	inv := func(u float64) float64 {
		lo, hi := -100.0, 100.0
		for range 64 {
			mid := 0.5 * (lo + hi)
			if cdf(mid) < u {
				lo = mid
			} else {
				hi = mid
			}
		}
		return 0.5 * (lo + hi)
	}
	n := len(xs)
	sum := 0.0
	for g := 0; g < grid; g++ {
		u := (float64(g) + 0.5) / float64(grid)
		i := min(int(u*float64(n)), n-1)
		d := xs[i] - inv(u)
		sum += d * d / float64(grid)
	}
	return sum
}

// TestW2AgainstBruteForce: a two-component mixture on the line against
// 7 sorted values, exactly (table) and by brute-force quadrature of the
// quantile function.
func TestW2AgainstBruteForce(t *testing.T) {
	m := mixture1D{w: []float64{0.3, 0.7}, mu: []float64{-2, 1.5}, s: []float64{0.5, 1.2}}
	xs := []float64{-2.6, -1.1, 0.2, 0.9, 1.4, 2.8, 4.0}
	got := m.table(len(xs)).w2sq(xs, nil)
	want := bruteW2sq(xs, m.w, m.mu, m.s, 200000)
	if math.Abs(got-want) > 1e-4*want {
		t.Errorf("W2² = %.8f, brute force %.8f", got, want)
	}
	// Counts: value i taken counts[i] times is the expanded sample.
	counts := []int32{2, 0, 1, 1, 0, 3, 0}
	var expanded []float64
	for i, c := range counts {
		for range c {
			expanded = append(expanded, xs[i])
		}
	}
	tab := m.table(len(xs))
	if a, b := tab.w2sq(xs, counts), tab.w2sq(expanded, nil); math.Abs(a-b) > 1e-12 {
		t.Errorf("weighted W2² %.12f, expanded %.12f", a, b)
	}
	// The quantiles invert the CDF.
	lo, hi := m.bracket()
	for _, u := range []float64{1e-4, 0.1, 0.3, 0.5, 0.77, 0.9999} {
		q := m.quantile(u, lo, hi)
		if c, _ := m.cdfPdf(q); math.Abs(c-u) > 1e-12 {
			t.Errorf("F(F⁻¹(%g)) = %.15f", u, c)
		}
	}
}

// TestSlicedExactAgainstSamples: on a gmm25 posterior, the sliced distance
// against the exact projected posterior agrees with the sample-based one
// against a huge exact sample (each of the n samples standing for 4000).
func TestSlicedExactAgainstSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 80 000 exact samples")
	}
	cfg := gmm25Config(t, 20, "pig")
	cfg.Projections = 8
	l, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Prior.Dim()
	draw := func(n int, seed uint64) [][]float64 {
		xs := make([][]float64, n)
		for i := range xs {
			xs[i] = make([]float64, d)
		}
		l.post.SampleMany(xs, rand.New(rand.NewPCG(seed, seed)))
		return xs
	}
	xs := draw(20, 1)
	// Move the samples a little, so the distance is not only sampling noise.
	for _, x := range xs {
		x[0] += 0.3
	}
	ref := draw(20*4000, 2)
	got := slicedExact(sortedProjections(xs, l.dirs), nil, l.tablesFor(len(xs)))
	want := slicedW2(xs, ref, l.dirs)
	t.Logf("exact %.4f, against 80 000 samples %.4f", got, want)
	if math.Abs(got-want) > 0.03*want {
		t.Errorf("SW %.4f against the exact posterior, %.4f against a huge sample", got, want)
	}
}

// TestSlicedExactFallsWithN: exact samples scored against their own
// posterior. On a one-component posterior E[SW²] falls about as 1/n (for a
// Gaussian, n·E[W2²] grows only like log log n); on a posterior with two
// modes a distance D apart it falls only as 1/√n, since the modes' sample
// weights are off by O(1/√n) and moving that mass costs D²/√n: the
// figure has no floor of its own, but its noise depends on the posterior.
func TestSlicedExactFallsWithN(t *testing.T) {
	for _, c := range []struct {
		op       string
		sigma    float64
		lo, hi   float64
		expected string
	}{
		{"svd:dy=4,seed=1", 0.1, 8, 24, "16 for 1/n"},
		{"svd:dy=1,seed=1", 0.1, 2.5, 8, "4 for 1/√n"},
	} {
		cfg := gmm25Config(t, 20, "pig")
		cfg.Entries[0].Settings.Op, cfg.Entries[0].Settings.Sigma = c.op, c.sigma
		cfg.Projections = 16
		l, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		d := cfg.Prior.Dim()
		rng := rand.New(rand.NewPCG(3, 3))
		meanSq := func(n, reps int) float64 {
			s := 0.0
			for range reps {
				xs := make([][]float64, n)
				for i := range xs {
					xs[i] = make([]float64, d)
				}
				l.post.SampleMany(xs, rng)
				sw := slicedExact(sortedProjections(xs, l.dirs), nil, l.tablesFor(n))
				s += sw * sw / float64(reps)
			}
			return s
		}
		small, large := meanSq(50, 400), meanSq(800, 100)
		ratio := small / large
		t.Logf("%s: weights %.3v; E[SW²]: n = 50: %.4g, n = 800: %.4g, ratio %.1f (%s)", c.op, l.post.Weights, small, large, ratio, c.expected)
		if ratio < c.lo || ratio > c.hi {
			t.Errorf("%s: E[SW²] ratio %.1f between n = 50 and 800, want %g to %g (%s)", c.op, ratio, c.lo, c.hi, c.expected)
		}
	}
}
