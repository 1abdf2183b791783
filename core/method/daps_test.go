package method

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// countingDen counts the denoiser calls a method makes through State.Den.
type countingDen struct {
	*affine
	calls int
}

func (c *countingDen) Denoise(ctx context.Context, dst, xt []float64, ab float64) error {
	c.calls++
	return c.affine.Denoise(ctx, dst, xt, ab)
}

// TestDAPSMatchesDense: one DAPS step against the dense computation: n
// Euler steps of dx/dσ = (x − D(√ᾱ·x))/σ on the poly-7 grid from σ_t to
// 0.01 with the affine denoiser (which ignores the noise level), N Langevin
// steps with explicit A and the step size η0·μ_t/(s_max²/τ² + 1/σ_t²)
// (s_max from gonum's SVD), then x_s = √ᾱ_s·x0 + √(1−ᾱ_s)·z.
func TestDAPSMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=5", "inpaint-random:p=0.4,seed=3"} {
		for _, c := range []struct {
			sigma, tau, lr float64
			n, nl          int
			v              Values
		}{
			{0.1, 0.1, 1, 5, 100, nil},
			{0.3, 0.05, 0.5, 3, 7, Values{"daps-tau": "0.05", "daps-lr": "0.5", "daps-ode": "3", "daps-langevin": "7"}},
		} {
			f := newFixture(t, spec)
			f.withStep()
			f.st.AlphaBarT, f.st.AlphaBarS = 0.2, 0.5
			cd := &countingDen{affine: f.den}
			f.st.Den = cd
			g, err := f.bind(t, "daps", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.replace(t, g)
			if cd.calls != c.n-1 {
				t.Errorf("%s: %d calls through Den, want n − 1 = %d", spec, cd.calls, c.n-1)
			}
			_, d := f.A.Dims()
			st := f.st
			// The ODE.
			sig := math.Sqrt((1 - st.AlphaBarT) / st.AlphaBarT)
			grid := make([]float64, c.n+1)
			for k := range grid {
				grid[k] = math.Pow(math.Pow(sig, 1/7.0)+float64(k)/float64(c.n)*(math.Pow(0.01, 1/7.0)-math.Pow(sig, 1/7.0)), 7)
			}
			x := make([]float64, d)
			for j := range x {
				x[j] = st.Xt[j] / math.Sqrt(st.AlphaBarT)
			}
			for k := 0; k < c.n; k++ {
				xin := make([]float64, d)
				ab := 1 / (1 + grid[k]*grid[k])
				for j := range xin {
					xin[j] = math.Sqrt(ab) * x[j]
				}
				D := f.den.denoise(make([]float64, d), xin)
				for j := range x {
					x[j] += (grid[k+1] - grid[k]) / grid[k] * (x[j] - D[j])
				}
			}
			x0 := append([]float64(nil), x...)
			// Langevin.
			var svd mat.SVD
			svd.Factorize(f.A, mat.SVDNone)
			smax := svd.Values(nil)[0]
			pos := (math.Pow(100, 1/7.0) - math.Pow(sig, 1/7.0)) / (math.Pow(100, 1/7.0) - math.Pow(0.1, 1/7.0))
			decay := 1 - 0.99*pos
			eta := c.lr * decay / (smax*smax/(c.tau*c.tau) + 1/(sig*sig))
			rng := rand.New(rand.NewPCG(math.Float64bits(st.Z[0]), math.Float64bits(st.Z[d-1])))
			for range c.nl {
				r := mulVec(f.A, x)
				for i := range r {
					r[i] = f.y[i] - r[i]
				}
				atr := mulVec(f.A.T(), r)
				for j := range x {
					x[j] += eta*(atr[j]/(c.tau*c.tau)+(x0[j]-x[j])/(sig*sig)) + math.Sqrt(2*eta)*rng.NormFloat64()
				}
			}
			want := make([]float64, d)
			for j := range want {
				want[j] = math.Sqrt(st.AlphaBarS)*x[j] + math.Sqrt(1-st.AlphaBarS)*st.Z[j]
			}
			if e := absErr(out.Xs, want); e > 1e-8 {
				t.Errorf("%s n=%d N=%d: x_s err %.2e", spec, c.n, c.nl, e)
			}
		}
	}
}

