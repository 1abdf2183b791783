package guidance

import (
	"fmt"
	"math"

	"tweedie/core/operator"
)

// pig is pseudoinverse guidance. For linear A,
//
//	g = Jᵀ·Aᵀ·(r_t²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0),
//
// which at σ = 0 is (1/r_t²)·Jᵀ·A†·(y − A·x̂0) with A† = Aᵀ(AAᵀ)⁻¹. For a
// nonlinear A with a pseudo-inverse A†,
//
//	g = Jᵀ·(A†(y) − A†(A(x̂0))) / (r_t² + σ²),
//
// the paper's σ = 0 form with σ² added to the variance as in the linear case.
type pig struct {
	buffers
	p      Params
	linear operator.Linear
	pinv   operator.PseudoInverter
	u      []float64 // solve result (linear) or A†(y) (nonlinear), cached
	tmp    []float64 // A†(A(x̂0))
}

// Serves reports why ΠG cannot serve op (a nonlinear operator without a
// pseudo-inverse), or nil when it can. DPS, the oracle (on its own terms)
// and none serve every operator.
func Serves(m Method, op operator.Operator) error {
	if m != PiG || op.Linear() {
		return nil
	}
	if _, ok := op.(operator.PseudoInverter); !ok {
		return fmt.Errorf("ΠG cannot serve %s: it is nonlinear and has no pseudo-inverse (use DPS)", op.Name())
	}
	return nil
}

func newPiG(p Params, b buffers) (*pig, error) {
	if err := Serves(PiG, b.op); err != nil {
		return nil, err
	}
	g := &pig{buffers: b, p: p}
	if lin, ok := b.op.(operator.Linear); ok && b.op.Linear() {
		g.linear = lin
		g.u = make([]float64, b.op.OutLen())
		return g, nil
	}
	pinv := b.op.(operator.PseudoInverter)
	g.pinv = pinv
	d := b.op.InShape().Len()
	g.u = pinv.PseudoInverse(make([]float64, d), b.y)
	g.tmp = make([]float64, d)
	return g, nil
}

func (g *pig) Guide(st *State, scoreY, corr []float64) (Target, float64) {
	res := g.residual(st.X0Hat)
	r := g.p.RT(st.AlphaBarT)
	r2, s2 := r*r, g.p.Sigma*g.p.Sigma
	if g.linear != nil {
		g.linear.Solve(g.u, g.res, r2, s2)
		g.linear.Adjoint(g.back, g.u)
	} else {
		g.pinv.PseudoInverse(g.tmp, g.ax)
		inv := 1 / (r2 + s2)
		for i := range g.back {
			g.back[i] = (g.u[i] - g.tmp[i]) * inv
		}
	}
	st.Den.VJP(scoreY, g.back)

	w := g.p.Weight
	switch g.p.Weighting {
	case PiGDM:
		scaleTo(corr, math.Sqrt(st.AlphaBarS*st.AlphaBarT)*w, scoreY)
		return ToXs, res
	case AlphaBar:
		scaleTo(corr, st.AlphaBarS*st.AlphaBarT*w, scoreY)
		return ToXs, res
	}
	scaleTo(corr, tweedieShift(st.AlphaBarT)*w, scoreY)
	return ToX0Hat, res
}
