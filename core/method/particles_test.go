package method

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/sampler"
)

// rowsAffine is the affine denoiser x̂0 = J·x_t + b applied row by row, so
// that the particle methods' batched calls work on it.
type rowsAffine struct{ *affine }

func (a rowsAffine) Denoise(_ context.Context, dst, xt []float64, _ float64) error {
	d := a.J.RawMatrix().Cols
	for k := 0; k < len(xt); k += d {
		a.denoise(dst[k:k+d], xt[k:k+d])
	}
	return nil
}

func (a rowsAffine) Linearize(ctx context.Context, dst, xt []float64, ab float64) (denoiser.Point, error) {
	return denoiser.NewPoint(a, 0), a.Denoise(ctx, dst, xt, ab)
}

func (a rowsAffine) VJPAt(ctx context.Context, id uint64, dst, v []float64) error {
	d := a.J.RawMatrix().Cols
	for k := 0; k < len(v); k += d {
		a.affine.VJPAt(ctx, id, dst[k:k+d], v[k:k+d])
	}
	return nil
}

// particleFixture is a tiny problem for one particle step: d = 3, y of
// length 2 through svd:dy=2, N = 3 particles, an affine denoiser, and its
// dense matrices.
type particleFixture struct {
	op      operator.Operator
	A       *mat.Dense
	y       []float64
	sigma   float64
	den     rowsAffine
	x, x0   [][]float64 // particles and their x̂0
	st      *State
	n, d, m int
}

func newParticleFixture(t *testing.T) *particleFixture {
	t.Helper()
	shape := img.Shape{H: 1, W: 3, C: 1}
	op, err := operator.Parse("svd:dy=2,seed=1", shape)
	if err != nil {
		t.Fatal(err)
	}
	d, m, n := 3, 2, 3
	rng := rand.New(rand.NewPCG(5, 6))
	J := mat.NewDense(d, d, nil)
	b := make([]float64, d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			J.Set(i, j, 0.2*rng.NormFloat64())
		}
		J.Set(i, i, J.At(i, i)+0.6)
		b[i] = 0.3 * rng.NormFloat64()
	}
	den := rowsAffine{&affine{J: J, b: b}}
	f := &particleFixture{op: op, y: []float64{0.7, -0.4}, sigma: 0.3, den: den, n: n, d: d, m: m}
	f.A = mat.NewDense(m, d, nil)
	e, col := make([]float64, d), make([]float64, m)
	for j := 0; j < d; j++ {
		e[j] = 1
		op.Apply(col, e)
		e[j] = 0
		f.A.SetCol(j, col)
	}
	for j := 0; j < n; j++ {
		x := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		f.x = append(f.x, x)
		f.x0 = append(f.x0, den.denoise(make([]float64, d), x))
	}
	abT, abS := 0.5, 0.62
	f.st = &State{AlphaBarT: abT, AlphaBarS: abS, Xt: f.x[0], X0Hat: f.x0[0], Den: den,
		Point: denoiser.NewPoint(den, 0), Step: sampler.DDPM.StepCoeffs(abT, abS, 1)}
	return f
}

// load puts the fixture's particles into a population as if a step had
// shown row 0.
func (f *particleFixture) load(p *population) {
	for j := range f.x {
		copy(p.row(p.x, j), f.x[j])
		copy(p.row(p.x0, j), f.x0[j])
	}
	p.started = true
}

// bindParticles binds a particle method to the fixture with N = 3.
func (f *particleFixture) bindParticles(t *testing.T, name string) Guide {
	t.Helper()
	m, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Resolve(Values{"particles": "3"}, f.op)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Bind(&Problem{Op: f.op, Y: f.y, Sigma: f.sigma, Seed: 1}, v)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// logMVN is log N(x; μ, Σ) = −½·(x−μ)ᵀΣ⁻¹(x−μ) − ½·log det(2πΣ), by a
// Cholesky factorisation.
func logMVN(t *testing.T, x, mu []float64, cov *mat.SymDense) float64 {
	t.Helper()
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		t.Fatal("covariance not positive definite")
	}
	n := len(x)
	r := mat.NewVecDense(n, nil)
	r.SubVec(mat.NewVecDense(n, x), mat.NewVecDense(n, mu))
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, r); err != nil {
		t.Fatal(err)
	}
	return -0.5*mat.Dot(r, &sol) - 0.5*(ch.LogDet()+float64(n)*math.Log(2*math.Pi))
}

