package guidance

// dps is diffusion posterior sampling: r → 0, so p(y|x_t) ≈ N(A(x̂0), σ²I)
// and only a VJP through A is needed. With h = Jᵀ·J_Aᵀ·(y − A(x̂0)),
//
//	∇_{x_t}‖y − A(x̂0)‖ = −h / ‖y − A(x̂0)‖,
//	∇_{x_t} log p(y|x_t) ≈ h / σ²            (the estimate reported as scoreY).
//
// At σ = 0 the estimate is infinite; scoreY then reports the direction
// h/‖y − A(x̂0)‖ that the norm form steps along.
type dps struct {
	buffers
	p Params
}

func (g *dps) Guide(st *State, scoreY, corr []float64) (Target, float64) {
	res := g.residual(st.X0Hat)
	g.op.VJP(g.back, st.X0Hat, g.res)
	st.Den.VJP(scoreY, g.back) // h
	hScale := 0.0              // corr = hScale·h
	if res > 0 {
		hScale = g.p.Zeta / res
	}
	if g.p.DPSForm == DPSLikelihood {
		hScale = g.p.Zeta * tweedieShift(st.AlphaBarT) / (g.p.Sigma * g.p.Sigma)
	}
	scaleTo(corr, hScale, scoreY)
	switch {
	case g.p.Sigma > 0:
		scaleTo(scoreY, 1/(g.p.Sigma*g.p.Sigma), scoreY)
	case res > 0:
		scaleTo(scoreY, 1/res, scoreY)
	}
	if g.p.DPSForm == DPSLikelihood {
		return ToX0Hat, res
	}
	return ToXs, res
}
