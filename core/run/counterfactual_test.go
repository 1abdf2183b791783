package run

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tweedie/core/img"
)

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func cosine(a, b []float64) float64 {
	return dot(a, b) / math.Sqrt(dot(a, a)*dot(b, b))
}

// TestCounterfactualApply checks each replacement on random vectors against
// its definition, for both signs of the factor c in u* = c·g*.
func TestCounterfactualApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randVec := func() []float64 {
		v := make([]float64, 7)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for _, c := range []float64{0.3, -2} {
		u, g := randVec(), randVec()
		ustar := make([]float64, len(g))
		for i := range g {
			ustar[i] = c * g[i]
		}
		norm := func(v []float64) float64 { return math.Sqrt(dot(v, v)) }
		for _, cf := range Counterfactuals {
			got := cf.apply(append([]float64(nil), u...), g, c)
			switch cf {
			case ExactSize:
				if math.Abs(norm(got)-norm(ustar)) > 1e-12 || math.Abs(cosine(got, u)-1) > 1e-12 {
					t.Errorf("c=%v %v: ‖u'‖ %v want %v, cos(u', u) %v", c, cf, norm(got), norm(ustar), cosine(got, u))
				}
			case ExactDirection:
				if math.Abs(norm(got)-norm(u)) > 1e-12 || math.Abs(cosine(got, ustar)-1) > 1e-12 {
					t.Errorf("c=%v %v: ‖u'‖ %v want %v, cos(u', u*) %v", c, cf, norm(got), norm(u), cosine(got, ustar))
				}
			case Along:
				// u − u' ⟂ u*, and u' ∥ u*.
				rest := make([]float64, len(u))
				for i := range u {
					rest[i] = u[i] - got[i]
				}
				if math.Abs(dot(rest, ustar)) > 1e-12 || math.Abs(math.Abs(cosine(got, ustar))-1) > 1e-12 {
					t.Errorf("c=%v %v: (u−u')·u* = %v, |cos(u', u*)| = %v", c, cf, dot(rest, ustar), cosine(got, ustar))
				}
			}
		}
	}
	zero := make([]float64, 7)
	u := randVec()
	if got := ExactDirection.apply(append([]float64(nil), u...), zero, 1); cosine(got, u) != 1 {
		t.Error("a zero exact update changed u")
	}
}

// TestCounterfactualOracleUnchanged: the oracle's update is the exact one,
// so every counterfactual leaves its run as it is (to rounding).
func TestCounterfactualOracleUnchanged(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 30)
	cfg.Method = mustMethod(t, "oracle")
	plain, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, cf := range Counterfactuals {
		cfg.Counterfactual = cf
		tr, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tr.Final {
			if math.Abs(tr.Final[i]-plain.Final[i]) > 1e-12 {
				t.Fatalf("%v: final[%d] = %v, plain oracle %v", cf, i, tr.Final[i], plain.Final[i])
			}
		}
	}
}

// TestCounterfactualSteps follows DPS under each counterfactual and checks
// every recorded update against the exact update of its recorded x_t.
func TestCounterfactualSteps(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 30)
	cfg.Method = mustMethod(t, "dps")
	plain, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, cf := range Counterfactuals {
		cfg.Counterfactual = cf
		r, err := New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := r.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if cf == ExactDirection && math.Abs(tr.Records[0].UpdateNorm/plain.Records[0].UpdateNorm-1) > 1e-12 {
			t.Errorf("%v: first update ‖u'‖ = %v, DPS's ‖u‖ = %v", cf, tr.Records[0].UpdateNorm, plain.Records[0].UpdateNorm)
		}
		var xt, u, g []float64
		for i, rec := range tr.Records {
			if cf == ExactSize && math.Abs(rec.UpdateRatio-1) > 1e-9 {
				t.Fatalf("%v step %d: ‖update‖/‖update*‖ = %v", cf, i, rec.UpdateRatio)
			}
			if cf == ExactSize {
				continue
			}
			xt, u = tr.Xt(xt, i), tr.Update(u, i)
			abT, _, co := r.coeffs(i)
			g = r.exact.Guidance(make([]float64, len(xt)), xt, abT)
			c := cosine(u, g) * math.Copysign(1, co.A)
			if cf == Along {
				c = math.Abs(c)
			}
			if math.Abs(c-1) > 1e-4 { // x_t and u are stored in float32
				t.Fatalf("%v step %d: cos(update, update*) = %v", cf, i, c)
			}
		}
	}
}

// TestCounterfactualRefusesParticles: a particle method's step is its
// population's, so the counterfactuals refuse it with a reason.
func TestCounterfactualRefusesParticles(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 6, W: 6, C: 1}, 3, 2, "inpaint-box:size=2", 0.1)
	cfg := pigConfig(prob, 10)
	cfg.Method, cfg.Counterfactual = mustMethod(t, "tds"), ExactSize
	if _, err := New(prob, cfg); err == nil || !strings.Contains(err.Error(), "particles") {
		t.Errorf("TDS with a counterfactual: %v", err)
	}
}
