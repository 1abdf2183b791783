package gmm

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"tweedie/core/internal/vec"
)

// CondCov is the exact Cov[x0 | x_t] of a mixture at one x_t and noise
// level ᾱ: the quantity ΠG models as r_t²·I and DPS as 0. By the law of
// total covariance over the components,
//
//	Cov[x0|x_t] = Σ_k w_k·(Σ_k|t + (m_k − x̂0)(m_k − x̂0)ᵀ),
//	Σ_k|t = (Σ_k⁻¹ + ᾱ/(1−ᾱ)·I)⁻¹
//	      = (1−ᾱ)·[(s_k²/c⊥)·I + U_k·diag(λ_kj/c_kj − s_k²/c⊥)·U_kᵀ],
//
// with w_k(x_t) the responsibilities, m_k = E[x0|x_t,k], x̂0 = Σ_k w_k·m_k,
// c_kj = ᾱ·λ_kj + 1−ᾱ and c⊥ = ᾱ·s_k² + 1−ᾱ (core/gmm's denoiser). It is
// also (1−ᾱ)/√ᾱ times the Jacobian of x̂0 (second-order Tweedie).
type CondCov struct {
	mix      *Mixture
	alphaBar float64
	// W are the responsibilities w_k; components below negligible are
	// left out (their M entries are nil).
	W []float64
	// M are m_k − x̂0, one per component kept.
	M [][]float64
	// X0 is x̂0 = E[x0|x_t].
	X0 []float64
}

// CondCov returns the exact Cov[x0|x_t] of the mixture at x_t and ᾱ ∈ (0, 1).
func (mix *Mixture) CondCov(xt []float64, alphaBar float64) (*CondCov, error) {
	d := mix.Dim()
	if len(xt) != d {
		return nil, fmt.Errorf("gmm: x_t has length %d, the mixture's images %d", len(xt), d)
	}
	if !(alphaBar > 0 && alphaBar < 1) {
		return nil, fmt.Errorf("gmm: ᾱ = %v: want 0 < ᾱ < 1", alphaBar)
	}
	K := len(mix.Components)
	sa := math.Sqrt(alphaBar)
	logW := make([]float64, K)
	ps := make([][]float64, K)
	r := make([]float64, d)
	bases := mix.bases()
	for k := range mix.Components {
		c := &mix.Components[k]
		residualTo(r, xt, c.Mean, sa)
		ps[k] = project(make([]float64, c.Rank()), bases[k], r)
		logW[k] = logComponent(c, newLevel(c, alphaBar, d), alphaBar, r, ps[k])
	}
	logZ := floats.LogSumExp(logW)
	if math.IsNaN(logZ) || math.IsInf(logZ, 0) {
		return nil, errors.New("gmm: x_t has no finite likelihood under the mixture")
	}
	cc := &CondCov{mix: mix, alphaBar: alphaBar, W: make([]float64, K), M: make([][]float64, K), X0: make([]float64, d)}
	for k := range mix.Components {
		cc.W[k] = math.Exp(logW[k] - logZ)
		if cc.W[k] < negligible {
			continue
		}
		c := &mix.Components[k]
		cc.M[k] = make([]float64, d)
		componentMean(cc.M[k], c, bases[k], alphaBar, xt, ps[k], make([]float64, c.Rank()))
		vec.AddScaled(cc.X0, cc.W[k], cc.M[k])
	}
	for _, m := range cc.M {
		if m != nil {
			floats.Sub(m, cc.X0)
		}
	}
	return cc, nil
}

// within returns the coefficients of Σ_k|t/(1−ᾱ): s²/c⊥ and λ_j/c_j − s²/c⊥.
func (cc *CondCov) within(c *Component) (perp float64, coef []float64) {
	a := cc.alphaBar
	perp = c.Resid / noisePerp(c, a)
	coef = make([]float64, c.Rank())
	for j, l := range c.Eigen {
		coef[j] = l/(a*l+1-a) - perp
	}
	return perp, coef
}

