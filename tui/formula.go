package tui

import (
	"fmt"
	"math"

	"tweedie/core/guidance"
	"tweedie/core/run"
)

// formula returns the active guidance rule with its current values: two
// lines, the rule and how it enters the step. rec is the step shown (ok
// false before the first step arrives).
func formula(meth guidance.Method, p guidance.Params, sigma float64, linear bool, rec run.Record, ok bool) (string, string) {
	ab := math.NaN()
	if ok {
		ab = rec.AlphaBar
	}
	shift := (1 - ab) / math.Sqrt(ab) // (1−ᾱ_t)/√ᾱ_t
	switch meth {
	case guidance.PiG:
		r := p.R
		rNote := fmt.Sprintf("r_t = %s", fmtG(r))
		if p.RAuto {
			r = math.Sqrt(1 - ab)
			rNote = fmt.Sprintf("r_t = √(1−ᾱ_t) = %s", fmtG(r))
		}
		g := "g = Jᵀ Aᵀ (r_t² AAᵀ + σ² I)⁻¹ (y − A x̂0)"
		if !linear {
			g = "g = Jᵀ (A†(y) − A†(A(x̂0))) / (r_t² + σ²)"
		}
		l1 := fmt.Sprintf("ΠG  %s   %s, σ = %s", g, rNote, fmtG(sigma))
		var l2 string
		switch p.Weighting {
		case guidance.PiGDM:
			l2 = fmt.Sprintf("    x_s ← x_s + √(ᾱ_s ᾱ_t) · w · g,   w = %s", fmtG(p.Weight))
		case guidance.AlphaBar:
			l2 = fmt.Sprintf("    x_s ← x_s + ᾱ_s ᾱ_t · w · g,   w = %s", fmtG(p.Weight))
		default:
			l2 = fmt.Sprintf("    x̂0 ← x̂0 + (1−ᾱ_t)/√ᾱ_t · w · g = x̂0 + %s · %s · g   (ᾱ_t = %s)", fmtG(shift), fmtG(p.Weight), fmtG(ab))
		}
		return l1, l2
	case guidance.DPS:
		res := math.NaN()
		if ok {
			res = rec.Residual
		}
		if p.DPSForm == guidance.DPSLikelihood {
			return fmt.Sprintf("DPS x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g,  g = −∇‖y − A(x̂0)‖²/(2σ²)   ζ = %s, σ = %s", fmtG(p.Zeta), fmtG(sigma)),
				fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I): r → 0;  ‖y − A(x̂0)‖ = %s, (1−ᾱ_t)/√ᾱ_t = %s", fmtG(res), fmtG(shift))
		}
		return fmt.Sprintf("DPS x_{t−1} ← x'_{t−1} − ζ ∇_{x_t}‖y − A(x̂0)‖   ζ = %s", fmtG(p.Zeta)),
			fmt.Sprintf("    p(y|x_t) ≈ N(A(x̂0), σ² I) (r → 0), σ = %s;  ‖y − A(x̂0)‖ = %s", fmtG(sigma), fmtG(res))
	case guidance.Oracle:
		return "oracle  g* = ∇_{x_t} log p(y|x_t), exact for the Gaussian-mixture prior",
			fmt.Sprintf("    x̂0 ← x̂0 + (1−ᾱ_t)/√ᾱ_t · g* = E[x0 | x_t, y],   (1−ᾱ_t)/√ᾱ_t = %s, σ = %s", fmtG(shift), fmtG(sigma))
	}
	return "none  x_{t−1} ~ p(x_{t−1} | x_t): unconditional, y is ignored", ""
}

// formulaShort is one line of a method's rule with its values, for compare mode.
func formulaShort(meth guidance.Method, p guidance.Params, sigma float64, rec run.Record, ok bool) string {
	ab := math.NaN()
	if ok {
		ab = rec.AlphaBar
	}
	switch meth {
	case guidance.PiG:
		r := p.R
		if p.RAuto {
			r = math.Sqrt(1 - ab)
		}
		return fmt.Sprintf("ΠG  g = Jᵀ Aᵀ (r_t² AAᵀ + σ² I)⁻¹ (y − A x̂0); x̂0 ← x̂0 + %s·w·g   r_t = %s, σ = %s, w = %s",
			fmtG((1-ab)/math.Sqrt(ab)), fmtG(r), fmtG(sigma), fmtG(p.Weight))
	case guidance.DPS:
		return fmt.Sprintf("DPS x_{t−1} ← x'_{t−1} − ζ ∇‖y − A(x̂0)‖   ζ = %s, σ = %s", fmtG(p.Zeta), fmtG(sigma))
	}
	l1, _ := formula(meth, p, sigma, true, rec, ok)
	return l1
}
