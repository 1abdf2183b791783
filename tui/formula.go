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
	ab := alphaBar(rec, ok)
	shift := (1 - ab) / math.Sqrt(ab) // (1−ᾱ_t)/√ᾱ_t
	switch meth {
	case guidance.PiG:
		r := p.R
		rNote := fmt.Sprintf("r_t = %s", fmtG(r))
		if p.RAuto {
			r = math.Sqrt(1 - ab)
			rNote = fmt.Sprintf("r_t = √(1−ᾱ_t) = %s", fmtG(r))
		}
		l1 := fmt.Sprintf("ΠG  %s   %s, σ = %s", pigGuidance(linear), rNote, fmtG(sigma))
		var l2 string
		switch p.Weighting {
		case guidance.PiGDM, guidance.AlphaBar:
			l2 = fmt.Sprintf("    %s,   w = %s", pigStep(p.Weighting), fmtG(p.Weight))
		default:
			l2 = fmt.Sprintf("    %s = x̂0 + %s · %s · g   (ᾱ_t = %s)", pigStep(p.Weighting), fmtG(shift), fmtG(p.Weight), fmtG(ab))
		}
		return l1, l2
	case guidance.DPS:
		res := math.NaN()
		if ok {
			res = rec.Residual
		}
		if p.DPSForm == guidance.DPSLikelihood {
			return dpsLikelihood(p, sigma),
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

// formulaShort is one line of a method's rule with its values, for
// compare mode: the same rule as formula's, in short.
func formulaShort(meth guidance.Method, p guidance.Params, sigma float64, linear bool, rec run.Record, ok bool) string {
	ab := alphaBar(rec, ok)
	switch meth {
	case guidance.PiG:
		r := p.R
		if p.RAuto {
			r = math.Sqrt(1 - ab)
		}
		step := pigStep(p.Weighting)
		if p.Weighting != guidance.PiGDM && p.Weighting != guidance.AlphaBar {
			step = fmt.Sprintf("x̂0 ← x̂0 + %s·w·g", fmtG((1-ab)/math.Sqrt(ab)))
		}
		return fmt.Sprintf("ΠG  %s; %s   r_t = %s, σ = %s, w = %s",
			pigGuidance(linear), step, fmtG(r), fmtG(sigma), fmtG(p.Weight))
	case guidance.DPS:
		if p.DPSForm == guidance.DPSLikelihood {
			return dpsLikelihood(p, sigma)
		}
		return fmt.Sprintf("DPS x_{t−1} ← x'_{t−1} − ζ ∇‖y − A(x̂0)‖   ζ = %s, σ = %s", fmtG(p.Zeta), fmtG(sigma))
	}
	l1, _ := formula(meth, p, sigma, linear, rec, ok)
	return l1
}

// alphaBar is ᾱ_t of the step shown, NaN before the first step.
func alphaBar(rec run.Record, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return rec.AlphaBar
}

// pigGuidance is ΠG's g: through (r_t² AAᵀ + σ² I)⁻¹ for a linear
// operator, through the pseudo-inverse A† for a nonlinear one.
func pigGuidance(linear bool) string {
	if linear {
		return "g = Jᵀ Aᵀ (r_t² AAᵀ + σ² I)⁻¹ (y − A x̂0)"
	}
	return "g = Jᵀ (A†(y) − A†(A(x̂0))) / (r_t² + σ²)"
}

// pigStep is how ΠG's g enters the step under the weighting.
func pigStep(w guidance.Weighting) string {
	switch w {
	case guidance.PiGDM:
		return "x_s ← x_s + √(ᾱ_s ᾱ_t) · w · g"
	case guidance.AlphaBar:
		return "x_s ← x_s + ᾱ_s ᾱ_t · w · g"
	}
	return "x̂0 ← x̂0 + (1−ᾱ_t)/√ᾱ_t · w · g"
}

// dpsLikelihood is DPS's rule in its likelihood form, with its values.
func dpsLikelihood(p guidance.Params, sigma float64) string {
	return fmt.Sprintf("DPS x̂0 ← x̂0 + ζ (1−ᾱ_t)/√ᾱ_t · g,  g = −∇‖y − A(x̂0)‖²/(2σ²)   ζ = %s, σ = %s", fmtG(p.Zeta), fmtG(sigma))
}
