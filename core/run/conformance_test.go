package run

import (
	"context"
	"math"
	"testing"

	"tweedie/core/img"
	"tweedie/core/method"
)

// The method contracts: every registered method, on a tiny problem it
// serves, is held to what the registry and the runner promise of it —
// the same bits from the same seed, a run resumed from a keyframe or
// from x_T that gives the run's steps bit for bit (method.Stateful where
// it carries state), a finite result, the network evaluations and VJPs
// its Cost declares, and no allocation in a step. A method registered in
// core/method is tested here, with its defaults and each choice of its
// Choice parameters, with no list to add it to.

// conformanceSpecs are the operators of the tiny problems; a method is
// tested on the first it serves.
var conformanceSpecs = []string{"inpaint-box:size=4", "svd:dy=5", "phase"}

// conformanceSteps is the length of the runs.
const conformanceSteps = 60

// keyframeBound is the least bound on the rows of a run of steps steps of
// d pixels, whose guide's state takes stateBytes, that keeps some steps
// with keyframes and not all: every k-th, with the smallest k whose kept
// steps and keyframes take less than all the rows.
func keyframeBound(steps, d, stateBytes int) (bound int64, k int) {
	all := int64(steps) * 16 * int64(d)
	for k = 2; k < steps; k++ {
		if bound = int64(keptCount(steps, k))*(24*int64(d)+int64(stateBytes)) + 16*int64(d); bound < all {
			return bound, k
		}
	}
	return 0, 0
}

// conformanceProblem is a tiny problem on an exact prior (8×8, 3
// components, σ = 0.1) that m serves with the values v. (At σ = 0.05 DPS's
// likelihood form, weighted by 1/2σ², diverges on it, as it is there to
// show.)
func conformanceProblem(t *testing.T, m *method.Method, v method.Values) *Problem {
	t.Helper()
	for _, spec := range conformanceSpecs {
		prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, spec, 0.1)
		if m.Serves(prob.Offer, v) == nil {
			return prob
		}
	}
	t.Fatalf("%s %v serves none of the problems %v: add one it serves", m.Name, v, conformanceSpecs)
	return nil
}

func conformanceConfig(m *method.Method, v method.Values, steps int) Config {
	return Config{Steps: steps, Seed: 7, Method: m, Params: v, NoExact: true}
}

// variants are the settings a method is tested with: its defaults, and
// each other choice of each of its Choice parameters.
func variants(m *method.Method) []method.Values {
	vs := []method.Values{nil}
	for _, p := range m.Params {
		if p.Kind != method.Choice {
			continue
		}
		for _, c := range p.Choices {
			if c != p.DefaultValue {
				vs = append(vs, method.Values{p.Name: c})
			}
		}
	}
	return vs
}

func TestMethodContracts(t *testing.T) {
	for _, m := range method.All() {
		for _, v := range variants(m) {
			name := m.Name
			for k, c := range v {
				name += "/" + k + "=" + c
			}
			t.Run(name, func(t *testing.T) { checkContract(t, m, v) })
		}
	}
}

func checkContract(t *testing.T, m *method.Method, v method.Values) {
	prob := conformanceProblem(t, m, v)
	cfg := conformanceConfig(m, v, conformanceSteps)
	all, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatalf("%s on %s: %v", m.Name, prob.Op.Name(), err)
	}
	t.Run("finite", func(t *testing.T) { checkFinite(t, all) })
	t.Run("same bits twice", func(t *testing.T) {
		again, _ := runAll(t, prob, cfg)
		checkSameRun(t, all, again)
	})
	t.Run("cost", func(t *testing.T) { checkCost(t, m, v, prob, all) })
	t.Run("replay", func(t *testing.T) { checkReplay(t, prob, cfg, all) })
	t.Run("no allocations", func(t *testing.T) { checkNoAllocs(t, m, v, prob) })
}

// checkFinite: the run completes with a finite x_0, and every step's
// scalars are finite.
func checkFinite(t *testing.T, tr *Trajectory) {
	if !tr.Complete() {
		t.Fatalf("%d of %d steps", tr.Done, tr.Steps())
	}
	for i, v := range tr.Final {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("x_0[%d] = %v", i, v)
		}
	}
	for _, rec := range tr.Records {
		for _, v := range []float64{rec.UpdateNorm, rec.GNorm, rec.Residual} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("step %d: %+v", rec.Index, rec)
			}
		}
	}
}

// checkSameRun: two runs agree bit for bit, step by step.
func checkSameRun(t *testing.T, a, b *Trajectory) {
	t.Helper()
	if a.Done != b.Done {
		t.Fatalf("%d steps and %d", a.Done, b.Done)
	}
	for i := range a.Done {
		if a.Sum(i) != b.Sum(i) || !sameRecord(a.Records[i], b.Records[i]) {
			t.Fatalf("step %d differs", i)
		}
	}
	for i := range a.Final {
		if math.Float64bits(a.Final[i]) != math.Float64bits(b.Final[i]) {
			t.Fatalf("x_0[%d]: %v and %v", i, a.Final[i], b.Final[i])
		}
	}
}

