package lab

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/method"
	"tweedie/core/run"
	"tweedie/core/sampler"
)

// planProblem is the gmm25 benchmark at d = 8 with one measurement.
func planProblem(t *testing.T) (*gmm.Mixture, *run.Problem, run.Settings) {
	t.Helper()
	mix, err := gmm.ParseSynthetic("gmm25:d=8,seed=1")
	if err != nil {
		t.Fatal(err)
	}
	base := run.DefaultSettings()
	base.Op, base.Sigma = "svd:dy=1,seed=1", 0.1
	prob, err := base.Problem(mix, mix.Components[0].Mean)
	if err != nil {
		t.Fatal(err)
	}
	return mix, prob, base
}

func labels(es []PlanEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Label)
	}
	return out
}

// TestPlanLists: every method runs at every combination of its own listed
// parameters, the steps and η; a parameter another method does not have
// does not multiply its entries.
func TestPlanLists(t *testing.T) {
	mix, prob, base := planProblem(t)
	p := Plan{Base: base, Methods: []string{"pig", "dps"}, Steps: []int{10, 20}, Etas: []float64{1},
		Params: map[string][]string{"zeta": {"0.1", "1"}}}
	es, err := p.Entries(mix, prob)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ΠG r=auto S=10", "ΠG r=auto S=20", "DPS ζ=0.1 S=10", "DPS ζ=0.1 S=20", "DPS ζ=1 S=10", "DPS ζ=1 S=20"}
	if got := labels(es); !slices.Equal(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
	for _, e := range es {
		if e.Settings.Op != base.Op || e.Settings.Sigma != base.Sigma || e.Row != "" || e.Col != 0 {
			t.Errorf("%s: settings %+v, place %q %d", e.Label, e.Settings, e.Row, e.Col)
		}
	}
	p.Params["zeta"] = []string{"-1"}
	if _, err := p.Entries(mix, prob); err == nil || !strings.HasPrefix(err.Error(), "--zeta") {
		t.Errorf("ζ = −1: %v", err)
	}
	p.Params, p.Steps = nil, []int{0}
	if _, err := p.Entries(mix, prob); err == nil || !strings.HasPrefix(err.Error(), "--steps 0") {
		t.Errorf("0 steps: %v", err)
	}
}

// TestPlanSweepPlaces: a grid sweep puts each entry in its column, and a
// second listed setting in the row.
func TestPlanSweepPlaces(t *testing.T) {
	mix, prob, base := planProblem(t)
	sw, err := ParseSweep("zeta=0.1:10:log:3")
	if err != nil {
		t.Fatal(err)
	}
	p := Plan{Base: base, Steps: []int{10, 20}, Etas: []float64{1}}
	if err := p.ApplySweep(&sw); err != nil {
		t.Fatal(err)
	}
	if err := p.DefaultMethods(prob); err != nil {
		t.Fatal(err)
	}
	for _, name := range p.Methods {
		if m := mustLookup(t, name); m.Param("zeta") == nil {
			t.Errorf("default method %s has no ζ", name)
		}
	}
	es, err := p.Entries(mix, prob)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(p.Methods)*3*2 {
		t.Fatalf("%d entries for %d methods × 3 values × 2 step counts", len(es), len(p.Methods))
	}
	for _, e := range es {
		want := slices.Index(sw.Text, e.Values["zeta"])
		if e.Col != want || !strings.HasSuffix(e.Row, " S="+strconv.Itoa(e.Settings.Steps)) {
			t.Errorf("%s: row %q column %d, want column %d", e.Label, e.Row, e.Col, want)
		}
	}
	p = Plan{Base: base, Steps: []int{10}, Etas: []float64{1}}
	if err := p.ApplySweep(&Sweep{Param: SweepEta, Values: []float64{0, 1}, Text: []string{"0", "1"}}); err == nil {
		t.Error("η swept with DDPM")
	}
	p.Base.Sampler = sampler.DDIM
	if err := p.ApplySweep(&Sweep{Param: SweepEta, Values: []float64{0, 1}, Text: []string{"0", "1"}}); err != nil || !slices.Equal(p.Etas, []float64{0, 1}) {
		t.Errorf("η swept with DDIM: %v, η %v", err, p.Etas)
	}
}

func mustLookup(t *testing.T, name string) *method.Method {
	t.Helper()
	m, err := method.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
