package gauss

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/operator"
)

// A test problem: a prior, an operator and a measurement y = A·x0 + σ·z of
// a prior draw x0.
type problem struct {
	name  string
	pr    *Prior
	op    operator.Linear
	y     []float64
	sigma float64
	want  Structure
}

// opCase is an operator of the dense tests and the structure it must be
// solved by.
type opCase struct {
	spec string
	want Structure
}

// testOps are the operators of the dense tests on a shape.
func testOps(shape img.Shape) []opCase {
	ops := []opCase{
		{"identity", Convolution},
		{"blur-gauss:size=3,std=0.8", Convolution},
		{"blur-motion:size=3,seed=2", Convolution},
		{"inpaint-box:size=2", RowOrthogonal},
		{"inpaint-random:p=0.5,seed=1", RowOrthogonal},
		{"inpaint-half", RowOrthogonal},
		{"svd:dy=5,seed=1", General},
	}
	if shape.H%2 == 0 && shape.W%2 == 0 {
		ops = append(ops, opCase{"sr:factor=2", RowOrthogonal})
	}
	return ops
}

func problems(t testing.TB, sigma float64) []problem {
	t.Helper()
	var ps []problem
	for si, shape := range smallShapes {
		pr := newPrior(t, shape, 2)
		for _, oc := range testOps(shape) {
			op, err := operator.Parse(oc.spec, shape)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, newProblem(t, pr, oc.spec, op.(operator.Linear), sigma, uint64(si), oc.want))
		}
		// A blur whose Solve is conjugate gradients is no Convolver: the general path.
		op, _ := operator.Parse("blur-gauss:size=3,std=0.8", shape)
		ps = append(ps, newProblem(t, pr, "cg(blur-gauss)", operator.WithCG(op.(operator.Linear), 0, 0), sigma, uint64(si), General))
	}
	return ps
}

func newProblem(t testing.TB, pr *Prior, name string, op operator.Linear, sigma float64, seed uint64, want Structure) problem {
	rng := rand.New(rand.NewPCG(seed, 11))
	x0 := pr.Sample(make([]float64, pr.Dim()), rng)
	y := op.Apply(make([]float64, op.OutLen()), x0)
	for i := range y {
		y[i] += sigma * rng.NormFloat64()
	}
	return problem{name: pr.ImageShape().String() + " " + name, pr: pr, op: op, y: y, sigma: sigma, want: want}
}

// densePosterior returns m' and Σ' by dense algebra.
func densePosterior(t testing.TB, pb problem) ([]float64, *mat.SymDense) {
	sig := denseSigma(pb.pr)
	A := denseOp(pb.op)
	m, d := A.Dims()
	var AS mat.Dense // A·Σ
	AS.Mul(A, sig)
	S := denseS(A, sig, pb.sigma)
	mu := pb.pr.Mean()
	e := sub(pb.y, mulVec(A, mu))
	X := solveSym(t, S, &AS) // S⁻¹·A·Σ
	var corr mat.Dense
	corr.Mul(AS.T(), X) // Σ·Aᵀ·S⁻¹·A·Σ
	post := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			post.SetSym(i, j, sig.At(i, j)-(corr.At(i, j)+corr.At(j, i))/2)
		}
	}
	u := solveSym(t, S, mat.NewVecDense(m, e))
	mean := add(mu, mulVec(AS.T(), u.RawMatrix().Data))
	return mean, post
}

