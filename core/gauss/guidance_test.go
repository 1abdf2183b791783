package gauss

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/operator"
)

// denseScoreDiff returns ∇log p_t(x_t|y) − ∇log p_t(x_t) by dense algebra:
//
//	−(ᾱΣ' + (1−ᾱ)I)⁻¹·(x_t − sqrt(ᾱ)·m') + (ᾱΣ + (1−ᾱ)I)⁻¹·(x_t − sqrt(ᾱ)·μ),
//
// the definition of the exact guidance, independent of the formula the
// code uses (J·Aᵀ·S_t⁻¹·(y − A·x̂0)).
func denseScoreDiff(t testing.TB, pb problem, mean []float64, post *mat.SymDense, xt []float64, alphaBar float64) []float64 {
	sig := denseSigma(pb.pr)
	sa := math.Sqrt(alphaBar)
	d := len(xt)
	r1 := sub(xt, scaled(sa, mean))
	r0 := sub(xt, scaled(sa, pb.pr.Mean()))
	s1 := solveSym(t, noised(post, alphaBar), mat.NewVecDense(d, r1)).RawMatrix().Data
	s0 := solveSym(t, noised(sig, alphaBar), mat.NewVecDense(d, r0)).RawMatrix().Data
	return sub(s0, s1)
}

// denseGuidance returns J·Aᵀ·S_t⁻¹·(y − A·x̂0), S_t = A·V_t·Aᵀ + σ²·I.
func denseGuidance(t testing.TB, pb problem, xt []float64, alphaBar float64) []float64 {
	sig := denseSigma(pb.pr)
	J := denseGain(t, sig, alphaBar)
	A := denseOp(pb.op)
	m, _ := A.Dims()
	S := denseS(A, denseCondCov(t, sig, alphaBar), pb.sigma)
	mu := pb.pr.Mean()
	x0 := add(mu, mulVec(J, sub(xt, scaled(math.Sqrt(alphaBar), mu))))
	e := sub(pb.y, mulVec(A, x0))
	u := solveSym(t, S, mat.NewVecDense(m, e)).RawMatrix().Data
	return mulVec(J.T(), mulVec(A.T(), u))
}

// TestGuidanceDense checks the guidance along a sequence of noise levels
// against both dense forms.
func TestGuidanceDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, pb := range problems(t, 0.1) {
		g, err := pb.pr.NewGuidance(pb.op, pb.y, pb.sigma, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mean, post := densePosterior(t, pb)
		d := pb.pr.Dim()
		for _, ab := range []float64{1e-3, 0.05, 0.3, 0.31, 0.9, 1} {
			xt := add(scaled(math.Sqrt(ab), pb.pr.Sample(make([]float64, d), rng)), randVec(rng, d, math.Sqrt(1-ab)))
			got := g.Guidance(make([]float64, d), xt, ab)
			if err := g.Err(); err != nil {
				t.Fatalf("%s ᾱ=%v: %v", pb.name, ab, err)
			}
			want := denseGuidance(t, pb, xt, ab)
			diff := denseScoreDiff(t, pb, mean, post, xt, ab)
			// The two dense forms agree up to the cancellation in the
			// difference of scores (each of size ‖x_t‖, g of size ‖g‖).
			if e := relErr(diff, want); e > 1e-9*(1+floats.Norm(xt, 2)/floats.Norm(want, 2)) {
				t.Errorf("%s ᾱ=%v: the dense forms differ by %.2g", pb.name, ab, e)
			}
			tol := denseTol
			if pb.want != Convolution {
				tol = 1e-6
			}
			if e := relErr(got, want); e > tol {
				t.Errorf("%s ᾱ=%v: guidance off by %.2g (%d iterations)", pb.name, ab, e, g.Stats().Iterations)
			}
		}
	}
}

