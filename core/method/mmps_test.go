package method

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/operator"
)

// mmpsSystem is Σ_y = σ²·I + γ·A·Jᵀ·Aᵀ (Cov = γ·Jᵀ, as VJPs give it) with
// dense matrices.
func mmpsSystem(f *fixture, sigma float64) *mat.Dense {
	m, _ := f.A.Dims()
	gam := (1 - f.st.AlphaBarT) / math.Sqrt(f.st.AlphaBarT)
	var aj, s mat.Dense
	aj.Mul(f.A, f.den.J.T())
	s.Mul(&aj, f.A.T())
	s.Scale(gam, &s)
	for i := 0; i < m; i++ {
		s.Set(i, i, s.At(i, i)+sigma*sigma)
	}
	return &s
}

// denseCG is n steps of textbook conjugate gradients on S·u = b from u = 0.
func denseCG(S *mat.Dense, b *mat.VecDense, n int) *mat.VecDense {
	m := b.Len()
	u := mat.NewVecDense(m, nil)
	r := mat.VecDenseCopyOf(b)
	p := mat.VecDenseCopyOf(b)
	var sp mat.VecDense
	for k := 0; k < n; k++ {
		rr := mat.Dot(r, r)
		if rr == 0 {
			break
		}
		sp.MulVec(S, p)
		alpha := rr / mat.Dot(p, &sp)
		u.AddScaledVec(u, alpha, p)
		r.AddScaledVec(r, -alpha, &sp)
		p.AddScaledVec(r, mat.Dot(r, r)/rr, p)
	}
	return u
}

// back is Jᵀ·Aᵀ·u, densely.
func (f *fixture) back(u mat.Vector) []float64 {
	var atu, g mat.VecDense
	atu.MulVec(f.A.T(), u)
	g.MulVec(f.den.J.T(), &atu)
	return g.RawVector().Data
}

func TestMMPSMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=5"} {
		for _, sigma := range []float64{0.05, 0.5} {
			for _, n := range []int{1, 2, 3} {
				f := newFixture(t, spec)
				g, err := f.bind(t, "mmps", sigma, Values{"cg-iters": FormatFloat(float64(n))})
				if err != nil {
					t.Fatal(err)
				}
				out := f.guide(t, g)
				want := f.back(denseCG(mmpsSystem(f, sigma), f.residual(), n))
				if e := relErr(out.ScoreY, want); e > 1e-9 {
					t.Errorf("%s σ=%v n=%d: g rel err %.2e", spec, sigma, n, e)
				}
				gam := 0.5 / math.Sqrt(0.5)
				if out.Target != ToX0Hat || math.Abs(out.Corr[5]-gam*out.ScoreY[5]) > 1e-12 {
					t.Errorf("%s: target %v, corr/g %v", spec, out.Target, out.Corr[5]/out.ScoreY[5])
				}
			}
		}
		// The exact solve: Σ_y⁻¹ by a dense solve.
		f := newFixture(t, spec)
		g, err := f.bind(t, "mmps", 0.1, Values{"mmps-solve": "exact"})
		if err != nil {
			t.Fatal(err)
		}
		var u mat.VecDense
		if err := u.SolveVec(mmpsSystem(f, 0.1), f.residual()); err != nil {
			t.Fatal(err)
		}
		if e := relErr(f.guide(t, g).ScoreY, f.back(&u)); e > 1e-10 {
			t.Errorf("%s exact: g rel err %.2e", spec, e)
		}
	}
}

// symmetrize makes the fixture's J symmetric positive definite, as an
// exact denoiser's is.
func symmetrize(f *fixture) {
	d, _ := f.den.J.Dims()
	var s mat.Dense
	s.Mul(f.den.J.T(), f.den.J)
	s.Scale(0.5, &s)
	f.den.J = &s
	f.st.X0Hat = f.den.denoise(make([]float64, d), f.xt)
}

// TestMMPSCGConverges: with J symmetric, m CG steps solve the m×m system.
func TestMMPSCGConverges(t *testing.T) {
	for _, spec := range []string{"svd:dy=5", "sr:factor=2"} {
		f := newFixture(t, spec)
		symmetrize(f)
		m := f.op.OutLen()
		g, err := f.bind(t, "mmps", 0.1, Values{"cg-iters": FormatFloat(float64(m))})
		if err != nil {
			t.Fatal(err)
		}
		var u mat.VecDense
		if err := u.SolveVec(mmpsSystem(f, 0.1), f.residual()); err != nil {
			t.Fatal(err)
		}
		if e := relErr(f.guide(t, g).ScoreY, f.back(&u)); e > 1e-9 {
			t.Errorf("%s: %d CG steps: rel err %.2e to the solve", spec, m, e)
		}
	}
}

// counting counts the VJPs taken through it.
type counting struct {
	*affine
	vjps int
}

func (c *counting) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	c.vjps++
	return c.affine.VJPAt(ctx, id, dst, v)
}

