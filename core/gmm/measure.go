package gmm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/internal/vec"
	"tweedie/core/operator"
)

// measurement pushes the low-rank Gaussians of a mixture through a linear
// operator with noise: for a covariance P = a·I + U·diag(δ)·Uᵀ (δ ≥ 0),
//
//	S = A·P·Aᵀ + σ²·I = B + Z·Zᵀ,   B = a·A·Aᵀ + σ²·I,   Z = A·U·diag(sqrt δ),
//
// and by Woodbury, with the q×q capacitance M = I + Zᵀ·B⁻¹·Z,
//
//	S⁻¹ = B⁻¹ − B⁻¹·Z·M⁻¹·Zᵀ·B⁻¹,   log det S = log det B + log det M.
//
// When A·Aᵀ = c·I (masks, average pooling, identity) B = (a·c + σ²)·I and
// Zᵀ·B⁻¹·Z comes from the precomputed Gram matrix WᵀW, W = A·U, so one solve
// costs O(q·m). Otherwise B⁻¹ is the operator's Solve, Zᵀ·B⁻¹·Z takes q
// solves, and log det B uses the eigenvalues of A·Aᵀ, computed densely once.
type measurement struct {
	mix    *Mixture
	op     operator.Linear
	y      []float64
	sigma2 float64
	m, d   int

	*operatorImage           // what depends on the mixture and A only, shared
	capacity       []float64 // q×q scratch for M and its Cholesky factor
	tq, tq2        []float64 // length q scratch (tq2: cholesky's)
	bm, bm2        []float64 // length m scratch
	scaled         []float64 // q×m scratch: rows of W in the eigenbasis, scaled (non-scalar case)
}

func newMeasurement(mix *Mixture, op operator.Linear, y []float64, sigma float64) (*measurement, error) {
	d, m := mix.Dim(), op.OutLen()
	switch {
	case op.InShape() != mix.Shape:
		return nil, fmt.Errorf("operator %s takes %v images, prior has %v", op.Name(), op.InShape(), mix.Shape)
	case len(y) != m:
		return nil, fmt.Errorf("measurement has length %d, operator gives %d", len(y), m)
	case !(sigma > 0) || math.IsInf(sigma, 0):
		return nil, fmt.Errorf("the exact posterior needs a finite σ > 0 (σ = %v)", sigma)
	}
	qmax := 0
	for k := range mix.Components {
		c := &mix.Components[k]
		qmax = max(qmax, c.Rank())
		for j, l := range c.Eigen {
			if l < c.Resid {
				return nil, fmt.Errorf("component %d: eigenvalue %d (%v) below the residual variance %v", k, j, l, c.Resid)
			}
		}
	}
	img, err := imageOf(mix, op)
	if err != nil {
		return nil, err
	}
	ms := &measurement{
		mix: mix, op: op, y: y, sigma2: sigma * sigma, m: m, d: d, operatorImage: img,
		capacity: make([]float64, qmax*qmax),
		tq:       make([]float64, qmax), tq2: make([]float64, qmax),
		bm: make([]float64, m), bm2: make([]float64, m),
	}
	if !img.scalar {
		ms.scaled = make([]float64, qmax*m)
	}
	return ms, nil
}

// scalarGram tests whether A·Aᵀ = c·I by applying it to two random vectors
// (a random vector is an eigenvector of a non-scalar A·Aᵀ with probability 0).
func scalarGram(op operator.Linear) (bool, float64) {
	m, d := op.OutLen(), op.InShape().Len()
	rng := rand.New(rand.NewPCG(1, 2))
	v, av, aatv := make([]float64, m), make([]float64, d), make([]float64, m)
	c := math.NaN()
	for trial := 0; trial < 2; trial++ {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		op.Apply(aatv, op.Adjoint(av, v))
		ci := vec.Dot(v, aatv) / vec.Dot(v, v)
		vec.AddScaled(aatv, -ci, v)
		if floats.Norm(aatv, 2) > 1e-10*math.Abs(ci)*floats.Norm(v, 2) {
			return false, 0
		}
		if trial == 1 && math.Abs(ci-c) > 1e-10*math.Abs(c) {
			return false, 0
		}
		c = ci
	}
	return c > 0, c
}