// TestGuidanceLogDensity checks the convolutions' closed-form log densities
// against dense ones, and the guidance as the derivative of log p_t(x_t|y)
// − log p_t(x_t) by central differences.
func TestGuidanceLogDensity(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 8))
	for _, pb := range problems(t, 0.2) {
		post, err := pb.pr.Posterior(ctx, pb.op, pb.y, pb.sigma, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := pb.pr.Dim()
		xt := randVec(rng, d, 1)
		if pb.want != Convolution {
			if _, err := post.LogMarginal(xt, 0.5); err != ErrNoClosedForm {
				t.Errorf("%s: LogMarginal: %v, want ErrNoClosedForm", pb.name, err)
			}
			if _, err := post.LogEvidence(); err != ErrNoClosedForm {
				t.Errorf("%s: LogEvidence: %v, want ErrNoClosedForm", pb.name, err)
			}
			continue
		}
		mean, cov := densePosterior(t, pb)
		sig := denseSigma(pb.pr)
		// log p(y) = log N(y; A·μ, A·Σ·Aᵀ + σ²·I).
		A := denseOp(pb.op)
		S := denseS(A, sig, pb.sigma)
		le, err := post.LogEvidence()
		if err != nil {
			t.Fatal(err)
		}
		if want := denseLogNormal(t, pb.y, mulVec(A, pb.pr.Mean()), S); math.Abs(le-want) > 1e-9*math.Abs(want) {
			t.Errorf("%s: log p(y) = %v, want %v", pb.name, le, want)
		}
		g, err := pb.pr.NewGuidance(pb.op, pb.y, pb.sigma, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ab := range []float64{0.01, 0.5, 0.99} {
			lp, err := post.LogMarginal(xt, ab)
			if err != nil {
				t.Fatal(err)
			}
			if want := denseLogNormal(t, xt, scaled(math.Sqrt(ab), mean), noised(cov, ab)); math.Abs(lp-want) > 1e-9*math.Abs(want) {
				t.Errorf("%s ᾱ=%v: log p_t(x_t|y) = %v, want %v", pb.name, ab, lp, want)
			}
			l0, _ := pb.pr.LogMarginal(xt, ab)
			if want := denseLogNormal(t, xt, scaled(math.Sqrt(ab), pb.pr.Mean()), noised(sig, ab)); math.Abs(l0-want) > 1e-9*math.Abs(want) {
				t.Errorf("%s ᾱ=%v: log p_t(x_t) = %v, want %v", pb.name, ab, l0, want)
			}
			f := func(x []float64) float64 {
				a, _ := post.LogMarginal(x, ab)
				b, _ := pb.pr.LogMarginal(x, ab)
				return a - b
			}
			w := randVec(rng, d, 1)
			const h = 1e-3
			fd := (f(add(xt, scaled(h, w))) - f(sub(xt, scaled(h, w)))) / (2 * h)
			gw := floats.Dot(g.Guidance(make([]float64, d), xt, ab), w)
			if math.Abs(fd-gw) > 1e-6*(math.Abs(gw)+1) {
				t.Errorf("%s ᾱ=%v: g·w = %v, finite differences %v", pb.name, ab, gw, fd)
			}
		}
	}
}

// denseLogNormal returns log N(x; mean, cov) by Cholesky.
func denseLogNormal(t testing.TB, x, mean []float64, cov mat.Symmetric) float64 {
	t.Helper()
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	r := mat.NewVecDense(len(x), sub(x, mean))
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, r); err != nil {
		t.Fatal(err)
	}
	return -0.5 * (float64(len(x))*math.Log(2*math.Pi) + ch.LogDet() + mat.Dot(r, &sol))
}

// TestCGTolerance checks that each solve by conjugate gradients meets its
// stated tolerance on the true residual of S_ᾱ·u = b (dense S_ᾱ), at a
// loose and a tight tolerance, and that the loose one takes fewer
// iterations.
func TestCGTolerance(t *testing.T) {
	ctx := context.Background()
	shape := img.Shape{H: 6, W: 6, C: 3}
	pr := newPrior(t, shape, 2)
	sig := denseSigma(pr)
	for _, spec := range []string{"inpaint-random:p=0.5,seed=3", "sr:factor=3", "svd:dy=20,seed=2"} {
		op, err := operator.Parse(spec, shape)
		if err != nil {
			t.Fatal(err)
		}
		lin := op.(operator.Linear)
		A := denseOp(lin)
		m, _ := A.Dims()
		pb := newProblem(t, pr, spec, lin, 0.05, 1, General)
		for _, ab := range []float64{0, 0.2, 0.9} {
			S := denseS(A, denseCondCov(t, sig, ab), pb.sigma)
			iters := map[float64]int{}
			for _, tol := range []float64{1e-3, 1e-11} {
				ms, err := pr.newMeasurement(lin, pb.y, pb.sigma, Options{Tol: tol})
				if err != nil {
					t.Fatal(err)
				}
				sv := ms.newSolver(lin)
				u := make([]float64, m)
				if err := sv.solve(ctx, u, pb.y, ab); err != nil {
					t.Fatal(err)
				}
				res := floats.Norm(sub(pb.y, mulVec(S, u)), 2) / floats.Norm(pb.y, 2)
				if res > tol || math.Abs(res-sv.last.Residual) > 1e-12 {
					t.Errorf("%s ᾱ=%v tol %g: residual %.3g (reported %.3g) after %d iterations", spec, ab, tol, res, sv.last.Residual, sv.last.Iterations)
				}
				iters[tol] = sv.last.Iterations
			}
			if iters[1e-3] >= iters[1e-11] {
				t.Errorf("%s ᾱ=%v: %d iterations at tolerance 1e-3, %d at 1e-11", spec, ab, iters[1e-3], iters[1e-11])
			}
		}
	}
}

