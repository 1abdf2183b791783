package fit

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

// Named tolerances.
const (
	// denseTol compares the low-rank log-density with the dense Cholesky one.
	denseTol = 1e-9
	// eigTol is the residual allowed in S·v = ℓ·v.
	eigTol = 1e-10
)

// synthetic returns n points in d = shape.Len() dimensions with labels in
// [0, classes): each class is two anisotropic Gaussian blobs.
func synthetic(seed uint64, n, classes int, shape img.Shape) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	d := shape.Len()
	x := mat.NewDense(n, d, nil)
	labels := make([]int, n)
	centres := make([][]float64, 2*classes)
	for i := range centres {
		centres[i] = make([]float64, d)
		for t := range centres[i] {
			centres[i][t] = 4 * rng.NormFloat64()
		}
	}
	for i := 0; i < n; i++ {
		l := i % classes
		labels[i] = l
		c := centres[2*l+rng.IntN(2)]
		row := x.RawRowView(i)
		for t := range row {
			row[t] = c[t] + rng.NormFloat64()*(0.2+float64(t%4)*0.5)
		}
	}
	return x, labels
}

func TestFitDeterministic(t *testing.T) {
	shape := img.Shape{H: 3, W: 4, C: 1}
	x, labels := synthetic(1, 600, 3, shape)
	cfg := Config{PerClass: 3, Rank: 4, ResidFloor: 1e-3, Iters: 20, Seed: 7}
	a, err := Fit(x, labels, shape, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A second run, on one thread, must agree bit for bit.
	prev := runtime.GOMAXPROCS(1)
	b, err := Fit(x, labels, shape, cfg)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two fits of the same data differ")
	}
	if len(a.Components) != 9 {
		t.Errorf("%d components, want 3 classes × 3", len(a.Components))
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
	// A different seed is allowed to differ, but must still be valid.
	cfg.Seed = 8
	c, err := Fit(x, labels, shape, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestClustersSeparatedBlobs(t *testing.T) {
	// Two far-apart blobs within one class must come out as two clusters.
	d := 5
	n := 200
	x := mat.NewDense(n, d, nil)
	rng := rand.New(rand.NewPCG(2, 3))
	for i := 0; i < n; i++ {
		off := 0.0
		if i%2 == 1 {
			off = 50
		}
		for t := 0; t < d; t++ {
			x.Set(i, t, off+rng.NormFloat64())
		}
	}
	cl, err := Clusters(x, make([]int, n), 2, 50, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl) != 2 || len(cl[0]) != n/2 || len(cl[1]) != n/2 {
		t.Fatalf("cluster sizes %d", len(cl))
	}
	for _, c := range cl {
		for _, r := range c {
			if r%2 != c[0]%2 {
				t.Fatalf("row %d clustered with row %d", r, c[0])
			}
		}
	}
}

// denseLogDensity is log N(x; μ, Σ) with Σ built densely and factored by
// Cholesky.
func denseLogDensity(t *testing.T, c *gmm.Component, x []float64) float64 {
	t.Helper()
	d := len(c.Mean)
	q := c.Rank()
	u := mat.NewDense(q, d, append([]float64(nil), c.Basis...)) // rows u_j
	sigma := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for k := i; k < d; k++ {
			v := 0.0
			if i == k {
				v = c.Resid
			}
			for j := 0; j < q; j++ {
				v += (c.Eigen[j] - c.Resid) * u.At(j, i) * u.At(j, k)
			}
			sigma.SetSym(i, k, v)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(sigma) {
		t.Fatal("Σ is not positive definite")
	}
	r := mat.NewVecDense(d, nil)
	for i := range x {
		r.SetVec(i, x[i]-c.Mean[i])
	}
	var z mat.VecDense
	if err := chol.SolveVecTo(&z, r); err != nil {
		t.Fatal(err)
	}
	quad := mat.Dot(r, &z)
	return -0.5 * (float64(d)*math.Log(2*math.Pi) + chol.LogDet() + quad)
}

func TestPPCAClosedForm(t *testing.T) {
	shape := img.Shape{H: 2, W: 3, C: 1}
	d := shape.Len()
	x, _ := synthetic(4, 400, 1, shape)
	rows := make([]int, 400)
	for i := range rows {
		rows[i] = i
	}
	mom, err := ComputeMoments(x, rows)
	if err != nil {
		t.Fatal(err)
	}

	// The eigenpairs are those of the ML covariance S, computed densely.
	s := mat.NewDense(d, d, nil)
	for _, r := range rows {
		for i := 0; i < d; i++ {
			for k := 0; k < d; k++ {
				s.Set(i, k, s.At(i, k)+(x.At(r, i)-mom.Mean[i])*(x.At(r, k)-mom.Mean[k])/float64(len(rows)))
			}
		}
	}
	for j := 0; j < d; j++ {
		if j > 0 && mom.Vals[j] > mom.Vals[j-1] {
			t.Errorf("eigenvalues not descending: %v", mom.Vals)
		}
		v := mat.Col(nil, j, mom.Vecs)
		var sv mat.VecDense
		sv.MulVec(s, mat.NewVecDense(d, v))
		for i := range v {
			if math.Abs(sv.AtVec(i)-mom.Vals[j]*v[i]) > eigTol {
				t.Errorf("eigenpair %d: (S·v)[%d] = %v, ℓ·v = %v", j, i, sv.AtVec(i), mom.Vals[j]*v[i])
			}
		}
	}

	const q = 2
	c := PPCA(&mom, q, 1e-6)
	c.Weight = 1
	m := &gmm.Mixture{Shape: shape, Components: []gmm.Component{c}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	// s² is the mean discarded variance, so tr Σ = tr S.
	trS := mat.Trace(s)
	trSigma := float64(d-q) * c.Resid
	for _, l := range c.Eigen {
		trSigma += l
	}
	if math.Abs(trS-trSigma) > 1e-10*trS {
		t.Errorf("tr Σ = %v, tr S = %v", trSigma, trS)
	}

	// The low-rank log-density matches the dense one, on and off the data.
	rng := rand.New(rand.NewPCG(5, 6))
	pt := make([]float64, d)
	for n := 0; n < 20; n++ {
		if n < 10 {
			mat.Row(pt, n, x)
		} else {
			for i := range pt {
				pt[i] = 3 * rng.NormFloat64()
			}
		}
		got, want := LogDensity(&c, pt), denseLogDensity(t, &c, pt)
		if math.Abs(got-want) > denseTol*math.Max(1, math.Abs(want)) {
			t.Errorf("point %d: low-rank log N = %v, dense = %v", n, got, want)
		}
	}

	// Closed form is the maximum of the training log-likelihood over s²
	// and each λ_j: perturbing any of them lowers it.
	loglik := func(c *gmm.Component) float64 {
		s := 0.0
		for _, r := range rows {
			s += LogDensity(c, x.RawRowView(r))
		}
		return s
	}
	best := loglik(&c)
	for _, f := range []float64{0.9, 1.1} {
		p := c
		p.Resid *= f
		if ll := loglik(&p); ll >= best {
			t.Errorf("s² × %v: log-likelihood %v ≥ closed form's %v", f, ll, best)
		}
		for j := 0; j < q; j++ {
			p := c
			p.Eigen = append([]float64(nil), c.Eigen...)
			p.Eigen[j] *= f
			if ll := loglik(&p); ll >= best {
				t.Errorf("λ_%d × %v: log-likelihood %v ≥ closed form's %v", j, f, ll, best)
			}
		}
	}

	// The residual floor binds.
	if f := PPCA(&mom, q, 1e3); f.Resid != 1e3 || f.Eigen[0] < 1e3 {
		t.Errorf("floor 1e3: s² = %v, λ = %v", f.Resid, f.Eigen)
	}
}

func TestMixtureLogDensityAndSweep(t *testing.T) {
	shape := img.Shape{H: 2, W: 4, C: 1}
	d := shape.Len()
	train, labels := synthetic(7, 500, 2, shape)
	test, _ := synthetic(8, 100, 2, shape)
	cfg := Config{PerClass: 2, Rank: 3, ResidFloor: 1e-4, Iters: 20, Seed: 3}
	m, err := Fit(train, labels, shape, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ll := MixtureLogDensity(m, test)
	sum := 0.0
	for i := range ll {
		// Direct log Σ_k π_k·N_k, with the dense densities.
		p := 0.0
		for k := range m.Components {
			c := &m.Components[k]
			p += c.Weight * math.Exp(denseLogDensity(t, c, test.RawRowView(i)))
		}
		if want := math.Log(p); math.Abs(ll[i]-want) > denseTol*math.Max(1, math.Abs(want)) {
			t.Errorf("row %d: log p = %v, want %v", i, ll[i], want)
		}
		sum += ll[i]
	}
	res, err := Sweep(train, labels, test, []int{1, 2}, []int{1, 3}, []float64{1e-4, 10}, cfg.Iters, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 8 {
		t.Fatalf("%d sweep results, want 8", len(res))
	}
	var found bool
	for _, r := range res {
		if r.PerClass == 2 && r.Rank == 3 && r.ResidFloor == 1e-4 {
			found = true
			if want := sum / float64(len(ll)) / float64(d); math.Abs(r.LLPerPixel-want) > 1e-10 {
				t.Errorf("sweep LL/pixel %v, fit %v", r.LLPerPixel, want)
			}
		}
		if r.ResidFloor == 10 && r.MinResid != 10 {
			t.Errorf("floor 10 not applied: min s² %v", r.MinResid)
		}
	}
	if !found {
		t.Error("setting (2, 3, 1e-4) missing from the sweep")
	}
}