// gramEigen returns the eigenvalues e and eigenvectors Q (columns) of
// A·Aᵀ = Q·diag(e)·Qᵀ, built densely column by column.
func gramEigen(op operator.Linear) ([]float64, *mat.Dense, error) {
	m, d := op.OutLen(), op.InShape().Len()
	if m > 4096 {
		return nil, nil, fmt.Errorf("the exact posterior for %s needs A·Aᵀ densely; %d measurements is too many", op.Name(), m)
	}
	g := mat.NewSymDense(m, nil)
	e, ae, col := make([]float64, m), make([]float64, d), make([]float64, m)
	for j := 0; j < m; j++ {
		e[j] = 1
		op.Apply(col, op.Adjoint(ae, e))
		e[j] = 0
		for i := 0; i <= j; i++ {
			g.SetSym(i, j, col[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(g, true) {
		return nil, nil, errors.New("eigen-decomposition of A·Aᵀ failed")
	}
	vals := es.Values(nil)
	for i := range vals {
		vals[i] = math.Max(vals[i], 0)
	}
	var q mat.Dense
	es.VectorsTo(&q)
	return vals, &q, nil
}

// gramRows returns R·Rᵀ for q rows of length m, q×q row-major.
func gramRows(rows []float64, q, m int) []float64 {
	g := make([]float64, q*q)
	for i := 0; i < q; i++ {
		for j := 0; j <= i; j++ {
			v := vec.Dot(rows[i*m:(i+1)*m], rows[j*m:(j+1)*m])
			g[i*q+j], g[j*q+i] = v, v
		}
	}
	return g
}

// baseSolve writes B⁻¹·b into dst for B = a·A·Aᵀ + σ²·I.
func (ms *measurement) baseSolve(dst, b []float64, a float64) []float64 {
	if ms.scalar {
		floats.ScaleTo(dst, 1/(a*ms.gramC+ms.sigma2), b)
		return dst
	}
	return ms.op.Solve(dst, b, a, ms.sigma2)
}

// baseLogDet returns log det(a·A·Aᵀ + σ²·I).
func (ms *measurement) baseLogDet(a float64) float64 {
	if ms.scalar {
		return float64(ms.m) * math.Log(a*ms.gramC+ms.sigma2)
	}
	s := 0.0
	for _, e := range ms.gramEig {
		s += math.Log(a*e + ms.sigma2)
	}
	return s
}

// factor forms M = I + F·Wᵀ·B⁻¹·W·F for component k (F = diag(sqrt δ)),
// Cholesky-factors it in place into ms.capacity and returns log det M.
func (ms *measurement) factor(k int, a float64, delta []float64) float64 {
	q, m := len(delta), ms.m
	M := ms.capacity[:q*q]
	if ms.scalar {
		inv := 1 / (a*ms.gramC + ms.sigma2)
		g := ms.wtw[k]
		for i := 0; i < q; i++ {
			for j := 0; j <= i; j++ {
				M[i*q+j] = math.Sqrt(delta[i]*delta[j]) * g[i*q+j] * inv
			}
		}
	} else {
		// Zᵀ·B⁻¹·Z in the eigenbasis of A·Aᵀ = Q·diag(e)·Qᵀ, W̃ = W·Q:
		// (WᵀB⁻¹W)_ij = Σ_l W̃_il·W̃_jl/(a·e_l + σ²).
		wt := ms.wt[k]
		for j := 0; j < q; j++ {
			row, src := ms.scaled[j*m:(j+1)*m], wt[j*m:(j+1)*m]
			for l, e := range ms.gramEig {
				row[l] = src[l] / (a*e + ms.sigma2)
			}
		}
		for i := 0; i < q; i++ {
			for j := 0; j <= i; j++ {
				M[i*q+j] = math.Sqrt(delta[i]*delta[j]) * vec.Dot(wt[i*m:(i+1)*m], ms.scaled[j*m:(j+1)*m])
			}
		}
	}
	for i := 0; i < q; i++ {
		M[i*q+i]++
	}
	return cholesky(M, q, ms.tq2)
}

// factorAt is factor for the exact guidance at noise level ᾱ, where a and
// delta are those of component k at ᾱ (ExactGuidance.posteriorNoise): the
// factor comes from the operator image's cache when another measurement
// made it at the same (k, ᾱ, σ), with the same bits.
func (ms *measurement) factorAt(k int, alphaBar, a float64, delta []float64) float64 {
	q := len(delta)
	fc := &ms.factors
	fc.Lock()
	for i := range fc.slots {
		if s := &fc.slots[i]; s.used && s.k == k && s.alphaBar == alphaBar && s.sigma2 == ms.sigma2 && len(s.l) == q*q {
			copy(ms.capacity, s.l)
			logDet := s.logDet
			fc.Unlock()
			return logDet
		}
	}
	fc.Unlock()
	logDet := ms.factor(k, a, delta)
	fc.Lock()
	s := &fc.slots[fc.next]
	fc.next = (fc.next + 1) % len(fc.slots)
	if cap(s.l) < q*q {
		s.l = make([]float64, q*q)
	}
	s.l = s.l[:q*q]
	copy(s.l, ms.capacity[:q*q])
	s.used, s.k, s.alphaBar, s.sigma2, s.logDet = true, k, alphaBar, ms.sigma2, logDet
	fc.Unlock()
	return logDet
}

// solve writes S⁻¹·e into dst for component k, after factor(k, a, delta).
func (ms *measurement) solve(dst, e []float64, k int, a float64, delta []float64) []float64 {
	q, m := len(delta), ms.m
	w := ms.w[k]
	ms.baseSolve(dst, e, a) // u = B⁻¹e
	t := ms.tq[:q]
	for j := range t {
		t[j] = math.Sqrt(delta[j]) * vec.Dot(w[j*m:(j+1)*m], dst)
	}
	choleskySolve(ms.capacity[:q*q], q, t)
	clear(ms.bm)
	for j, tj := range t {
		vec.AddScaled(ms.bm, math.Sqrt(delta[j])*tj, w[j*m:(j+1)*m])
	}
	ms.baseSolve(ms.bm2, ms.bm, a)
	floats.Sub(dst, ms.bm2)
	return dst
}

// quadForm returns x·S·x = x·B·x + ‖F·Wᵀ·x‖² for component k,
// x·B·x = a·‖Aᵀ·x‖² + σ²·‖x‖² (a·c·‖x‖² + σ²·‖x‖² when A·Aᵀ = c·I).
// scratch has length d.
func (ms *measurement) quadForm(x []float64, k int, a float64, delta, scratch []float64) float64 {
	m := ms.m
	w := ms.w[k]
	xx := vec.Dot(x, x)
	s := ms.sigma2 * xx
	if ms.scalar {
		s += a * ms.gramC * xx
	} else {
		at := ms.op.Adjoint(scratch, x)
		s += a * vec.Dot(at, at)
	}
	for j, dj := range delta {
		t := vec.Dot(w[j*m:(j+1)*m], x)
		s += dj * t * t
	}
	return s
}

// cholesky factors the symmetric positive-definite q×q matrix in the lower
// triangle of M in place (M = L·Lᵀ) and returns log det M. Column j takes
// the dot products of the rows below it with row j (their first j
// entries) three rows at a time (vec.DotStrided); dots is scratch of
// length ≥ q.
func cholesky(M []float64, q int, dots []float64) float64 {
	logDet := 0.0
	for j := 0; j < q; j++ {
		rowJ := M[j*q : j*q+j]
		l := math.Sqrt(M[j*q+j] - vec.Dot(rowJ, rowJ))
		M[j*q+j] = l
		logDet += 2 * math.Log(l)
		below := dots[:q-j-1]
		vec.DotStrided(below, M[(j+1)*q:], q, rowJ)
		for i, dot := range below {
			r := (j + 1 + i) * q
			M[r+j] = (M[r+j] - dot) / l
		}
	}
	return logDet
}

// choleskySolve solves L·Lᵀ·x = b in place, L from cholesky.
func choleskySolve(L []float64, q int, b []float64) {
	for i := 0; i < q; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= L[i*q+k] * b[k]
		}
		b[i] = s / L[i*q+i]
	}
	for i := q - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < q; k++ {
			s -= L[k*q+i] * b[k]
		}
		b[i] = s / L[i*q+i]
	}
}

// logNormal returns log N(e; 0, S) for component k after factor, given
// S⁻¹·e in sinv and log det S.
func (ms *measurement) logNormal(e, sinv []float64, logDetS float64) float64 {
	return -0.5 * (float64(ms.m)*math.Log(2*math.Pi) + logDetS + vec.Dot(e, sinv))
}
