package gauss

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// Conjugate-gradient settings.
const (
	// DefaultTol is the relative residual ‖b − M·u‖ ≤ Tol·‖b‖ at which
	// conjugate gradients stop.
	DefaultTol = 1e-8
	// DefaultMaxIter bounds the iterations of one solve.
	DefaultMaxIter = 5000
	// maxRestarts bounds the restarts from the true residual when the
	// recurrence's residual met the tolerance and the true one did not.
	maxRestarts = 3
	// cgCheckEvery is how many iterations pass between checks of the
	// context.
	cgCheckEvery = 8
)

// Stats are what one solve did.
type Stats struct {
	// Iterations of conjugate gradients (0 for a closed form).
	Iterations int
	// Residual is ‖b − M·u‖/‖b‖ of the solution returned, recomputed from
	// it (0 for a closed form).
	Residual float64
}

// cg solves symmetric positive-definite systems M·u = b by preconditioned
// conjugate gradients, M and the preconditioner applied by functions. It
// keeps its vectors and is not safe for concurrent use.
type cg struct {
	r, z, p, q []float64
}

// solve writes the solution of M·u = b into u, starting from u = 0 and
// stopping when the recurrence's residual falls to tol·‖b‖; it then
// recomputes the residual from u and, if that one is above tol·‖b‖,
// continues from it (at most maxRestarts times). prec applies a symmetric
// positive-definite approximation of M⁻¹ (nil: none). It returns an error
// when ctx is done or the residual is above the tolerance after maxIter
// iterations (u then holds the last iterate).
//
//	z = prec(r),  α = ρ/(pᵀMp),  u += α·p,  r −= α·Mp,  ρ' = rᵀ·prec(r),  p = prec(r) + (ρ'/ρ)·p.
func (c *cg) solve(ctx context.Context, apply, prec func(dst, x []float64), u, b []float64, tol float64, maxIter int) (Stats, error) {
	n := len(b)
	c.r, c.z, c.p, c.q = grow(c.r, n), grow(c.z, n), grow(c.p, n), grow(c.q, n)
	r, z, p, q := c.r, c.z, c.p, c.q
	if prec == nil {
		z = r
	}
	clear(u)
	bnorm := math.Sqrt(floats.Dot(b, b))
	if bnorm == 0 {
		return Stats{}, nil
	}
	copy(r, b)
	st := Stats{Residual: 1}
	for restart := 0; ; restart++ {
		if prec != nil {
			prec(z, r)
		}
		copy(p, z)
		rho := floats.Dot(r, z)
		for st.Iterations < maxIter && math.Sqrt(floats.Dot(r, r)) > tol*bnorm {
			if st.Iterations%cgCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return st, err
				}
			}
			apply(q, p)
			pq := floats.Dot(p, q)
			if !(pq > 0) { // M not positive definite along p, or NaN
				break
			}
			alpha := rho / pq
			floats.AddScaled(u, alpha, p)
			floats.AddScaled(r, -alpha, q)
			if prec != nil {
				prec(z, r)
			}
			next := floats.Dot(r, z)
			beta := next / rho
			for i, zi := range z {
				p[i] = zi + beta*p[i]
			}
			rho = next
			st.Iterations++
		}
		apply(q, u)
		for i := range r {
			r[i] = b[i] - q[i]
		}
		st.Residual = math.Sqrt(floats.Dot(r, r)) / bnorm
		switch {
		case st.Residual <= tol:
			return st, nil
		case st.Iterations >= maxIter || restart == maxRestarts || math.IsNaN(st.Residual):
			return st, fmt.Errorf("gauss: conjugate gradients reached a relative residual of %.3g after %d iterations, not %.3g",
				st.Residual, st.Iterations, tol)
		}
	}
}
