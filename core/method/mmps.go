package method

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"

	"tweedie/core/internal/vec"
	"tweedie/core/operator"
)

// MMPS is moment matching posterior sampling (Rozet et al., "Learning
// diffusion priors from observations by expectation maximization",
// NeurIPS 2024), TMPD with the full measurement covariance: with the
// Jacobian's covariance
//
//	Cov[x0|x_t] ≈ γ_t·Jᵀ,   γ_t = (1−ᾱ_t)/sqrt(ᾱ_t),
//	Σ_y = σ²·I + A·Cov·Aᵀ = σ²·I + γ_t·A·Jᵀ·Aᵀ,
//	g   = Jᵀ·Aᵀ·Σ_y⁻¹·(y − A·x̂0),
//	x̂0 ← x̂0 + γ_t·g,
//
// Σ_y applied to a vector with one VJP, never formed. Two solves
// (--mmps-solve):
//
//	cg     n steps of conjugate gradients from u = 0 on Σ_y·u = y − A·x̂0
//	       (--cg-iters n, one VJP each; it stops early when the residual
//	       vanishes), then one VJP for g: n + 1 VJPs a step. This follows
//	       probabilists/azula azula/guidance/mmps.py (MMPSDenoiser with
//	       solver="cg": cov_y(v) = var_y·v + A(cov_x(Aᵀ(v))), cov_x(v) =
//	       γ_t·VJP(v), mean x̂ + γ_t·grad; azula's α_t, σ_t are our
//	       sqrt(ᾱ_t), sqrt(1−ᾱ_t)) and its linalg/solve.py cg (x0 = 0, a
//	       fixed number of iterations). azula's default solver is GMRES with
//	       one iteration; n = 1 here is its iterations = 1 with CG, which
//	       returns the multiple of the residual that minimises the energy
//	       norm where one GMRES step minimises the residual norm. CG needs
//	       Σ_y symmetric: it is for an exact denoiser, J being symmetric;
//	       for a learned one A·Jᵀ·Aᵀ need not be, and CG is then, as in
//	       azula's cg, a heuristic, not a solve.
//	exact  Σ_y formed column by column, A·Jᵀ·Aᵀ·e_i for each of the m
//	       measurements (m VJPs), and solved by LU: m + 1 VJPs a step. It is
//	       offered only where the exact guidance is (Needs Exact: an exact
//	       prior, a linear operator, σ > 0), because there J is exactly
//	       sqrt(ᾱ_t)/(1−ᾱ_t)·Cov[x0|x_t] (second-order Tweedie), so Σ_y is
//	       the exact covariance of A·x0 + σ·z given x_t, solved exactly. What
//	       remains approximate is the Gaussian moment matching of p(x0|x_t)
//	       (a mixture is not Gaussian) and the gradient taken with Σ_y held
//	       fixed; on a Gaussian prior (one component) both are exact and g is
//	       the exact ∇log p(y|x_t), the oracle's. This is also tmpdjax's
//	       full-Jacobian TMPD (KPDDPM), which forms the m×d Jacobian of A·x̂0.
//
// Conventions: σ is the measurement noise's standard deviation in image
// units (images in [-1, 1]); var_y = σ² as in azula. The corrected x̂0 goes
// to the sampler's step (Tweedie-consistent), as azula returns it as the
// guided denoiser's mean.
func init() {
	Register(&Method{
		Name: "mmps", Label: "MMPS", Order: 27,
		Summary: "moment matching: p(y|x_t) ≈ N(A·x̂0, A·Cov·Aᵀ + σ²·I), Cov = (1−ᾱ_t)/√ᾱ_t·J, solved by CG on VJPs",
		Params: []Param{
			{Name: "mmps-solve", Symbol: "solve", Kind: Choice, Choices: []string{"cg", "exact"}, DefaultValue: "cg",
				Help: "how MMPS solves (σ²I + A·Cov·Aᵀ)·u = y − A·x̂0: cg (--cg-iters steps of conjugate gradients, azula's MMPS) or exact (the matrix from m VJPs, solved by LU: the exact covariance, on an exact prior only)"},
			{Name: "cg-iters", Symbol: "n_CG", Kind: Number, NonNegative: true, DefaultValue: "1",
				Help:   "MMPS's conjugate-gradient steps `n` ≥ 1 per sampling step (one VJP each; default 1, azula's)",
				Ladder: []float64{1, 2, 3, 5, 10, 20, 50, 100},
				Down:   "i", Up: "I", DownHelp: "CG steps down", UpHelp: "CG steps up", InLabel: true},
		},
		Needs: func(v Values) Cap {
			if v["mmps-solve"] == "exact" {
				return VJP | Linear | Exact
			}
			return VJP | Linear
		},
		Cost: func(v Values, m int) StepCost {
			if v["mmps-solve"] == "exact" {
				return StepCost{NFE: 1, VJPs: m + 1}
			}
			return StepCost{NFE: 1, VJPs: int(v.Float("cg-iters")) + 1} // fewer when CG's residual vanishes
		},
		Bind:    bindMMPS,
		Formula: mmpsFormula,
		Short:   mmpsShort,
		Covariance: func(v Values) Cov {
			if v["mmps-solve"] == "exact" {
				return CovExact
			}
			return CovFull
		},
	})
}

