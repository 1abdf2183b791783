package gauss

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
)

func TestColourCovariance(t *testing.T) {
	p := newPrior(t, img.Shape{H: 2, W: 2, C: 3}, 2)
	K := p.ColourCovariance()
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(3, K)) {
		t.Fatal("colour covariance not positive definite")
	}
	// Published figures: stds 2·(0.229, 0.224, 0.225) in [−1, 1], means
	// 2·(0.485, 0.456, 0.406) − 1, and the correlations of the PCA
	// covariance stated in the package doc.
	sd := p.PixelStd()
	for c, want := range []float64{0.458, 0.448, 0.450} {
		if math.Abs(sd[c]-want) > 1e-12 {
			t.Errorf("channel %d: std %v, want %v", c, sd[c], want)
		}
	}
	for c, want := range []float64{-0.03, -0.088, -0.188} {
		if got := p.ColourMean()[c]; math.Abs(got-want) > 1e-12 {
			t.Errorf("channel %d: mean %v, want %v", c, got, want)
		}
	}
	for _, pair := range []struct {
		i, j int
		want float64
	}{{0, 1, 0.895}, {0, 2, 0.771}, {1, 2, 0.902}} {
		corr := K[pair.i*3+pair.j] / (sd[pair.i] * sd[pair.j])
		if math.Abs(corr-pair.want) > 5e-4 {
			t.Errorf("corr(%d, %d) = %.4f, want %.3f", pair.i, pair.j, corr, pair.want)
		}
	}
	// The eigenvectors: the largest is luminance (all channels one sign).
	q, kappa := p.col.q, p.col.kappa
	top := 0
	for k := range kappa {
		if kappa[k] > kappa[top] {
			top = k
		}
	}
	if q[top]*q[3+top] <= 0 || q[top]*q[6+top] <= 0 {
		t.Errorf("largest colour eigenvector (%.3f, %.3f, %.3f) is not luminance", q[top], q[3+top], q[6+top])
	}
	t.Logf("κ = %.4f, Q columns = %.3f", kappa, q)
	// Grey is (R + G + B)/3.
	g := newPrior(t, img.Shape{H: 2, W: 2, C: 1}, 2)
	sum := 0.0
	for _, v := range K {
		sum += v / 9
	}
	if got := g.ColourCovariance()[0]; math.Abs(got-sum) > 1e-15 {
		t.Errorf("grey variance %v, want 1ᵀK1/9 = %v", got, sum)
	}
}

// TestCovarianceDense checks Σ·v and the pixel variances against Σ built
// entry by entry.
func TestCovarianceDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, shape := range smallShapes {
		for _, alpha := range []float64{0, 1, 2, 3.5} {
			p := newPrior(t, shape, alpha)
			sig := denseSigma(p)
			v := randVec(rng, p.Dim(), 1)
			if e := relErr(p.ApplyCov(make([]float64, p.Dim()), v), mulVec(sig, v)); e > denseTol {
				t.Errorf("%v α=%v: Σ·v off by %.2g", shape, alpha, e)
			}
			K := p.ColourCovariance()
			for i := range p.Dim() {
				c := i % shape.C
				if got, want := sig.At(i, i), K[c*shape.C+c]; math.Abs(got-want) > 1e-12*want {
					t.Fatalf("%v α=%v: pixel variance %v, want K_cc = %v", shape, alpha, got, want)
				}
			}
		}
	}
}

// TestPriorSamples checks the prior's samples' mean and covariance against
// μ and Σ: each entry of the sample covariance of n draws has standard
// error sqrt((Σ_ii·Σ_jj + Σ_ij²)/n); the test allows 5 of them.
func TestPriorSamples(t *testing.T) {
	shape := img.Shape{H: 3, W: 2, C: 3}
	p := newPrior(t, shape, 2)
	sig := denseSigma(p)
	checkSamples(t, "prior", p.Mean(), sig, 20000, func(dst []float64, rng *rand.Rand) { p.Sample(dst, rng) })
}

// checkSamples draws n samples and compares their mean and covariance with
// mean and cov, entry by entry, within 5 standard errors.
func checkSamples(t *testing.T, what string, mean []float64, cov mat.Symmetric, n int, draw func(dst []float64, rng *rand.Rand)) {
	t.Helper()
	d := len(mean)
	rng := rand.New(rand.NewPCG(7, 7))
	sum := make([]float64, d)
	outer := mat.NewSymDense(d, nil)
	x := make([]float64, d)
	for range n {
		draw(x, rng)
		for i := range d {
			sum[i] += x[i]
			for j := i; j < d; j++ {
				outer.SetSym(i, j, outer.At(i, j)+(x[i]-mean[i])*(x[j]-mean[j]))
			}
		}
	}
	worst := 0.0
	for i := range d {
		se := math.Sqrt(cov.At(i, i) / float64(n))
		if z := math.Abs(sum[i]/float64(n)-mean[i]) / se; z > 5 {
			t.Errorf("%s: mean %d: %v, want %v (%.1f standard errors)", what, i, sum[i]/float64(n), mean[i], z)
		}
		for j := i; j < d; j++ {
			c := outer.At(i, j) / float64(n)
			se := math.Sqrt((cov.At(i, i)*cov.At(j, j) + cov.At(i, j)*cov.At(i, j)) / float64(n))
			z := math.Abs(c-cov.At(i, j)) / se
			worst = math.Max(worst, z)
			if z > 5 {
				t.Errorf("%s: covariance (%d, %d): %v, want %v (%.1f standard errors)", what, i, j, c, cov.At(i, j), z)
			}
		}
	}
	t.Logf("%s: worst covariance entry %.2f standard errors over %d entries", what, worst, d*(d+1)/2)
}
