package operator

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// CG solves the ΠG system of any Linear operator by conjugate gradients,
//
//	M·u = b,  M = r²·A·Aᵀ + σ²·I,
//
// using only Apply and Adjoint. M is symmetric positive semi-definite, and
// definite when σ² > 0 or A·Aᵀ is invertible. Starting from u = 0 it stops
// when the residual satisfies ‖b − M·u‖ ≤ Tol·‖b‖ or after MaxIter
// iterations. It is the fallback for linear operators without a closed-form
// Solve; see WithCG.
//
// A CG keeps scratch space sized for its operator and is not safe for
// concurrent use.
type CG struct {
	// A is the operator.
	A Linear
	// Tol is the relative residual tolerance.
	Tol float64
	// MaxIter bounds the number of iterations.
	MaxIter int

	r, p, q []float64 // residual, direction, M·p (length A.OutLen())
	t       []float64 // Aᵀp (length A.InShape().Len())

	iter  int
	resid float64
}

// DefaultCGTol is the relative residual tolerance NewCG uses when tol ≤ 0.
const DefaultCGTol = 1e-10

// NewCG returns a conjugate-gradient solver for a. A tol ≤ 0 means
// DefaultCGTol, a maxIter ≤ 0 means 2·a.OutLen() (exact arithmetic converges
// in at most OutLen iterations).
func NewCG(a Linear, tol float64, maxIter int) *CG {
	if tol <= 0 {
		tol = DefaultCGTol
	}
	if maxIter <= 0 {
		maxIter = 2 * a.OutLen()
	}
	m, n := a.OutLen(), a.InShape().Len()
	return &CG{
		A: a, Tol: tol, MaxIter: maxIter,
		r: make([]float64, m), p: make([]float64, m), q: make([]float64, m),
		t: make([]float64, n),
	}
}

// Iterations returns the number of iterations of the last Solve.
func (s *CG) Iterations() int { return s.iter }

// Residual returns the relative residual ‖b − M·u‖/‖b‖ of the last Solve
// (as tracked by the recurrence).
func (s *CG) Residual() float64 { return s.resid }

// Converged reports whether the last Solve met the tolerance.
func (s *CG) Converged() bool { return s.resid <= s.Tol }

// apply writes M·p into dst.
func (s *CG) apply(dst, p []float64, r2, sigma2 float64) {
	s.A.Adjoint(s.t, p)
	s.A.Apply(dst, s.t)
	for i, v := range p {
		dst[i] = r2*dst[i] + sigma2*v
	}
}

// Solve writes u = (r2·A·Aᵀ + sigma2·I)⁻¹·b into dst, starting from u = 0.
// dst and b may be the same slice. It panics if lengths differ.
//
//	α = ρ/(pᵀMp),  u += α·p,  r −= α·Mp,  β = ρ'/ρ,  p = r + β·p,  ρ = rᵀr.
func (s *CG) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	m := s.A.OutLen()
	mustLen("CG.Solve", "b", b, m)
	mustLen("CG.Solve", "dst", dst, m)
	s.iter = 0
	bnorm := floats.Norm(b, 2)
	copy(s.r, b)
	copy(s.p, b)
	clear(dst) // after reading b: dst and b may be the same slice
	if bnorm == 0 {
		s.resid = 0
		return dst
	}
	rho := bnorm * bnorm
	s.resid = 1
	for s.iter < s.MaxIter {
		s.apply(s.q, s.p, r2, sigma2)
		pq := floats.Dot(s.p, s.q)
		if !(pq > 0) { // M singular along p, or NaN: stop with what we have
			break
		}
		alpha := rho / pq
		floats.AddScaled(dst, alpha, s.p)
		floats.AddScaled(s.r, -alpha, s.q)
		s.iter++
		rhoNew := floats.Dot(s.r, s.r)
		s.resid = math.Sqrt(rhoNew) / bnorm
		if s.resid <= s.Tol {
			break
		}
		beta := rhoNew / rho
		rho = rhoNew
		for i, v := range s.r {
			s.p[i] = v + beta*s.p[i]
		}
	}
	return dst
}

// WithCG returns a whose Solve is replaced by conjugate gradients (tol and
// maxIter as in NewCG). Everything else, including Name, is a's.
func WithCG(a Linear, tol float64, maxIter int) Linear {
	return &cgLinear{linearOp: a, cg: NewCG(a, tol, maxIter)}
}

// linearOp lets cgLinear embed a Linear without its field name clashing with
// the method Linear().
type linearOp = Linear

type cgLinear struct {
	linearOp
	cg *CG
}

// Solve solves the ΠG system by conjugate gradients.
func (a *cgLinear) Solve(dst, b []float64, r2, sigma2 float64) []float64 {
	return a.cg.Solve(dst, b, r2, sigma2)
}

// Clone clones the operator and the solver's scratch space.
func (a *cgLinear) Clone() Operator {
	inner := a.linearOp.Clone().(Linear)
	return &cgLinear{linearOp: inner, cg: NewCG(inner, a.cg.Tol, a.cg.MaxIter)}
}
