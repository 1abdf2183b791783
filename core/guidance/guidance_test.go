package guidance

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
	"tweedie/core/operator"
)

// affineDenoiser is x̂0 = J·x_t + b with a dense, non-symmetric J, so that a
// method using J instead of Jᵀ would fail.
type affineDenoiser struct {
	J *mat.Dense
	b []float64
}

func (a *affineDenoiser) Dim() int { return len(a.b) }
func (a *affineDenoiser) Denoise(dst, xt []float64, _ float64) []float64 {
	v := mat.NewVecDense(len(dst), dst)
	v.MulVec(a.J, mat.NewVecDense(len(xt), xt))
	for i := range dst {
		dst[i] += a.b[i]
	}
	return dst
}
func (a *affineDenoiser) VJP(dst, v []float64) []float64 {
	out := mat.NewVecDense(len(dst), dst)
	out.MulVec(a.J.T(), mat.NewVecDense(len(v), v))
	return dst
}

type fixture struct {
	op    operator.Operator
	den   *affineDenoiser
	xt, y []float64
	st    *State
	A     *mat.Dense
}

func newFixture(t *testing.T, spec string) *fixture {
	shape := img.Shape{H: 4, W: 4, C: 1}
	op, err := operator.Parse(spec, shape)
	if err != nil {
		t.Fatal(err)
	}
	d, m := shape.Len(), op.OutLen()
	rng := rand.New(rand.NewPCG(1, 2))
	J := mat.NewDense(d, d, nil)
	b := make([]float64, d)
	xt := make([]float64, d)
	y := make([]float64, m)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			J.Set(i, j, 0.1*rng.NormFloat64())
		}
		J.Set(i, i, J.At(i, i)+0.5)
		b[i] = 0.3 * rng.NormFloat64()
		xt[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.Float64()*2 - 1
	}
	den := &affineDenoiser{J: J, b: b}
	x0 := den.Denoise(make([]float64, d), xt, 0.5)
	A := mat.NewDense(m, d, nil)
	e, col := make([]float64, d), make([]float64, m)
	for j := 0; j < d; j++ {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		A.SetCol(j, col)
	}
	return &fixture{op: op, den: den, xt: xt, y: y, A: A,
		st: &State{AlphaBarT: 0.5, AlphaBarS: 0.6, Xt: xt, X0Hat: x0, Den: den}}
}

// densePiG is Jᵀ·Aᵀ·(r²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0) with dense matrices.
func (f *fixture) densePiG(r2, s2 float64) []float64 {
	m, d := f.A.Dims()
	var S mat.Dense
	S.Mul(f.A, f.A.T())
	S.Scale(r2, &S)
	for i := 0; i < m; i++ {
		S.Set(i, i, S.At(i, i)+s2)
	}
	var ax, res, u, atu, g mat.VecDense
	ax.MulVec(f.A, mat.NewVecDense(d, f.st.X0Hat))
	res.SubVec(mat.NewVecDense(m, f.y), &ax)
	u.SolveVec(&S, &res)
	atu.MulVec(f.A.T(), &u)
	g.MulVec(f.den.J.T(), &atu)
	return g.RawVector().Data
}

func relErr(got, want []float64) float64 {
	n, dn := 0.0, 0.0
	for i := range got {
		n = math.Max(n, math.Abs(got[i]-want[i]))
		dn = math.Max(dn, math.Abs(want[i]))
	}
	return n / dn
}

func TestPiGMatchesDense(t *testing.T) {
	for _, spec := range []string{"inpaint-box:size=2", "sr:factor=2", "blur-gauss:size=3,std=1", "identity"} {
		for _, p := range []Params{
			{Method: PiG, Sigma: 0.05, RAuto: true, Weight: 1},
			{Method: PiG, Sigma: 0, R: 0.3, Weight: 2},
			{Method: PiG, Sigma: 0.2, R: 0.3, Weight: 1, Weighting: PiGDM},
		} {
			if spec[0] == 'b' && p.Sigma == 0 {
				continue // blur at σ = 0 is a pseudo-inverse, not a dense solve
			}
			f := newFixture(t, spec)
			g, err := New(p, f.op, f.y, false)
			if err != nil {
				t.Fatal(err)
			}
			d := len(f.xt)
			score, corr := make([]float64, d), make([]float64, d)
			target, res := g.Guide(f.st, score, corr)
			r := p.RT(f.st.AlphaBarT)
			want := f.densePiG(r*r, p.Sigma*p.Sigma)
			if e := relErr(score, want); e > 1e-10 {
				t.Errorf("%s %+v: g rel err %.2e", spec, p, e)
			}
			scale := (1 - 0.5) / math.Sqrt(0.5) * p.Weight
			wantTarget := ToX0Hat
			if p.Weighting == PiGDM {
				scale, wantTarget = math.Sqrt(0.5*0.6)*p.Weight, ToXs
			}
			if target != wantTarget || math.Abs(corr[3]-scale*score[3]) > 1e-12 {
				t.Errorf("%s %+v: correction %v (target %v)", spec, p, corr[3]/score[3], target)
			}
			if !(res > 0) {
				t.Errorf("residual %v", res)
			}
		}
	}
}