// TestCovarianceMethodsVJPs: TMPD-diag takes 2 VJPs a step with the row
// sums and m + 1 with the exact diagonal, MMPS n + 1 (fewer when CG has
// solved the system) and m + 1 when solving exactly.
func TestCovarianceMethodsVJPs(t *testing.T) {
	for _, c := range []struct {
		name, spec string
		v          Values
		want       int
	}{
		{"tmpd", "inpaint-box:size=2", nil, 2},
		{"tmpd", "svd:dy=3", Values{"tmpd-diag": "exact"}, 4},
		{"mmps", "inpaint-box:size=2", nil, 2},
		{"mmps", "inpaint-box:size=2", Values{"cg-iters": "4"}, 5},
		{"mmps", "svd:dy=1", Values{"cg-iters": "4"}, 2}, // one step solves a 1×1 system
		{"mmps", "svd:dy=3", Values{"mmps-solve": "exact"}, 4},
	} {
		f := newFixture(t, c.spec)
		cnt := &counting{affine: f.den}
		f.st.Point = denoiser.NewPoint(cnt, 0)
		g, err := f.bind(t, c.name, 0.1, c.v)
		if err != nil {
			t.Fatal(err)
		}
		f.guide(t, g)
		if cnt.vjps != c.want {
			t.Errorf("%s %s %v: %d VJPs, want %d", c.name, c.spec, c.v, cnt.vjps, c.want)
		}
	}
}

// TestMMPSGaussianIsOracle: on a Gaussian prior (a mixture of one
// component) p(y|x_t) is Gaussian with the covariance the exact
// denoiser's Jacobian gives, so MMPS with the exact solve is the exact
// guidance ∇log p(y|x_t), to 1e-8; so is CG run for m steps.
func TestMMPSGaussianIsOracle(t *testing.T) {
	shape := img.Shape{H: 4, W: 4, C: 1}
	mix := gmm.Random(shape, 1, 3, 7)
	rng := rand.New(rand.NewPCG(3, 4))
	d := shape.Len()
	for _, spec := range []string{"inpaint-box:size=2", "svd:dy=3", "blur-gauss:size=3,std=1"} {
		op, err := operator.Parse(spec, shape)
		if err != nil {
			t.Fatal(err)
		}
		m := op.OutLen()
		y := make([]float64, m)
		for i := range y {
			y[i] = rng.NormFloat64() * 0.5
		}
		const sigma = 0.1
		exact, err := mix.NewExactGuidance(op.(operator.Linear), y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		mm, _ := Lookup("mmps")
		for _, v := range []Values{{"mmps-solve": "exact"}, {"cg-iters": FormatFloat(float64(m))}} {
			vals, err := mm.Resolve(v, op)
			if err != nil {
				t.Fatal(err)
			}
			g, err := mm.Bind(&Problem{Op: op.Clone(), Y: y, Sigma: sigma}, vals)
			if err != nil {
				t.Fatal(err)
			}
			for _, ab := range []float64{0.02, 0.3, 0.9, 0.999} {
				xt := make([]float64, d)
				for i := range xt {
					xt[i] = rng.NormFloat64()
				}
				den := mix.NewDenoiser().(denoiser.Differentiable)
				x0 := make([]float64, d)
				pt, err := den.Linearize(context.Background(), x0, xt, ab)
				if err != nil {
					t.Fatal(err)
				}
				st := &State{AlphaBarT: ab, AlphaBarS: ab, Xt: xt, X0Hat: x0, Point: pt}
				out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d)}
				if err := g.Guide(context.Background(), st, out); err != nil {
					t.Fatal(err)
				}
				want := exact.Guidance(make([]float64, d), xt, ab)
				e := relErr(out.ScoreY, want)
				t.Logf("%s %v ᾱ=%v: rel err %.1e, ‖g*‖∞ %.3g", spec, v, ab, e, maxAbs(want))
				if !(e <= 1e-8) {
					t.Errorf("%s %v ᾱ=%v: MMPS vs exact guidance rel err %.2e", spec, v, ab, e)
				}
			}
		}
	}
}

func TestMMPSParams(t *testing.T) {
	m, _ := Lookup("mmps")
	if m.Needs(Values{"mmps-solve": "exact"})&Exact == 0 || m.Needs(Values{"mmps-solve": "cg"})&Exact != 0 {
		t.Error("the exact solve does not need the exact prior, or CG does")
	}
	if m.CovarianceOf(Values{"mmps-solve": "cg"}) != CovFull || m.CovarianceOf(Values{"mmps-solve": "exact"}) != CovExact {
		t.Error("MMPS's place on the covariance axis")
	}
	f := newFixture(t, "sr:factor=2")
	for _, n := range []string{"0", "1.5"} {
		if _, err := f.bind(t, "mmps", 0.1, Values{"cg-iters": n}); err == nil {
			t.Errorf("n_CG = %s accepted", n)
		}
	}
	ph := newFixture(t, "phase")
	if _, err := ph.bind(t, "mmps", 0.1, nil); err == nil {
		t.Error("MMPS bound to phase retrieval")
	}
	o := Offer{Caps: VJP | Linear, Op: "sr:factor=2", NoExact: "the prior is not exact"}
	if err := m.Serves(o, Values{"mmps-solve": "exact"}); err == nil {
		t.Error("the exact solve serves a problem without the exact prior")
	}
	if err := m.Serves(o, Values{"mmps-solve": "cg"}); err != nil {
		t.Error(err)
	}
}

func maxAbs(x []float64) float64 {
	n := 0.0
	for _, v := range x {
		n = math.Max(n, math.Abs(v))
	}
	return n
}

// TestMMPSLabel: the solve shows in the label when it is not the default.
func TestMMPSLabel(t *testing.T) {
	m, _ := Lookup("mmps")
	for v, want := range map[string]string{"cg": "MMPS n_CG=2", "exact": "MMPS solve=exact n_CG=2"} {
		if got := m.Describe(Values{"mmps-solve": v, "cg-iters": "2"}); got != want {
			t.Errorf("label %q, want %q", got, want)
		}
	}
	d, _ := Lookup("dps")
	if got := d.Describe(Values{"dps-form": "squared", "zeta": "0.25"}); got != "DPS form=squared ζ=0.25" {
		t.Errorf("label %q", got)
	}
}