// TestDAPSLangevinTargets: with the ODE's x̂0 fixed and many Langevin
// steps, the samples' mean approaches the Gaussian target's,
// (AᵀA/τ² + I/σ_t²)⁻¹(Aᵀy/τ² + x̂0/σ_t²), computed densely.
func TestDAPSLangevinTargets(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	f.withStep()
	f.st.AlphaBarT, f.st.AlphaBarS = 0.5, 1 // x_s = x0: the Langevin sample
	f.st.Den = f.den
	_, d := f.A.Dims()
	// The ODE's x̂0, computed by the method with N = 0.
	g0, err := f.bind(t, "daps", 0.3, Values{"daps-langevin": "0"})
	if err != nil {
		t.Fatal(err)
	}
	x0 := append([]float64(nil), f.replace(t, g0).Xs...)
	g, err := f.bind(t, "daps", 0.3, Values{"daps-langevin": "2000"})
	if err != nil {
		t.Fatal(err)
	}
	mean := make([]float64, d)
	const runs = 200
	rng := rand.New(rand.NewPCG(5, 6))
	for range runs {
		for i := range f.st.Z {
			f.st.Z[i] = rng.NormFloat64()
		}
		out := f.replace(t, g)
		for j := range mean {
			mean[j] += out.Xs[j] / runs
		}
	}
	sig2 := (1 - 0.5) / 0.5
	var P mat.Dense
	P.Mul(f.A.T(), f.A)
	P.Scale(1/0.09, &P)
	for i := 0; i < d; i++ {
		P.Set(i, i, P.At(i, i)+1/sig2)
	}
	rhs := mulVec(f.A.T(), f.y)
	for i := range rhs {
		rhs[i] = rhs[i]/0.09 + x0[i]/sig2
	}
	var want mat.VecDense
	if err := want.SolveVec(&P, mat.NewVecDense(d, rhs)); err != nil {
		t.Fatal(err)
	}
	// The posterior's sd is at most σ_t = 1; 200 runs: the mean within ~0.25.
	if e := absErr(mean, want.RawVector().Data); e > 0.25 {
		t.Errorf("Langevin mean off by %.3f", e)
	}
}

// TestDAPSRefusals: nonlinear operators, σ = 0 with τ auto, n = 0, n not whole.
func TestDAPSRefusals(t *testing.T) {
	m, _ := Lookup("daps")
	if err := m.Serves(offerFor(t, "phase", 0), nil); err == nil {
		t.Error("DAPS serves phase retrieval")
	}
	if m.Needs(Values{"daps-tau": "auto"})&PositiveSigma == 0 || m.Needs(Values{"daps-tau": "0.1"})&PositiveSigma != 0 {
		t.Error("τ = auto should need σ > 0, an explicit τ not")
	}
	f := newFixture(t, "sr:factor=2")
	for _, c := range []struct {
		sigma float64
		v     Values
	}{{0, nil}, {0.1, Values{"daps-ode": "0"}}, {0.1, Values{"daps-ode": "2.5"}}, {0.1, Values{"daps-tau": "0"}}} {
		if _, err := f.bind(t, "daps", c.sigma, c.v); err == nil {
			t.Errorf("σ=%v %v accepted", c.sigma, c.v)
		}
	}
	fr := m.Formula(Values{"daps-ode": "5", "daps-langevin": "100", "daps-lr": "1", "daps-tau": "auto"}, Frame{AlphaBarT: 0.5, Sigma: 0.1, Residual: 2})
	for _, w := range []string{"n = 5", "N = 100", "τ = σ = 0.1", "σ_t = √((1−ᾱ_t)/ᾱ_t) = 1", "= 2"} {
		if !strings.Contains(fr[0]+fr[1], w) {
			t.Errorf("panel lacks %q: %q", w, fr)
		}
	}
	nf := m.Formula(Values{"daps-ode": "5", "daps-langevin": "100", "daps-lr": "1", "daps-tau": "auto"}, Frame{AlphaBarT: nan(), Residual: nan(), Sigma: 0.1})
	if strings.Contains(nf[0]+nf[1], "NaN") {
		t.Errorf("before the first step: %q", nf)
	}
}
