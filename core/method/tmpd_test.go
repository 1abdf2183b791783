package method

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// denseTMPDDiag is TMPD-diag's c with dense float64 matrices, J the
// fixture's: the row sums A·Jᵀ·Aᵀ·1 floored at floor·max(mean, 0) (no
// floor at 0), or the diagonal of A·Jᵀ·Aᵀ.
func denseTMPDDiag(f *fixture, diag string, floor float64) []float64 {
	m, _ := f.A.Dims()
	var aj, s mat.Dense
	aj.Mul(f.A, f.den.J.T())
	s.Mul(&aj, f.A.T())
	c := make([]float64, m)
	if diag == "exact" {
		for i := range c {
			c[i] = s.At(i, i)
		}
		return c
	}
	mean := 0.0
	for i := range c {
		c[i] = mat.Sum(s.RowView(i))
		mean += c[i] / float64(m)
	}
	if floor > 0 {
		for i := range c {
			c[i] = math.Max(c[i], floor*math.Max(mean, 0))
		}
	}
	return c
}

// denseTMPD is TMPD-diag's g with dense matrices: Cov = γ·Jᵀ,
// g = Jᵀ·Aᵀ·((y − A·x̂0) ⊘ (γ·c + σ²)).
func denseTMPD(f *fixture, sigma float64, diag string, floor float64) []float64 {
	m, d := f.A.Dims()
	gam := (1 - f.st.AlphaBarT) / math.Sqrt(f.st.AlphaBarT)
	c := denseTMPDDiag(f, diag, floor)
	res := f.residual()
	u := mat.NewVecDense(m, nil)
	for i := 0; i < m; i++ {
		if v := gam*c[i] + sigma*sigma; v != 0 {
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

// TestTMPDMatchesDense: each variant — the row sums unguarded (azula's
// update) and floored, the exact diagonal probed by VJPs — against dense
// float64 matrices, on every kind of operator.
func TestTMPDMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "svd:dy=5", "identity"} {
		for _, c := range []struct {
			diag  string
			floor float64
		}{{"rowsum", 0}, {"rowsum", 0.25}, {"rowsum", 2}, {"exact", 0.25}} {
			for _, sigma := range []float64{0.05, 0.5} {
				f := newFixture(t, spec)
				v := Values{"tmpd-diag": c.diag, "tmpd-floor": FormatFloat(c.floor)}
				g, err := f.bind(t, "tmpd", sigma, v)
				if err != nil {
					t.Fatal(err)
				}
				out := f.guide(t, g)
				if d, want := g.(*tmpd).c, denseTMPDDiag(f, c.diag, c.floor); relErr(d, want) > 1e-12 {
					t.Errorf("%s %v: c = %v, want %v", spec, v, d, want)
				}
				want := denseTMPD(f, sigma, c.diag, c.floor)
				if e := relErr(out.ScoreY, want); e > 1e-10 {
					t.Errorf("%s %v σ=%v: g rel err %.2e", spec, v, sigma, e)
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
}

// TestTMPDIsDiagonalGaussian: where A·Cov·Aᵀ is diagonal (identity A, J
// diagonal) the row sums and the exact diagonal are the diagonal, and
// TMPD-diag is the exact Gaussian update Jᵀ·(y − x̂0)/(γ·J_ii + σ²)
// componentwise, unguarded; the floor raises the entries below f times
// their mean.
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
	gam := 0.5 / math.Sqrt(0.5)
	mean := 0.0
	for i := 0; i < d; i++ {
		mean += f.den.J.At(i, i) / float64(d)
	}
	for _, v := range []Values{{"tmpd-floor": "0"}, {"tmpd-diag": "exact"}, {"tmpd-floor": "0.9"}} {
		g, err := f.bind(t, "tmpd", 0.2, v)
		if err != nil {
			t.Fatal(err)
		}
		out := f.guide(t, g)
		raised := 0
		for i := 0; i < d; i++ {
			c := f.den.J.At(i, i)
			if fl := 0.9 * mean; v["tmpd-floor"] == "0.9" && c < fl {
				c = fl
				raised++
			}
			want := f.den.J.At(i, i) * (f.y[i] - f.st.X0Hat[i]) / (gam*c + 0.04)
			if math.Abs(out.ScoreY[i]-want) > 1e-12*(1+math.Abs(want)) {
				t.Fatalf("%v: g[%d] = %v, want %v", v, i, out.ScoreY[i], want)
			}
		}
		if v["tmpd-floor"] == "0.9" && raised == 0 {
			t.Error("the floor raised no entry: the test does not test it")
		}
	}
}

func TestTMPDNeedsAndAxis(t *testing.T) {
	m, _ := Lookup("tmpd")
	if m.Needs(nil) != VJP|Linear {
		t.Errorf("needs %v", m.Needs(nil))
	}
	for _, v := range []Values{nil, {"tmpd-diag": "exact"}} {
		if m.CovarianceOf(v) != CovDiagonal || CovDiagonal.String() != "TMPD-diag" {
			t.Errorf("%v: axis %v", v, m.CovarianceOf(v))
		}
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
	if got := m.Describe(Values{"tmpd-diag": "exact", "tmpd-floor": "0.25"}); got != "TMPD-diag diag=exact" {
		t.Errorf("label %q", got)
	}
}

// TestTMPDNegativeRowSums: with J negated every row sum is negative.
// Unguarded (f = 0) they are used as they are, as the published codes do:
// c + σ² < 0 flips the components. Floored, their mean is negative too and
// the floor is 0: every component gets the weight 1/σ².
func TestTMPDNegativeRowSums(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	d := len(f.xt)
	f.den.J.Scale(-1, f.den.J)
	f.st.X0Hat = f.den.denoise(make([]float64, d), f.xt)
	for _, floor := range []float64{0, 0.25} {
		g, err := f.bind(t, "tmpd", 0.1, Values{"tmpd-floor": FormatFloat(floor)})
		if err != nil {
			t.Fatal(err)
		}
		out := f.guide(t, g)
		c := g.(*tmpd).c
		for i, r := range c {
			if (floor == 0 && !(r < 0)) || (floor > 0 && r != 0) {
				t.Fatalf("f = %v: c[%d] = %v", floor, i, r)
			}
		}
		if e := relErr(out.ScoreY, denseTMPD(f, 0.1, "rowsum", floor)); e > 1e-10 {
			t.Errorf("f = %v: rel err %.2e", floor, e)
		}
	}
}