// checkCost: the records count the evaluations and VJPs Cost declares,
// step by step.
func checkCost(t *testing.T, m *method.Method, explicit method.Values, prob *Problem, tr *Trajectory) {
	v, err := m.Resolve(explicit, prob.Op)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cost(v, prob.Op.OutLen())
	if c.NFE < 1 {
		t.Errorf("declares %d evaluations a step: the runner's denoises x_t", c.NFE)
	}
	for i, rec := range tr.Records {
		if rec.NFE != c.NFE*(i+1) || rec.VJPs != c.VJPs*(i+1) {
			t.Fatalf("step %d: %d evaluations and %d VJPs so far, declared %d and %d a step", i, rec.NFE, rec.VJPs, c.NFE, c.VJPs)
		}
	}
}

// checkReplay: a run that keeps every k-th step records the steps of one
// that keeps them all, and Replay remakes the others — from the keyframe
// before them (not the first) and from x_T — bit for bit; a Stateful
// guide's state fits its StateBytes.
func checkReplay(t *testing.T, prob *Problem, cfg Config, all *Trajectory) {
	stateBytes := 0
	if r, err := New(prob, cfg); err != nil {
		t.Fatal(err)
	} else if sf, ok := r.guide.(method.Stateful); ok {
		stateBytes = sf.StateBytes()
	}
	var k int
	cfg.KeepBytes, k = keyframeBound(conformanceSteps, prob.Shape().Len(), stateBytes)
	if k == 0 || 2*k+2 >= conformanceSteps {
		t.Fatalf("a state of %d bytes: no bound keeps keyframes after the first in %d steps", stateBytes, conformanceSteps)
	}
	r, err := New(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	part, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if part.every != k {
		t.Fatalf("every %d-th step kept, want every %d-th", part.every, k)
	}
	for _, k := range part.keys {
		if k != nil && len(k.guide) > stateBytes {
			t.Fatalf("keyframe %d: a state of %d bytes, StateBytes %d", k.step, len(k.guide), stateBytes)
		}
	}
	for i := range all.Done {
		if all.Sum(i) != part.Sum(i) {
			t.Fatalf("step %d: the run keeping every 4th step differs", i)
		}
	}
	from, to := 2*k+1, min(2*k+6, conformanceSteps-1) // resumed from the keyframe of step 2k
	if key := part.keyBefore(from); key == nil || key.step != 2*k {
		t.Fatalf("no keyframe at step %d", 2*k)
	}
	sums := make([]uint64, 0, to-from+1)
	for i := from; i <= to; i++ {
		sums = append(sums, part.Sum(i))
	}
	for _, c := range []struct {
		name string
		orig *Trajectory
	}{{"from its keyframe", part}, {"from x_T", nil}} {
		rows, err := Replay(context.Background(), prob, cfg, c.orig, from, to, sums)
		if err != nil {
			t.Fatalf("replay %s: %v", c.name, err)
		}
		for j, got := range rows {
			want, _ := all.Rows(from + j)
			for k, pair := range [4][2][]float32{{got.Xt, want.Xt}, {got.X0Hat, want.X0Hat}, {got.ScoreY, want.ScoreY}, {got.Update, want.Update}} {
				for p := range pair[0] {
					if math.Float32bits(pair[0][p]) != math.Float32bits(pair[1][p]) {
						t.Fatalf("replay %s: step %d vector %d pixel %d: %v, the run %v", c.name, from+j, k, p, pair[0][p], pair[1][p])
					}
				}
			}
		}
	}
}

// checkNoAllocs: steps after the first allocate nothing (the last step's
// copy of x_0 aside: the run is longer than the steps measured).
func checkNoAllocs(t *testing.T, m *method.Method, v method.Values, prob *Problem) {
	r, err := New(prob, conformanceConfig(m, v, 200))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations a step", n)
	}
}

// TestSameNoiseAcrossMethods: x_T and the per-step noise depend on the
// seed only, so every method starts from the same x_T.
func TestSameNoiseAcrossMethods(t *testing.T) {
	prob := testProblem(t, img.Shape{H: 8, W: 8, C: 1}, 3, 4, "inpaint-box:size=4", 0.05)
	var first []float64
	for _, m := range method.Available(prob.Offer) {
		tr, err := runAll(t, prob, conformanceConfig(m, nil, 2))
		if err != nil {
			t.Fatal(err)
		}
		x := tr.Xt(nil, 0)
		if first == nil {
			first = x
			continue
		}
		for i := range x {
			if x[i] != first[i] {
				t.Fatalf("%v starts from a different x_T", m.Name)
			}
		}
	}
}
