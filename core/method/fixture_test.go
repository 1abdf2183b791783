package method

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/operator"
)

// affine is the denoiser x̂0 = J·x_t + b with a dense, non-symmetric J, so
// that a method using J instead of Jᵀ would fail. It is its own Point.
type affine struct {
	J *mat.Dense
	b []float64
}

func (a *affine) denoise(dst, xt []float64) []float64 {
	v := mat.NewVecDense(len(dst), dst)
	v.MulVec(a.J, mat.NewVecDense(len(xt), xt))
	for i := range dst {
		dst[i] += a.b[i]
	}
	return dst
}

func (a *affine) Denoise(_ context.Context, dst, xt []float64, _ float64) error {
	a.denoise(dst, xt)
	return nil
}

func (a *affine) Linearize(ctx context.Context, dst, xt []float64, ab float64) (denoiser.Point, error) {
	return denoiser.NewPoint(a, 0), a.Denoise(ctx, dst, xt, ab)
}

func (a *affine) VJPAt(_ context.Context, _ uint64, dst, v []float64) error {
	out := mat.NewVecDense(len(dst), dst)
	out.MulVec(a.J.T(), mat.NewVecDense(len(v), v))
	return nil
}

func (a *affine) vjp(v []float64) []float64 {
	dst := make([]float64, len(v))
	a.VJPAt(context.Background(), 0, dst, v)
	return dst
}

// fixture is a small problem with dense matrices for independent checks.
type fixture struct {
	op    operator.Operator
	den   *affine
	xt, y []float64
	st    *State
	A     *mat.Dense
}

func newFixture(t *testing.T, spec string) *fixture {
	t.Helper()
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
	den := &affine{J: J, b: b}
	x0 := den.denoise(make([]float64, d), xt)
	A := mat.NewDense(m, d, nil)
	e, col := make([]float64, d), make([]float64, m)
	for j := 0; j < d; j++ {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		A.SetCol(j, col)
	}
	return &fixture{op: op, den: den, xt: xt, y: y, A: A,
		st: &State{AlphaBarT: 0.5, AlphaBarS: 0.6, Xt: xt, X0Hat: x0, Point: denoiser.NewPoint(den, 0)}}
}

// bind binds a registered method to the fixture with explicit values.
func (f *fixture) bind(t *testing.T, name string, sigma float64, explicit Values) (Guide, error) {
	t.Helper()
	m, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Resolve(explicit, f.op)
	if err != nil {
		return nil, err
	}
	return m.Bind(&Problem{Op: f.op, Y: f.y, Sigma: sigma}, v)
}

// guide runs one step of a bound method on the fixture.
func (f *fixture) guide(t *testing.T, g Guide) *Output {
	t.Helper()
	d := len(f.xt)
	out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d)}
	if err := g.Guide(context.Background(), f.st, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// residual is y − A·x̂0, densely.
func (f *fixture) residual() *mat.VecDense {
	m, d := f.A.Dims()
	var ax, res mat.VecDense
	ax.MulVec(f.A, mat.NewVecDense(d, f.st.X0Hat))
	res.SubVec(mat.NewVecDense(m, f.y), &ax)
	return &res
}

// densePiG is Jᵀ·Aᵀ·(r²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0) with dense matrices.
func (f *fixture) densePiG(r2, s2 float64) []float64 {
	m, _ := f.A.Dims()
	var S mat.Dense
	S.Mul(f.A, f.A.T())
	S.Scale(r2, &S)
	for i := 0; i < m; i++ {
		S.Set(i, i, S.At(i, i)+s2)
	}
	var u, atu, g mat.VecDense
	u.SolveVec(&S, f.residual())
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

func nan() float64 { return math.NaN() }
