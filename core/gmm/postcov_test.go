package gmm

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestApplyCovMatchesDense checks Σ'_k·v, its diagonal and log p(y)
// against the textbook dense formulas.
func TestApplyCovMatchesDense(t *testing.T) {
	const sigma = 0.3
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 3, 2, sigma)
		post, err := mix.PosteriorWeights(context.Background(), op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		A := denseA(op)
		_, _, covs := densePosterior(t, mix, A, y, sigma)
		d := mix.Dim()
		rng := rand.New(rand.NewPCG(9, 9))
		v := make([]float64, d)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for k := range covs {
			got := post.ApplyCov(make([]float64, d), k, v)
			var want mat.VecDense
			want.MulVec(covs[k], mat.NewVecDense(d, v))
			if e := maxRelErr(got, want.RawVector().Data); e > 1e-9 {
				t.Errorf("%s: Σ'_%d·v rel err %.2e", pc.spec, k, e)
			}
			var AC, ACA mat.Dense
			AC.Mul(A, covs[k])
			ACA.Mul(&AC, A.T())
			var AA mat.Dense
			AA.Mul(A, A.T())
			gotACA, gotAA, err := post.MeasuredTrace(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			if w := mat.Trace(&ACA); math.Abs(gotACA-w) > 1e-9*(1+w) {
				t.Errorf("%s: tr(AΣ'_%dAᵀ) = %v, dense %v", pc.spec, k, gotACA, w)
			}
			if w := mat.Trace(&AA); math.Abs(gotAA-w) > 1e-9*(1+w) {
				t.Errorf("%s: tr(AAᵀ) = %v, dense %v", pc.spec, gotAA, w)
			}
			diag, err := post.CovDiag(context.Background(), k)
			if err != nil {
				t.Fatal(err)
			}
			for i := range diag {
				if w := covs[k].At(i, i); math.Abs(diag[i]-w) > 1e-9*(1+w) {
					t.Errorf("%s: Σ'_%d[%d,%d] = %v, dense %v", pc.spec, k, i, i, diag[i], w)
				}
			}
		}
		// log p(y) = log Σ_k π_k N(y; Aμ_k, AΣ_kAᵀ + σ²I), densely.
		terms := make([]float64, len(mix.Components))
		for k := range mix.Components {
			c := &mix.Components[k]
			_, _, Ss, amu := denseMeasured(c, A, sigma)
			terms[k] = math.Log(c.Weight) + denseLogNormal(t, y, amu.RawVector().Data, Ss)
		}
		mx := math.Inf(-1)
		for _, v := range terms {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for _, v := range terms {
			s += math.Exp(v - mx)
		}
		if want := mx + math.Log(s); math.Abs(post.LogEvidence-want) > 1e-9*(1+math.Abs(want)) {
			t.Errorf("%s: log p(y) = %v, dense %v", pc.spec, post.LogEvidence, want)
		}
	}
}

// TestJointMatchesDense checks log p_t(x_t|y) and p(k|x_t,y) against the
// dense mixture x_t|y ~ Σ π'_k N(sqrt(ᾱ)m'_k, ᾱΣ'_k + (1−ᾱ)I).
func TestJointMatchesDense(t *testing.T) {
	const sigma = 0.3
	for _, pc := range posteriorCases {
		mix, op, y := measured(t, pc, 3, 2, sigma)
		post, err := mix.PosteriorWeights(context.Background(), op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		w, means, covs := densePosterior(t, mix, denseA(op), y, sigma)
		ex, err := mix.NewExactGuidance(op, y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		eg := ex.(*ExactGuidance)
		d := mix.Dim()
		rng := rand.New(rand.NewPCG(2, 2))
		for _, ab := range []float64{0.05, 0.5, 0.98} {
			x0, _ := post.Sample(make([]float64, d), rng)
			xt := make([]float64, d)
			for i := range xt {
				xt[i] = math.Sqrt(ab)*x0[i] + math.Sqrt(1-ab)*rng.NormFloat64()
			}
			terms := make([]float64, len(w))
			for k := range w {
				C := mat.NewSymDense(d, nil)
				C.ScaleSym(ab, covs[k])
				mk := make([]float64, d)
				for i := 0; i < d; i++ {
					C.SetSym(i, i, C.At(i, i)+1-ab)
					mk[i] = math.Sqrt(ab) * means[k][i]
				}
				terms[k] = math.Log(w[k]) + denseLogNormal(t, xt, mk, C)
			}
			mx := math.Inf(-1)
			for _, v := range terms {
				mx = math.Max(mx, v)
			}
			s := 0.0
			for _, v := range terms {
				s += math.Exp(v - mx)
			}
			want := mx + math.Log(s)
			rho := make([]float64, len(w))
			got := eg.Joint(rho, xt, ab, post.LogEvidence)
			if math.Abs(got-want) > 1e-8*(1+math.Abs(want)) {
				t.Errorf("%s ᾱ=%g: log p_t(x_t|y) = %v, dense %v", pc.spec, ab, got, want)
			}
			for k := range rho {
				if r := math.Exp(terms[k] - want); math.Abs(rho[k]-r) > 1e-8 {
					t.Errorf("%s ᾱ=%g: ρ_%d = %v, dense %v", pc.spec, ab, k, rho[k], r)
				}
			}
		}
	}
}

// TestSampleManyMoments: the batched draws have the exact component
// frequencies (4.5 binomial standard errors) and per-pixel means (4.5
// standard errors), as Sample's.
func TestSampleManyMoments(t *testing.T) {
	const sigma, N = 0.3, 4000
	mix, op, y := measured(t, posteriorCases[0], 3, 2, sigma)
	post, err := mix.Posterior(context.Background(), op, y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	d := mix.Dim()
	xs := make([][]float64, N)
	for i := range xs {
		xs[i] = make([]float64, d)
	}
	ks := post.SampleMany(xs, rand.New(rand.NewPCG(5, 5)))
	count := make([]float64, len(post.Weights))
	for _, k := range ks {
		count[k]++
	}
	for k, w := range post.Weights {
		if se := math.Sqrt(w * (1 - w) / N); math.Abs(count[k]/N-w) > 4.5*se+1e-12 {
			t.Errorf("component %d: frequency %.4f, π' %.4f", k, count[k]/N, w)
		}
	}
	for i := 0; i < d; i++ {
		mean := 0.0
		for _, x := range xs {
			mean += x[i] / N
		}
		if se := post.Std[i] / math.Sqrt(N); math.Abs(mean-post.Mean[i]) > 4.5*se {
			t.Errorf("pixel %d: mean %.4f, exact %.4f (se %.4f)", i, mean, post.Mean[i], se)
		}
	}
}