type mmps struct {
	measurement
	lin   operator.Linear
	sigma float64
	exact bool
	iters int
	// CG's vectors (length m) and A·Jᵀ·Aᵀ·v's scratch (length d).
	u, r, p, sp, e []float64
	cov            []float64
	// The exact solve: Σ_y, overwritten by its LU factors, with their
	// pivots; u as a column for the solve.
	s    blas64.General
	ipiv []int
	ucol blas64.General
}

func bindMMPS(p *Problem, v Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	lin, ok := p.Op.(operator.Linear)
	if !ok || !p.Op.Linear() {
		return nil, fmt.Errorf("MMPS cannot serve %s: it is nonlinear", p.Op.Name())
	}
	n := v.Float("cg-iters")
	if n != math.Trunc(n) || n < 1 {
		return nil, fmt.Errorf("MMPS's n_CG = %s: want a whole number ≥ 1", v["cg-iters"])
	}
	m, d := p.Op.OutLen(), p.Op.InShape().Len()
	vm := func() []float64 { return make([]float64, m) }
	g := &mmps{measurement: ms, lin: lin, sigma: p.Sigma, exact: v["mmps-solve"] == "exact", iters: int(n),
		u: vm(), r: vm(), p: vm(), sp: vm(), e: vm(), cov: make([]float64, d)}
	if g.exact {
		g.s = blas64.General{Rows: m, Cols: m, Stride: m, Data: make([]float64, m*m)}
		g.ipiv = make([]int, m)
		g.ucol = blas64.General{Rows: m, Cols: 1, Stride: 1, Data: g.u}
	}
	return g, nil
}

// applyS writes Σ_y·v = σ²·v + γ·A·Jᵀ·Aᵀ·v into dst (one VJP).
func (g *mmps) applyS(ctx context.Context, st *State, dst, v []float64, gam float64) error {
	g.lin.Adjoint(g.back, v)
	if err := st.Point.VJP(ctx, g.cov, g.back); err != nil {
		return err
	}
	g.op.Apply(dst, g.cov)
	s2 := g.sigma * g.sigma
	for i := range dst {
		dst[i] = s2*v[i] + gam*dst[i]
	}
	return nil
}

