package method

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/operator"
)

func TestPiGMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "identity"} {
		for _, c := range []struct {
			sigma float64
			v     Values
		}{
			{0.05, Values{}},
			{0, Values{"r": "0.3", "weight": "2"}},
			{0.2, Values{"r": "0.3"}},
		} {
			if spec[0] == 'b' && c.sigma == 0 {
				continue // blur at σ = 0 is a pseudo-inverse, not a dense solve
			}
			f := newFixture(t, spec)
			g, err := f.bind(t, "pig", c.sigma, c.v)
			if err != nil {
				t.Fatal(err)
			}
			out := f.guide(t, g)
			r := math.Sqrt(1 - f.st.AlphaBarT)
			if !c.v.Auto("r") && c.v["r"] != "" {
				r = c.v.Float("r")
			}
			want := f.densePiG(r*r, c.sigma*c.sigma)
			if e := relErr(out.ScoreY, want); e > 1e-10 {
				t.Errorf("%s σ=%v %v: g rel err %.2e", spec, c.sigma, c.v, e)
			}
			w := 1.0
			if c.v["weight"] != "" {
				w = c.v.Float("weight")
			}
			scale := (1 - 0.5) / math.Sqrt(0.5) * w
			if out.Target != ToX0Hat || math.Abs(out.Corr[3]-scale*out.ScoreY[3]) > 1e-12 {
				t.Errorf("%s %v: correction %v (target %v)", spec, c.v, out.Corr[3]/out.ScoreY[3], out.Target)
			}
			if !(out.Residual > 0) {
				t.Errorf("residual %v", out.Residual)
			}
		}
	}
}

// TestPiGDMIsPublishedForm: --weighting pigdm adds √(ᾱ_s·ᾱ_t)·w·Jᵀ·A†(y − A·x̂0)
// to x_s, with A† = Aᵀ(AAᵀ)⁻¹ (dense pseudo-inverse here) and neither 1/r_t²
// nor σ, as ΠGDM's published code does.
func TestPiGDMIsPublishedForm(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "identity"} {
		f := newFixture(t, spec)
		g, err := f.bind(t, "pig", 0.05, Values{"weighting": "pigdm", "weight": "1.5"})
		if err != nil {
			t.Fatal(err)
		}
		out := f.guide(t, g)
		var aat, inv, apinv mat.Dense
		aat.Mul(f.A, f.A.T())
		if err := inv.Inverse(&aat); err != nil {
			t.Fatal(err)
		}
		apinv.Mul(f.A.T(), &inv)
		var back, want mat.VecDense
		back.MulVec(&apinv, f.residual())
		want.MulVec(f.den.J.T(), &back)
		scale := math.Sqrt(0.5*0.6) * 1.5
		for i := range out.Corr {
			if math.Abs(out.Corr[i]-scale*want.AtVec(i)) > 1e-10*(1+math.Abs(scale*want.AtVec(i))) {
				t.Fatalf("%s: corr[%d] = %v, want %v", spec, i, out.Corr[i], scale*want.AtVec(i))
			}
			// g is that vector over r_t² = 1 − ᾱ_t.
			if math.Abs(out.ScoreY[i]-want.AtVec(i)/0.5) > 1e-10*(1+math.Abs(want.AtVec(i))) {
				t.Fatalf("%s: g[%d] = %v, want %v", spec, i, out.ScoreY[i], want.AtVec(i)/0.5)
			}
		}
		if out.Target != ToXs {
			t.Errorf("target %v", out.Target)
		}
	}
}

// TestPiGSigmaZeroIsPseudoInverse: at σ = 0, g = (1/r²)·Jᵀ·A†·(y − A·x̂0)
// with A† = Aᵀ(AAᵀ)⁻¹; for average pooling AAᵀ = I/f², so A† = f²·Aᵀ.
func TestPiGSigmaZeroIsPseudoInverse(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	g, err := f.bind(t, "pig", 0, Values{"r": "0.5"})
	if err != nil {
		t.Fatal(err)
	}
	out := f.guide(t, g)
	d := len(f.xt)
	res := make([]float64, f.op.OutLen())
	f.op.Apply(res, f.st.X0Hat)
	for i := range res {
		res[i] = 4 * (f.y[i] - res[i]) // f² = 4
	}
	back := f.op.(operator.Linear).Adjoint(make([]float64, d), res)
	want := f.den.vjp(back)
	for i := range want {
		want[i] /= 0.25 // r² = 0.25
	}
	if e := relErr(out.ScoreY, want); e > 1e-12 {
		t.Errorf("rel err %.2e", e)
	}
}

func TestPiGNonlinear(t *testing.T) {
	f := newFixture(t, "quantize:levels=4")
	d := len(f.xt)
	g, err := f.bind(t, "pig", 0.1, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := f.guide(t, g)
	// A† = identity: g = Jᵀ·(y − Q(x̂0))/(r² + σ²).
	q := f.op.Apply(make([]float64, d), f.st.X0Hat)
	diff := make([]float64, d)
	for i := range diff {
		diff[i] = (f.y[i] - q[i]) / (0.5 + 0.01)
	}
	if e := relErr(out.ScoreY, f.den.vjp(diff)); e > 1e-12 {
		t.Errorf("quantize ΠG rel err %.2e", e)
	}
}

func TestPiGRefusals(t *testing.T) {
	m, _ := Lookup("pig")
	if m.Needs(Values{"r": "0"})&PositiveSigma == 0 || m.Needs(Values{"r": "0.1"})&PositiveSigma != 0 {
		t.Error("ΠG with r = 0 does not need σ > 0, or with r > 0 does")
	}
	ph := newFixture(t, "phase")
	if _, err := ph.bind(t, "pig", 0.1, nil); err == nil {
		t.Error("ΠG bound to phase retrieval")
	}
}