// TestPosteriorDense checks the posterior mean, Σ'·v, a projection and the
// closed-form standard deviation against dense algebra.
func TestPosteriorDense(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, pb := range problems(t, 0.1) {
		post, err := pb.pr.Posterior(ctx, pb.op, pb.y, pb.sigma, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if post.Structure() != pb.want {
			t.Errorf("%s: solved as %v, want %v", pb.name, post.Structure(), pb.want)
		}
		mean, cov := densePosterior(t, pb)
		tol := denseTol
		if pb.want != Convolution {
			tol = 1e-6 // conjugate gradients to DefaultTol, times the conditioning
		}
		if e := relErr(post.Mean, mean); e > tol {
			t.Errorf("%s: mean off by %.2g", pb.name, e)
		}
		v := randVec(rng, pb.pr.Dim(), 1)
		got := make([]float64, len(v))
		if err := post.ApplyCov(ctx, got, v); err != nil {
			t.Fatal(err)
		}
		if e := relErr(got, mulVec(cov, v)); e > tol {
			t.Errorf("%s: Σ'·v off by %.2g", pb.name, e)
		}
		pm, pv, err := post.Project(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		wantVar := mat.Inner(mat.NewVecDense(len(v), v), cov, mat.NewVecDense(len(v), v))
		if math.Abs(pm-floats.Dot(v, mean)) > tol*floats.Norm(v, 2)*floats.Norm(mean, 2) || math.Abs(pv-wantVar) > tol*wantVar {
			t.Errorf("%s: projection N(%v, %v), want N(%v, %v)", pb.name, pm, pv, floats.Dot(v, mean), wantVar)
		}
		if pb.want == Convolution {
			std, n, err := post.Std(ctx)
			if err != nil || n != 0 {
				t.Fatalf("%s: Std: %v, %d samples", pb.name, err, n)
			}
			for i, s := range std {
				if w := math.Sqrt(cov.At(i, i)); math.Abs(s-w) > 1e-10*w {
					t.Fatalf("%s: std of pixel %d: %v, want %v", pb.name, i, s, w)
				}
			}
		}
	}
}

// samplingCases picks a convolution, a mask and a dense operator on 4×4×3.
func samplingCases(t *testing.T) []problem {
	var ps []problem
	for _, pb := range problems(t, 0.1) {
		switch pb.name {
		case "4×4×3 blur-motion:size=3,seed=2", "4×4×3 inpaint-random:p=0.5,seed=1", "4×4×3 svd:dy=5,seed=1":
			ps = append(ps, pb)
		}
	}
	if len(ps) != 3 {
		t.Fatalf("%d sampling cases", len(ps))
	}
	return ps
}

// TestPosteriorSamples checks the mean and covariance of 20000 exact
// samples against m' and Σ' (dense), each entry within 5 standard errors
// (see checkSamples).
func TestPosteriorSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("20000 samples per case")
	}
	ctx := context.Background()
	for _, pb := range samplingCases(t) {
		post, err := pb.pr.Posterior(ctx, pb.op, pb.y, pb.sigma, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mean, cov := densePosterior(t, pb)
		checkSamples(t, pb.name, mean, cov, 20000, func(dst []float64, rng *rand.Rand) {
			if err := post.Sample(ctx, dst, rng); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStdEstimate checks the standard deviation estimated from n samples
// against sqrt(diag Σ'): its relative standard error is 1/sqrt(2n); the
// test allows 5 of them per pixel. The estimate has the same bits twice.
func TestStdEstimate(t *testing.T) {
	ctx := context.Background()
	const n = 2000
	for _, pb := range samplingCases(t) {
		if pb.want == Convolution {
			continue
		}
		post, err := pb.pr.Posterior(ctx, pb.op, pb.y, pb.sigma, Options{StdSamples: n})
		if err != nil {
			t.Fatal(err)
		}
		std, got, err := post.Std(ctx)
		if err != nil || got != n {
			t.Fatalf("%s: %v, %d samples", pb.name, err, got)
		}
		_, cov := densePosterior(t, pb)
		for i, s := range std {
			want := math.Sqrt(cov.At(i, i))
			if z := math.Abs(s/want-1) * math.Sqrt(2*n); z > 5 {
				t.Errorf("%s: pixel %d: std %v, want %v (%.1f standard errors)", pb.name, i, s, want, z)
			}
		}
		again, _, _ := post.Std(ctx)
		if !slices.Equal(std, again) {
			t.Errorf("%s: the estimate differs between calls", pb.name)
		}
	}
}