// cg writes n steps of conjugate gradients on Σ_y·u = res, from u = 0, into g.u.
func (g *mmps) cg(ctx context.Context, st *State, gam float64) error {
	clear(g.u)
	copy(g.r, g.res)
	copy(g.p, g.res)
	rr := vec.Dot(g.r, g.r)
	stop := 1e-28 * rr // ‖r‖ ≤ 1e-14·‖b‖: solved to rounding
	for k := 0; k < g.iters && rr > stop; k++ {
		if err := g.applyS(ctx, st, g.sp, g.p, gam); err != nil {
			return err
		}
		pSp := vec.Dot(g.p, g.sp)
		if !(pSp > 0) { // Σ_y not positive definite along p (a learned J): stop
			break
		}
		alpha := rr / pSp
		for i := range g.u {
			g.u[i] += alpha * g.p[i]
			g.r[i] -= alpha * g.sp[i]
		}
		rrNew := vec.Dot(g.r, g.r)
		beta := rrNew / rr
		for i := range g.p {
			g.p[i] = g.r[i] + beta*g.p[i]
		}
		rr = rrNew
	}
	return nil
}

// solveExact forms Σ_y from m VJPs and solves Σ_y·u = res by LU (with
// partial pivoting, LAPACK's dgetrf and dgetrs) into g.u.
func (g *mmps) solveExact(ctx context.Context, st *State, gam float64) error {
	m := len(g.e)
	for j := 0; j < m; j++ {
		clear(g.e)
		g.e[j] = 1
		if err := g.applyS(ctx, st, g.sp, g.e, gam); err != nil {
			return err
		}
		for i, v := range g.sp {
			g.s.Data[i*m+j] = v
		}
	}
	if !lapack64.Getrf(g.s, g.ipiv) {
		return errors.New("MMPS: σ²I + A·Cov·Aᵀ is singular")
	}
	copy(g.u, g.res)
	lapack64.Getrs(blas.NoTrans, g.s, g.ucol, g.ipiv)
	return nil
}

func (g *mmps) Guide(ctx context.Context, st *State, out *Output) error {
	out.Residual = g.residual(st.X0Hat)
	gam := TweedieShift(st.AlphaBarT)
	var err error
	if g.exact {
		err = g.solveExact(ctx, st, gam)
	} else {
		err = g.cg(ctx, st, gam)
	}
	if err != nil {
		return err
	}
	return asScore(ctx, st, out, g.lin, g.u, g.back, gam)
}

const mmpsRule = "g = Jᵀ Aᵀ (σ² I + γ_t A Jᵀ Aᵀ)⁻¹ (y − A x̂0)"

// mmpsSolve says how the system is solved and what it costs.
func mmpsSolve(v Values) string {
	if v["mmps-solve"] == "exact" {
		return "solved exactly (m VJPs form the matrix: the exact covariance on the exact prior); m + 1 VJPs a step"
	}
	n := v.Float("cg-iters")
	return fmt.Sprintf("solved by %s CG steps on VJPs; ≤ %s VJPs a step", Fmt(n), Fmt(n+1))
}

func mmpsFormula(v Values, f Frame) [2]string {
	return [2]string{
		fmt.Sprintf("MMPS  %s,  γ_t = (1−ᾱ_t)/√ᾱ_t = %s, σ = %s", mmpsRule, Fmt(TweedieShift(f.AlphaBarT)), Fmt(f.Sigma)),
		fmt.Sprintf("    Cov[x0|x_t] = γ_t Jᵀ, %s;  x̂0 ← x̂0 + γ_t · g   ‖y − A x̂0‖ = %s", mmpsSolve(v), Fmt(f.Residual)),
	}
}

func mmpsShort(v Values, f Frame) string {
	solve := "exact solve"
	if v["mmps-solve"] != "exact" {
		solve = "n_CG = " + Fmt(v.Float("cg-iters"))
	}
	return fmt.Sprintf("MMPS  %s; x̂0 ← x̂0 + γ_t·g   γ_t = %s, σ = %s, %s", mmpsRule, Fmt(TweedieShift(f.AlphaBarT)), Fmt(f.Sigma), solve)
}
