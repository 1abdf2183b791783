package method

import (
	"context"
	"fmt"
	"math"

	"tweedie/core/operator"
)

// ΠG is pseudoinverse guidance (Song et al., "Pseudoinverse-guided
// diffusion models for inverse problems", ICLR 2023). For linear A,
//
//	g = Jᵀ·Aᵀ·(r_t²·A·Aᵀ + σ²·I)⁻¹·(y − A·x̂0),
//
// which at σ = 0 is (1/r_t²)·Jᵀ·A†·(y − A·x̂0) with A† = Aᵀ(AAᵀ)⁻¹. For a
// nonlinear A with a pseudo-inverse A†,
//
//	g = Jᵀ·(A†(y) − A†(A(x̂0))) / (r_t² + σ²),
//
// the paper's σ = 0 form with σ² added to the variance as in the linear
// case. r_t² = 1 − ᾱ_t by default ("auto", the variance-preserving form of
// the paper's σ_t²/(1 + σ_t²)).
//
// Two ways to apply it (--weighting):
//
//	tweedie  x̂0 ← x̂0 + (1−ᾱ_t)/sqrt(ᾱ_t)·w·g, then the sampler's step: g
//	         applied as a score, consistently with Tweedie's formula (the default);
//	pigdm    x_s ← x_s + sqrt(ᾱ_s·ᾱ_t)·w·Jᵀ·(A†(y) − A†(A(x̂0))), after the step,
//	         as ΠGDM's published code does: NVlabs/RED-diff algos/pgdm.py
//	         (coeff = sqrt(ᾱ_s)·sqrt(ᾱ_t)·grad_term_weight with awd) and
//	         probabilists/azula azula/guidance/pgdm.py (alpha_s·alpha_t, its
//	         α being the signal scale sqrt(ᾱ)). The vector is the VJP of the
//	         pseudo-inverse residual without g's 1/r_t² and without σ; adding
//	         sqrt(ᾱ_s·ᾱ_t)·w·g instead is 1/(1−ᾱ_t) times too large and
//	         diverges near t = 0. g is reported as that vector over r_t² (ΠG's
//	         estimate at σ = 0).
func init() {
	Register(&Method{
		Name: "pig", Label: "ΠG", Order: 10,
		Summary: "pseudoinverse guidance: p(y|x_t) ≈ N(A·x̂0, r_t²·AAᵀ + σ²·I)",
		Params: []Param{
			{Name: "r", Symbol: "r", Kind: NumberOrAuto, NonNegative: true, DefaultValue: "auto",
				Help:   "ΠG's r_t: auto (r_t² = 1−ᾱ_t) or a `VALUE` ≥ 0",
				Ladder: []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 2},
				Down:   "r", Up: "R", AutoKey: "a", DownHelp: "r down", UpHelp: "r up", InLabel: true,
				AutoAt: rAuto},
			{Name: "weight", Symbol: "w", Kind: Number, DefaultValue: "1",
				Help: "ΠG's guidance weight `w`"},
			{Name: "weighting", Symbol: "weighting", Kind: Choice, Choices: []string{"tweedie", "pigdm"}, DefaultValue: "tweedie",
				Help: "how ΠG's g enters the step: tweedie (x̂0 + (1−ᾱ_t)/√ᾱ_t·w·g) or pigdm (x_s + √(ᾱ_s·ᾱ_t)·w·Jᵀ(A†y − A†A·x̂0), ΠGDM's published code)"},
		},
		Needs:      pigNeeds,
		Cost:       OneVJP,
		Bind:       bindPiG,
		Formula:    pigFormula,
		Short:      pigShort,
		Covariance: func(Values) Cov { return CovIsotropic },
	})
}

// pigNeeds: a VJP and a pseudo-inverse; with r = 0, σ > 0 too (else
// r_t²·AAᵀ + σ²·I has no inverse: the likelihood has no variance).
func pigNeeds(v Values) Cap {
	if !v.Auto("r") && v["r"] != "" && v.Float("r") == 0 && v["weighting"] != "pigdm" {
		return VJP | PseudoInverse | PositiveSigma
	}
	return VJP | PseudoInverse
}

type pig struct {
	measurement
	rAuto  bool
	r      float64
	w      float64
	pigdm  bool
	sigma  float64
	linear operator.Linear
	pinv   operator.PseudoInverter
	u      []float64 // solve result (linear) or A†(y) (nonlinear), cached
	tmp    []float64 // A†(A(x̂0))
}

