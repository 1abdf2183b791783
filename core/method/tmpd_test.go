package method

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// denseTMPD is TMPD-diag's g with dense matrices: Cov = γ·Jᵀ,
// c = A·Cov·Aᵀ·1, g = Jᵀ·Aᵀ·((y − A·x̂0) ⊘ (c + σ²)).
func denseTMPD(f *fixture, sigma float64) []float64 {
	m, d := f.A.Dims()
	gam := (1 - f.st.AlphaBarT) / math.Sqrt(f.st.AlphaBarT)
	var cov, acov, s mat.Dense
	cov.Scale(gam, f.den.J.T())
	acov.Mul(f.A, &cov)
	s.Mul(&acov, f.A.T())
	ones := make([]float64, m)
	for i := range ones {
		ones[i] = 1
	}
	var c mat.VecDense
	c.MulVec(&s, mat.NewVecDense(m, ones))
	res := f.residual()
	u := mat.NewVecDense(m, nil)
	for i := 0; i < m; i++ {
		if v := c.AtVec(i) + sigma*sigma; v != 0 {
			u.SetVec(i, res.AtVec(i)/v)
		}
	}
	var atu, g mat.VecDense
	atu.MulVec(f.A.T(), u)
	g.MulVec(f.den.J.T(), &atu)
	out := make([]float64, d)
	copy(out, g.RawVector().Data)
	return out
}

func TestTMPDMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=5", "identity"} {
		for _, sigma := range []float64{0.05, 0.5} {
			f := newFixture(t, spec)
			g, err := f.bind(t, "tmpd", sigma, nil)
			if err != nil {
				t.Fatal(err)
			}
			out := f.guide(t, g)
			want := denseTMPD(f, sigma)
			if e := relErr(out.ScoreY, want); e > 1e-10 {
				t.Errorf("%s σ=%v: g rel err %.2e", spec, sigma, e)
			}
			gam := 0.5 / math.Sqrt(0.5)
			for i := range want {
				if math.Abs(out.Corr[i]-gam*out.ScoreY[i]) > 1e-12*(1+math.Abs(out.Corr[i])) {
					t.Fatalf("%s: corr[%d] = %v, want γ·g = %v", spec, i, out.Corr[i], gam*out.ScoreY[i])
				}
			}
			if out.Target != ToX0Hat || !(out.Residual > 0) {
				t.Errorf("%s: target %v, residual %v", spec, out.Target, out.Residual)
			}
		}
	}
}

// TestTMPDIsDiagonalGaussian: where A·Cov·Aᵀ is diagonal (identity A, J
// diagonal) the row sums are the diagonal, and TMPD-diag is the exact
// Gaussian update Jᵀ·(y − x̂0)/(γ·J_ii + σ²) componentwise.
func TestTMPDIsDiagonalGaussian(t *testing.T) {
	f := newFixture(t, "identity")
	d := len(f.xt)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if i != j {
				f.den.J.Set(i, j, 0)
			}
		}
	}
	f.st.X0Hat = f.den.denoise(make([]float64, d), f.xt)
	g, err := f.bind(t, "tmpd", 0.2, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := f.guide(t, g)
	gam := 0.5 / math.Sqrt(0.5)
	for i := 0; i < d; i++ {
		jii := f.den.J.At(i, i)
		want := jii * (f.y[i] - f.st.X0Hat[i]) / (gam*jii + 0.04)
		if math.Abs(out.ScoreY[i]-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("g[%d] = %v, want %v", i, out.ScoreY[i], want)
		}
	}
}

func TestTMPDNeedsAndAxis(t *testing.T) {
	m, _ := Lookup("tmpd")
	if m.Needs(nil) != VJP|Linear {
		t.Errorf("needs %v", m.Needs(nil))
	}
	if m.CovarianceOf(nil) != CovDiagonal || CovDiagonal.String() != "TMPD-diag" {
		t.Errorf("axis %v", m.CovarianceOf(nil))
	}
	for name, want := range map[string]Cov{"dps": CovZero, "pig": CovIsotropic, "oracle": CovExact, "none": OffAxis} {
		if m, _ := Lookup(name); m.CovarianceOf(nil) != want {
			t.Errorf("%s on the axis at %v, want %v", name, m.CovarianceOf(nil), want)
		}
	}
	ph := newFixture(t, "phase")
	if _, err := ph.bind(t, "tmpd", 0.1, nil); err == nil {
		t.Error("TMPD-diag bound to phase retrieval")
	}
}

// TestTMPDNegativeRowSums: row sums below zero are used as they are, as
// the published codes do (no clipping): c + σ² < 0 flips the component.
func TestTMPDNegativeRowSums(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	d := len(f.xt)
	f.den.J.Scale(-1, f.den.J)
	f.st.X0Hat = f.den.denoise(make([]float64, d), f.xt)
	g, err := f.bind(t, "tmpd", 0.1, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := f.guide(t, g)
	if e := relErr(out.ScoreY, denseTMPD(f, 0.1)); e > 1e-10 {
		t.Errorf("rel err %.2e", e)
	}
}