// softmax normalises log weights.
func softmax(lw []float64) []float64 {
	top := math.Inf(-1)
	for _, l := range lw {
		top = math.Max(top, l)
	}
	w, s := make([]float64, len(lw)), 0.0
	for i, l := range lw {
		w[i] = math.Exp(l - top)
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	return w
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestMCGdiffStepDense checks one MCGdiff step — the weights, the ESS,
// and the proposal's mean and covariance — against a dense computation:
// gonum's SVD of the explicit A = U·Σ·Wᵀ gives the observed directions W
// (m×d); the twisted coordinates' rows W_a carry Gaussian twists N(W_a·x;
// o, D); the weight is the Gaussian integral N(o_s; W_a·m_j, C²·W_a·W_aᵀ +
// D_s) over the kernel N(m_j, C²·I), divided by the twist at x_t; the
// proposal is the Gaussian product with precision C⁻²·I + W_aᵀ·D_s⁻¹·W_a.
// Three steps: both coordinates' twists h (the second free), the second
// reaching its level ᾱ* (its exact likelihood G), and a first step where
// the second is past ᾱ* already (G weighs x_T).
func TestMCGdiffStepDense(t *testing.T) {
	for _, tc := range []struct {
		abT, abS float64
		first    bool
	}{{0.5, 0.62, false}, {0.2, 0.3, false}, {0.3, 0.4, true}} {
		t.Run(fmt.Sprintf("%v→%v", tc.abT, tc.abS), func(t *testing.T) { mcgdiffStepDense(t, tc.abT, tc.abS, tc.first) })
	}
}

func mcgdiffStepDense(t *testing.T, abT, abS float64, first bool) {
	f := newParticleFixture(t)
	g := f.bindParticles(t, "mcgdiff").(*mcgdiff)
	for _, s := range g.s {
		if s == 0 {
			t.Fatalf("singular values %v: one is below SpectralCut, which the dense computation does not model", g.s)
		}
	}
	f.load(g.population)
	for j := range f.x {
		g.sp.VT(g.row(g.xbar, j), f.x[j])
	}
	g.first = first
	st := *f.st
	st.AlphaBarT, st.AlphaBarS, st.Step = abT, abS, sampler.DDPM.StepCoeffs(abT, abS, 1)
	g.weigh(&st)
	ess, err := g.normalise()
	if err != nil {
		t.Fatal(err)
	}

	// Dense: A = U·diag(s)·Wᵀ, ȳ = Uᵀy, ᾱ* = s²/(s² + σ²).
	var svd mat.SVD
	if !svd.Factorize(f.A, mat.SVDThin) {
		t.Fatal("svd failed")
	}
	s := svd.Values(nil)
	var U, Vt mat.Dense
	svd.UTo(&U)
	svd.VTo(&Vt) // d×m, columns the right singular vectors
	W := mat.DenseCopyOf(Vt.T())
	var uy mat.VecDense
	uy.MulVec(U.T(), mat.NewVecDense(f.m, f.y))
	kappa, s2 := 1e-4, f.sigma*f.sigma
	// twist is (o, v, on) of coordinate i at level ab reached from prev.
	twist := func(ab, prev float64, i int) (float64, float64, bool) {
		star := s[i] * s[i] / (s[i]*s[i] + s2)
		o := math.Sqrt(ab) * uy.AtVec(i) / s[i]
		switch {
		case ab < star:
			return o, 1 - (1-kappa)*ab/star, true
		case prev < star:
			return o, math.Max(ab*s2/(s[i]*s[i])-(1-ab), kappa), true
		}
		return 0, 0, false
	}
	var act []int // the coordinates twisted at s
	var oS, oT []float64
	var vS, vT []float64
	for i := 0; i < f.m; i++ {
		if o, v, on := twist(abS, abT, i); on {
			act = append(act, i)
			oS, vS = append(oS, o), append(vS, v)
			o, v, _ = twist(abT, 0, i)
			oT, vT = append(oT, o), append(vT, v)
		}
	}
	if !first && len(act) == 0 {
		t.Fatal("no coordinate twisted: the case tests nothing")
	}
	a := len(act)
	Wa := mat.NewDense(max(a, 1), f.d, nil)
	DS, DT := mat.NewSymDense(max(a, 1), nil), mat.NewSymDense(max(a, 1), nil)
	for r, i := range act {
		Wa.SetRow(r, W.RawRowView(i))
		DS.SetSym(r, r, vS[r])
		DT.SetSym(r, r, vT[r])
	}
	co := st.Step
	c2 := co.C * co.C
	cov := mat.NewSymDense(max(a, 1), nil) // C²·W_a·W_aᵀ + D_s
	var wwt mat.Dense
	wwt.Mul(Wa, Wa.T())
	for i := 0; i < a; i++ {
		for k := i; k < a; k++ {
			cov.SetSym(i, k, c2*wwt.At(i, k)+DS.At(i, k))
		}
	}
	means := make([]*mat.VecDense, f.n)
	lw := make([]float64, f.n)
	for j := range f.x {
		mj := mat.NewVecDense(f.d, nil)
		mj.AddScaledVec(mj, co.A, mat.NewVecDense(f.d, f.x0[j]))
		mj.AddScaledVec(mj, co.B, mat.NewVecDense(f.d, f.x[j]))
		means[j] = mj
		var wm, wx, wxAll mat.VecDense
		wm.MulVec(Wa, mj)
		wx.MulVec(Wa, mat.NewVecDense(f.d, f.x[j]))
		wxAll.MulVec(W, mat.NewVecDense(f.d, f.x[j]))
		if a > 0 {
			lw[j] = logMVN(t, oS, wm.RawVector().Data[:a], cov)
			if !first {
				lw[j] -= logMVN(t, wx.RawVector().Data[:a], oT, DT)
			}
		}
		if first { // G of the coordinates past ᾱ* at T
			for i := 0; i < f.m; i++ {
				if _, _, on := twist(abS, abT, i); !on {
					if o, v, on := twist(abT, 0, i); on {
						lw[j] += -0.5*(o-wxAll.AtVec(i))*(o-wxAll.AtVec(i))/v - 0.5*math.Log(2*math.Pi*v)
					}
				}
			}
		}
	}
	want := softmax(lw)
	if e := maxAbsDiff(g.w, want); e > 1e-12 {
		t.Errorf("weights %v, dense %v", g.w, want)
	}
	if e := maxAbsDiff(want, []float64{1. / 3, 1. / 3, 1. / 3}); e < 1e-3 {
		t.Errorf("weights %v: nearly equal, the case tests little", want)
	}
	wantESS := 0.0
	for _, w := range want {
		wantESS += w * w
	}
	if wantESS = 1 / wantESS; math.Abs(ess-wantESS) > 1e-9 {
		t.Errorf("ESS %v, dense %v", ess, wantESS)
	}

	// The proposal from ancestors (2, 0, 1): mean with z = 0, covariance
	// from the responses to unit noise.
	copy(g.anc, []int{2, 0, 1})
	prec := mat.NewSymDense(f.d, nil) // C⁻²·I + W_aᵀ·D_s⁻¹·W_a
	for p := 0; p < f.d; p++ {
		for q := p; q < f.d; q++ {
			v := 0.0
			for r := 0; r < a; r++ {
				v += Wa.At(r, p) * Wa.At(r, q) / DS.At(r, r)
			}
			if p == q {
				v += 1 / c2
			}
			prec.SetSym(p, q, v)
		}
	}
	var Sigma mat.Dense
	if err := Sigma.Inverse(prec); err != nil {
		t.Fatal(err)
	}
	z := make([]float64, f.n*f.d)
	g.propose(&st, z)
	for j, an := range g.anc {
		rhs := mat.NewVecDense(f.d, nil)
		rhs.ScaleVec(1/c2, means[an])
		for p := 0; p < f.d; p++ {
			for r := 0; r < a; r++ {
				rhs.SetVec(p, rhs.AtVec(p)+Wa.At(r, p)*oS[r]/DS.At(r, r))
			}
		}
		var mu mat.VecDense
		mu.MulVec(&Sigma, rhs)
		if e := maxAbsDiff(g.row(g.next, j), mu.RawVector().Data); e > 1e-12 {
			t.Errorf("particle %d: proposal mean %v, dense %v", j, g.row(g.next, j), mu.RawVector().Data)
		}
	}
	mean0 := append([]float64(nil), g.row(g.next, 0)...)
	got := mat.NewDense(f.d, f.d, nil)
	for k := 0; k < f.d; k++ {
		clear(z)
		z[k] = 1 // particle 0's k-th spectral noise
		g.propose(&st, z)
		col := g.row(g.next, 0)
		for p := 0; p < f.d; p++ {
			for q := 0; q < f.d; q++ {
				got.Set(p, q, got.At(p, q)+(col[p]-mean0[p])*(col[q]-mean0[q]))
			}
		}
	}
	if !mat.EqualApprox(got, &Sigma, 1e-12) {
		t.Errorf("proposal covariance\n%v\ndense\n%v", mat.Formatted(got), mat.Formatted(&Sigma))
	}
}

// TestTDSStepDense checks one TDS step against dense matrices: the twist
// ℓ_j = log N(y; A·x̂0_j, (σ² + r_t²)·I) and its score Jᵀ·Aᵀ·(y − A·x̂0_j)/(σ²
// + r_t²) (and that by central differences of ℓ), the weights c_j + ℓ_j,
// the proposal N(A·(x̂0 + (1−ᾱ_t)/√ᾱ_t·g) + B·x_t, C²) and the carried log
// weight log p − log q − ℓ with the densities written out.
func TestTDSStepDense(t *testing.T) {
	f := newParticleFixture(t)
	g := f.bindParticles(t, "tds").(*tds)
	f.load(g.population)
	st := f.st
	if err := g.twists(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	v := f.sigma*f.sigma + (1-st.AlphaBarT)/st.AlphaBarT
	ell := func(x []float64) float64 {
		x0 := f.den.denoise(make([]float64, f.d), x)
		var ax mat.VecDense
		ax.MulVec(f.A, mat.NewVecDense(f.d, x0))
		cov := mat.NewSymDense(f.m, nil)
		for i := 0; i < f.m; i++ {
			cov.SetSym(i, i, v)
		}
		return logMVN(t, f.y, ax.RawVector().Data, cov)
	}
	for j, x := range f.x {
		if e := math.Abs(g.ell[j] - ell(x)); e > 1e-12 {
			t.Errorf("particle %d: ℓ %v, dense %v", j, g.ell[j], ell(x))
		}
		var ax, r, atr, want mat.VecDense
		ax.MulVec(f.A, mat.NewVecDense(f.d, f.x0[j]))
		r.SubVec(mat.NewVecDense(f.m, f.y), &ax)
		atr.MulVec(f.A.T(), &r)
		want.MulVec(f.den.J.T(), &atr)
		want.ScaleVec(1/v, &want)
		if e := maxAbsDiff(g.row(g.grad, j), want.RawVector().Data); e > 1e-12 {
			t.Errorf("particle %d: g %v, dense %v", j, g.row(g.grad, j), want.RawVector().Data)
		}
		for k := range x { // central differences of ℓ
			h := 1e-5
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[k] += h
			xm[k] -= h
			if fd := (ell(xp) - ell(xm)) / (2 * h); math.Abs(fd-g.row(g.grad, j)[k]) > 1e-6 {
				t.Errorf("particle %d: ∂ℓ/∂x_%d = %v, finite differences %v", j, k, g.row(g.grad, j)[k], fd)
			}
		}
	}

	// Weights with carried c = (0.3, −0.2, 0.1): w ∝ exp(c + ℓ).
	c := []float64{0.3, -0.2, 0.1}
	copy(g.carried, c)
	lw := make([]float64, f.n)
	for j := range lw {
		g.logw[j] = g.carried[j] + g.ell[j]
		lw[j] = c[j] + ell(f.x[j])
	}
	if _, err := g.normalise(); err != nil {
		t.Fatal(err)
	}
	if e := maxAbsDiff(g.w, softmax(lw)); e > 1e-12 {
		t.Errorf("weights %v, dense %v", g.w, softmax(lw))
	}

	// The proposal from ancestors (1, 1, 0) without resampling, with noise z.
	copy(g.anc, []int{1, 1, 0})
	rng := rand.New(rand.NewPCG(9, 9))
	z := make([]float64, f.n*f.d)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	g.propose(st, z, false)
	co := st.Step
	isoCov := mat.NewSymDense(f.d, nil)
	for i := 0; i < f.d; i++ {
		isoCov.SetSym(i, i, co.C*co.C)
	}
	shift := (1 - st.AlphaBarT) / math.Sqrt(st.AlphaBarT)
	for j, a := range g.anc {
		mp, mq := make([]float64, f.d), make([]float64, f.d)
		ga := g.row(g.grad, a)
		for k := range mp {
			mp[k] = co.A*f.x0[a][k] + co.B*f.x[a][k]
			mq[k] = co.A*(f.x0[a][k]+shift*ga[k]) + co.B*f.x[a][k]
		}
		xs := make([]float64, f.d)
		for k := range xs {
			xs[k] = mq[k] + co.C*z[j*f.d+k]
		}
		if e := maxAbsDiff(g.row(g.next, j), xs); e > 1e-12 {
			t.Errorf("particle %d: x_s %v, dense %v", j, g.row(g.next, j), xs)
		}
		want := lw[a] + logMVN(t, xs, mp, isoCov) - logMVN(t, xs, mq, isoCov) - ell(f.x[a])
		if e := math.Abs(g.carried[j] - want); e > 1e-9 {
			t.Errorf("particle %d: carried log weight %v, dense %v", j, g.carried[j], want)
		}
	}
}

// TestSystematicResampling: systematic resampling gives each particle
// ⌊N·w_j⌋ or ⌈N·w_j⌉ offspring, in order.
func TestSystematicResampling(t *testing.T) {
	p := newPopulation(7, 1, 3)
	lw := []float64{0, -1, 2, -5, 0.5, 1, -0.3}
	for trial := 0; trial < 50; trial++ {
		copy(p.logw, lw)
		if _, err := p.normalise(); err != nil {
			t.Fatal(err)
		}
		p.systematic()
		count := make([]int, p.n)
		for j, a := range p.anc {
			count[a]++
			if j > 0 && a < p.anc[j-1] {
				t.Fatalf("ancestors out of order: %v", p.anc)
			}
		}
		for j, c := range count {
			nw := float64(p.n) * p.w[j]
			if float64(c) < math.Floor(nw) || float64(c) > math.Ceil(nw) {
				t.Errorf("particle %d (N·w = %.3f): %d offspring", j, nw, c)
			}
		}
	}
}

// TestParticleCountLimits: N must be an integer in [1, MaxParticles] with
// N·d within MaxParticleValues; the refusal comes before any allocation.
func TestParticleCountLimits(t *testing.T) {
	for _, tc := range []struct {
		n  string
		d  int
		ok bool
	}{{"1", 784, true}, {"16", 784, true}, {"0", 784, false}, {"2.5", 784, false}, {"5000", 4, false},
		{"4096", 784, false}, {"4096", 8, true}} {
		_, err := particleCount(Values{"particles": tc.n}, tc.d)
		if (err == nil) != tc.ok {
			t.Errorf("N = %s, d = %d: error %v", tc.n, tc.d, err)
		}
	}
}

// TestParticleOutOfStep: a particle guide refuses an x_t that is not the
// particle it showed.
func TestParticleOutOfStep(t *testing.T) {
	f := newParticleFixture(t)
	for _, name := range []string{"mcgdiff", "tds"} {
		g := f.bindParticles(t, name)
		d := f.d
		out := &Output{ScoreY: make([]float64, d), Corr: make([]float64, d), Xs: make([]float64, d)}
		st := *f.st
		st.Z = make([]float64, d)
		if err := g.Guide(context.Background(), &st, out); err != nil {
			t.Fatal(name, err)
		}
		if err := g.Guide(context.Background(), &st, out); err == nil {
			t.Errorf("%s: no error for an x_t out of step", name)
		}
	}
}