func bindPiG(p *Problem, v Values) (Guide, error) {
	ms, err := newMeasurement(p)
	if err != nil {
		return nil, err
	}
	g := &pig{measurement: ms, rAuto: v.Auto("r"), r: v.Float("r"), w: v.Float("weight"),
		pigdm: v["weighting"] == "pigdm", sigma: p.Sigma}
	if lin, ok := p.Op.(operator.Linear); ok && p.Op.Linear() {
		g.linear = lin
		g.u = make([]float64, p.Op.OutLen())
		return g, nil
	}
	pinv, ok := p.Op.(operator.PseudoInverter)
	if !ok {
		return nil, fmt.Errorf("ΠG cannot serve %s: it is nonlinear and has no pseudo-inverse", p.Op.Name())
	}
	g.pinv = pinv
	d := p.Op.InShape().Len()
	g.u = pinv.PseudoInverse(make([]float64, d), p.Y)
	g.tmp = make([]float64, d)
	return g, nil
}

// rt is r_t at noise level ᾱ_t.
func (g *pig) rt(alphaBar float64) float64 {
	if g.rAuto {
		return rAuto(alphaBar)
	}
	return g.r
}

// rAuto is r_t = sqrt(1 − ᾱ_t).
func rAuto(alphaBar float64) float64 { return math.Sqrt(1 - alphaBar) }

func (g *pig) Guide(ctx context.Context, st *State, out *Output) error {
	out.Residual = g.residual(st.X0Hat)
	r := g.rt(st.AlphaBarT)
	r2, s2 := r*r, g.sigma*g.sigma
	if g.pigdm {
		r2, s2 = 1, 0 // the pseudo-inverse residual A†(y) − A†(A(x̂0)) itself
	}
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
	if err := st.Point.VJP(ctx, out.ScoreY, g.back); err != nil {
		return err
	}
	if g.pigdm {
		scaleTo(out.Corr, math.Sqrt(st.AlphaBarS*st.AlphaBarT)*g.w, out.ScoreY)
		if r := g.rt(st.AlphaBarT); r > 0 {
			scaleTo(out.ScoreY, 1/(r*r), out.ScoreY)
		}
		out.Target = ToXs
		return nil
	}
	scaleTo(out.Corr, TweedieShift(st.AlphaBarT)*g.w, out.ScoreY)
	out.Target = ToX0Hat
	return nil
}

// pigRT describes r_t at the frame: its value, and how it was found.
func pigRT(v Values, f Frame) (float64, string) {
	if v.Auto("r") {
		r := rAuto(f.AlphaBarT)
		return r, fmt.Sprintf("r_t = √(1−ᾱ_t) = %s", Fmt(r))
	}
	r := v.Float("r")
	return r, "r_t = " + Fmt(r)
}

// pigG is ΠG's g: through (r_t² AAᵀ + σ² I)⁻¹ for a linear operator,
// through the pseudo-inverse A† for a nonlinear one.
func pigG(linear bool) string {
	if linear {
		return "g = Jᵀ Aᵀ (r_t² AAᵀ + σ² I)⁻¹ (y − A x̂0)"
	}
	return "g = Jᵀ (A†(y) − A†(A(x̂0))) / (r_t² + σ²)"
}

const pigdmStep = "x_s ← x_s + √(ᾱ_s ᾱ_t) · w · Jᵀ(A†y − A†A x̂0)"

func pigFormula(v Values, f Frame) [2]string {
	_, rNote := pigRT(v, f)
	l1 := fmt.Sprintf("ΠG  %s   %s, σ = %s", pigG(f.Linear), rNote, Fmt(f.Sigma))
	w := Fmt(v.Float("weight"))
	if v["weighting"] == "pigdm" {
		return [2]string{l1, fmt.Sprintf("    %s (ΠGDM's code),   w = %s", pigdmStep, w)}
	}
	return [2]string{l1, fmt.Sprintf("    x̂0 ← x̂0 + (1−ᾱ_t)/√ᾱ_t · w · g = x̂0 + %s · %s · g   (ᾱ_t = %s)",
		Fmt(TweedieShift(f.AlphaBarT)), w, Fmt(f.AlphaBarT))}
}

func pigShort(v Values, f Frame) string {
	r, _ := pigRT(v, f)
	step := pigdmStep
	if v["weighting"] != "pigdm" {
		step = fmt.Sprintf("x̂0 ← x̂0 + %s·w·g", Fmt(TweedieShift(f.AlphaBarT)))
	}
	return fmt.Sprintf("ΠG  %s; %s   r_t = %s, σ = %s, w = %s",
		pigG(f.Linear), step, Fmt(r), Fmt(f.Sigma), Fmt(v.Float("weight")))
}