// TestCGLimit checks that a solve that cannot meet its tolerance within
// MaxIter iterations is an error, from the posterior and the guidance.
func TestCGLimit(t *testing.T) {
	ctx := context.Background()
	shape := img.Shape{H: 8, W: 8, C: 3}
	pr := newPrior(t, shape, 2)
	op, _ := operator.Parse("inpaint-random:p=0.5,seed=3", shape)
	pb := newProblem(t, pr, "random", op.(operator.Linear), 0.05, 1, RowOrthogonal)
	opts := Options{Tol: 1e-14, MaxIter: 2}
	if _, err := pr.Posterior(ctx, pb.op, pb.y, pb.sigma, opts); err == nil {
		t.Error("posterior: no error at MaxIter = 2")
	}
	g, err := pr.NewGuidance(pb.op, pb.y, pb.sigma, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := g.Guidance(make([]float64, pr.Dim()), randVec(rand.New(rand.NewPCG(1, 1)), pr.Dim(), 1), 0.1)
	if g.Err() == nil {
		t.Error("guidance: no error at MaxIter = 2")
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatal("guidance of the last iterate is not finite")
		}
	}
	for _, ab := range []float64{0, 1.5, math.NaN()} {
		out := g.Guidance(make([]float64, pr.Dim()), make([]float64, pr.Dim()), ab)
		if g.Err() == nil || !math.IsNaN(out[0]) {
			t.Errorf("ᾱ = %v: error %v, guidance %v…", ab, g.Err(), out[0])
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := pr.Posterior(cancelled, pb.op, pb.y, pb.sigma, Options{}); err != context.Canceled {
		t.Errorf("posterior under a cancelled context: %v", err)
	}
}

// TestMeasurementErrors checks what the posterior refuses.
func TestMeasurementErrors(t *testing.T) {
	shape := img.Shape{H: 4, W: 4, C: 3}
	pr := newPrior(t, shape, 2)
	id, _ := operator.Parse("identity", shape)
	lin := id.(operator.Linear)
	y := make([]float64, shape.Len())
	other, _ := operator.Parse("identity", img.Shape{H: 4, W: 4, C: 1})
	phase, _ := operator.Parse("phase", shape)
	nan := append([]float64(nil), y...)
	nan[3] = math.NaN()
	for name, c := range map[string]struct {
		op    operator.Linear
		y     []float64
		sigma float64
	}{
		"σ = 0":             {lin, y, 0},
		"σ = NaN":           {lin, y, math.NaN()},
		"σ = ∞":             {lin, y, math.Inf(1)},
		"short y":           {lin, y[:5], 0.1},
		"NaN in y":          {lin, nan, 0.1},
		"another shape":     {other.(operator.Linear), make([]float64, 16), 0.1},
		"nonlinear":         {nonlinear{phase}, make([]float64, phase.OutLen()), 0.1},
		"no operator (nil)": {nil, y, 0.1},
	} {
		if _, err := pr.NewGuidance(c.op, c.y, c.sigma, Options{}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// nonlinear is a nonlinear operator posing as Linear.
type nonlinear struct{ operator.Operator }

func (nonlinear) Adjoint(dst, v []float64) []float64                   { return dst }
func (nonlinear) Solve(dst, b []float64, r2, sigma2 float64) []float64 { return dst }