// Diag returns the per-pixel variances Var[x0_i | x_t]:
//
//	Σ_k w_k·[(1−ᾱ)·(s²/c⊥ + Σ_j (λ_j/c_j − s²/c⊥)·U_ij²) + (m_ki − x̂0_i)²].
func (cc *CondCov) Diag() []float64 {
	d := cc.mix.Dim()
	out := make([]float64, d)
	noise := 1 - cc.alphaBar
	for k, m := range cc.M {
		if m == nil {
			continue
		}
		c := &cc.mix.Components[k]
		w := cc.W[k]
		perp, coef := cc.within(c)
		for i := range out {
			out[i] += w * (noise*perp + m[i]*m[i])
		}
		for j, a := range coef {
			u := c.Basis[j*d : (j+1)*d]
			f := w * noise * a
			for i, x := range u {
				out[i] += f * x * x
			}
		}
	}
	return out
}

// Apply writes Cov[x0|x_t]·v into dst.
func (cc *CondCov) Apply(dst, v []float64) {
	d := cc.mix.Dim()
	clear(dst[:d])
	noise := 1 - cc.alphaBar
	for k, m := range cc.M {
		if m == nil {
			continue
		}
		c := &cc.mix.Components[k]
		w := cc.W[k]
		perp, coef := cc.within(c)
		p := project(make([]float64, c.Rank()), cc.mix.bases()[k], v)
		for j := range p {
			p[j] *= w * noise * coef[j]
		}
		vec.AddScaled(dst, w*noise*perp, v)
		expand(dst, cc.mix.bases()[k], p)
		vec.AddScaled(dst, w*vec.Dot(m, v), m)
	}
}

// MaxTopIters bounds Top's Lanczos iterations.
const MaxTopIters = 200

// Top returns the n largest eigenvalues of Cov[x0|x_t], largest first, by
// iters steps of Lanczos with full reorthogonalisation from a fixed start
// vector (so the same x_t gives the same values bit for bit). With iters ≥
// d they are exact up to rounding; a few dozen give the largest few to
// many digits, as the spectrum falls fast. n ≤ iters ≤ MaxTopIters.
func (cc *CondCov) Top(n, iters int) ([]float64, error) {
	d := cc.mix.Dim()
	if n < 1 || n > iters || iters > MaxTopIters {
		return nil, fmt.Errorf("gmm: Top(%d, %d): want 1 ≤ n ≤ iters ≤ %d", n, iters, MaxTopIters)
	}
	iters = min(iters, d)
	Q := make([][]float64, 0, iters)
	alpha := make([]float64, 0, iters)
	beta := make([]float64, 0, iters)
	q := make([]float64, d)
	for i := range q {
		q[i] = 1 + float64(i%7)/7 // fixed, not orthogonal to any image direction in practice
	}
	floats.Scale(1/floats.Norm(q, 2), q)
	w := make([]float64, d)
	for len(Q) < iters {
		Q = append(Q, q)
		cc.Apply(w, q)
		a := vec.Dot(w, q)
		alpha = append(alpha, a)
		for range 2 { // full reorthogonalisation, twice is enough
			for _, qi := range Q {
				vec.AddScaled(w, -vec.Dot(w, qi), qi)
			}
		}
		b := floats.Norm(w, 2)
		if len(Q) == iters || b <= 1e-13*math.Max(math.Abs(a), 1) {
			break
		}
		beta = append(beta, b)
		q = make([]float64, d)
		for i := range q {
			q[i] = w[i] / b
		}
	}
	k := len(alpha)
	T := mat.NewSymDense(k, nil)
	for i := range k {
		T.SetSym(i, i, alpha[i])
		if i+1 < k {
			T.SetSym(i, i+1, beta[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(T, false) {
		return nil, errors.New("gmm: Lanczos: no eigenvalues")
	}
	vals := es.Values(nil) // ascending
	n = min(n, k)
	out := make([]float64, n)
	for i := range out {
		out[i] = vals[k-1-i]
	}
	return out, nil
}