// TestPiGSigmaZeroIsPseudoInverse: at σ = 0, g = (1/r²)·Jᵀ·A†·(y − A·x̂0)
// with A† = Aᵀ(AAᵀ)⁻¹; for average pooling AAᵀ = I/f², so A† = f²·Aᵀ.
func TestPiGSigmaZeroIsPseudoInverse(t *testing.T) {
	f := newFixture(t, "sr:factor=2")
	g, _ := New(Params{Method: PiG, R: 0.5, Weight: 1}, f.op, f.y, false)
	d := len(f.xt)
	score := make([]float64, d)
	g.Guide(f.st, score, make([]float64, d))
	res := make([]float64, f.op.OutLen())
	f.op.Apply(res, f.st.X0Hat)
	for i := range res {
		res[i] = 4 * (f.y[i] - res[i]) // f² = 4
	}
	lin := f.op.(operator.Linear)
	back := lin.Adjoint(make([]float64, d), res)
	want := f.den.VJP(make([]float64, d), back)
	for i := range want {
		want[i] /= 0.25 // r² = 0.25
	}
	if e := relErr(score, want); e > 1e-12 {
		t.Errorf("rel err %.2e", e)
	}
}

func TestDPSStep(t *testing.T) {
	f := newFixture(t, "inpaint-box:size=2")
	d := len(f.xt)
	p := Params{Method: DPS, Sigma: 0.1, Zeta: 0.7}
	g, _ := New(p, f.op, f.y, false)
	score, corr := make([]float64, d), make([]float64, d)
	target, res := g.Guide(f.st, score, corr)
	// h = Jᵀ·Aᵀ·(y − A·x̂0); the r → 0 limit of ΠG at σ: h/σ².
	want := f.densePiG(0, 1) // Jᵀ·Aᵀ·(y − A·x̂0)
	for i := range want {
		if math.Abs(score[i]-want[i]/0.01) > 1e-10*math.Abs(want[i]/0.01)+1e-12 {
			t.Fatalf("score[%d] = %v, want %v", i, score[i], want[i]/0.01)
		}
		if math.Abs(corr[i]-0.7*want[i]/res) > 1e-12 {
			t.Fatalf("corr[%d] = %v, want ζ·h/‖res‖ = %v", i, corr[i], 0.7*want[i]/res)
		}
	}
	if target != ToXs {
		t.Errorf("target %v", target)
	}
	// The likelihood form shifts x̂0 by ζ·(1−ᾱ)/sqrt(ᾱ)·h/σ².
	p.DPSForm = DPSLikelihood
	g, _ = New(p, f.op, f.y, false)
	target, _ = g.Guide(f.st, score, corr)
	if target != ToX0Hat || math.Abs(corr[0]-0.7*0.5/math.Sqrt(0.5)*score[0]) > 1e-12 {
		t.Errorf("likelihood form: target %v, corr %v", target, corr[0])
	}
}

func TestNonlinear(t *testing.T) {
	f := newFixture(t, "quantize:levels=4")
	d := len(f.xt)
	g, err := New(Params{Method: PiG, RAuto: true, Sigma: 0.1, Weight: 1}, f.op, f.y, false)
	if err != nil {
		t.Fatal(err)
	}
	score := make([]float64, d)
	g.Guide(f.st, score, make([]float64, d))
	// A† = identity: g = Jᵀ·(y − Q(x̂0))/(r² + σ²).
	q := f.op.Apply(make([]float64, d), f.st.X0Hat)
	diff := make([]float64, d)
	for i := range diff {
		diff[i] = (f.y[i] - q[i]) / (0.5 + 0.01)
	}
	if e := relErr(score, f.den.VJP(make([]float64, d), diff)); e > 1e-12 {
		t.Errorf("quantize ΠG rel err %.2e", e)
	}
	// DPS's gradient through quantisation is zero.
	g, _ = New(Params{Method: DPS, Sigma: 0.1, Zeta: 1}, f.op, f.y, false)
	g.Guide(f.st, score, make([]float64, d))
	for _, v := range score {
		if v != 0 {
			t.Fatal("DPS through quantisation is not zero")
		}
	}
	ph := newFixture(t, "phase")
	if _, err := New(Params{Method: PiG, RAuto: true, Sigma: 0.1, Weight: 1}, ph.op, ph.y, false); err == nil {
		t.Error("ΠG accepted phase retrieval")
	}
}

func TestValidateAndParse(t *testing.T) {
	bad := []Params{
		{Method: PiG, Sigma: -1, RAuto: true, Weight: 1},
		{Method: PiG, Sigma: math.NaN(), RAuto: true, Weight: 1},
		{Method: PiG, R: 0, Sigma: 0, Weight: 1},
		{Method: PiG, R: math.Inf(1), Weight: 1},
		{Method: PiG, RAuto: true, Weight: math.NaN()},
		{Method: DPS, Zeta: -0.1},
		{Method: DPS, Zeta: 1, DPSForm: DPSLikelihood},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	for _, m := range []Method{None, PiG, DPS, Oracle} {
		if got, err := ParseMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseMethod(%v) = %v, %v", m, got, err)
		}
	}
	for _, w := range []Weighting{Tweedie, PiGDM, AlphaBar} {
		if got, err := ParseWeighting(w.String()); err != nil || got != w {
			t.Errorf("ParseWeighting(%v) = %v, %v", w, got, err)
		}
	}
	if _, err := ParseMethod("ddrm"); err == nil {
		t.Error("accepted ddrm")
	}
}

func TestServes(t *testing.T) {
	shape := img.Shape{H: 4, W: 4, C: 1}
	for spec, wantPiG := range map[string]bool{"phase": false, "quantize": true, "blur-gauss:size=3": true, "inpaint-half": true} {
		op, err := operator.Parse(spec, shape)
		if err != nil {
			t.Fatal(err)
		}
		if got := Serves(PiG, op) == nil; got != wantPiG {
			t.Errorf("Serves(ΠG, %s) = %v, want %v", spec, got, wantPiG)
		}
		if err := Serves(DPS, op); err != nil {
			t.Errorf("Serves(DPS, %s): %v", spec, err)
		}
	}
}
