package lab

import (
	"errors"
	"fmt"
	"strconv"

	"tweedie/core/denoiser"
	"tweedie/core/method"
	"tweedie/core/run"
)

// Plan is a lab's entries given as lists: each method runs at every
// combination of the values listed for its parameters, the steps and η.
// With a grid sweep its parameter's list is the sweep's values, and each
// entry has a place in the sweep's heat map.
type Plan struct {
	// Base is the problem every entry shares (Op, Sigma, NoiseSeed) and
	// the sampler; its Method, Params, Steps and Eta are replaced.
	Base run.Settings
	// Methods are the methods' names; none means every guidance method
	// that serves the problem (in a sweep of a method parameter, those
	// that have it).
	Methods []string
	// Steps and Etas are the values of the settings (at least one each).
	Steps []int
	Etas  []float64
	// Params are the values listed for method parameters, by name.
	Params map[string][]string
	// Sweep is the grid sweep, nil for none.
	Sweep *Sweep
}

// PlanEntry is an entry and, in a grid sweep, its place in the heat map:
// the row (the method and any other listed values) and the column (the
// swept value's index, −1 when it is none of them).
type PlanEntry struct {
	Entry
	Row string
	Col int
}

// ApplySweep makes the sweep's values the list of its parameter.
func (p *Plan) ApplySweep(sw *Sweep) error {
	p.Sweep = sw
	switch sw.Param {
	case SweepSteps:
		p.Steps = nil
		for _, t := range sw.Text {
			n, err := strconv.Atoi(t)
			if err != nil {
				return fmt.Errorf("--sweep steps: %q is not a whole number", t)
			}
			p.Steps = append(p.Steps, n)
		}
	case SweepEta:
		if p.Base.Sampler.String() != "ddim" {
			return errors.New("--sweep eta: η is DDIM's, add --sampler ddim")
		}
		p.Etas = sw.Values
	default:
		if p.Params == nil {
			p.Params = map[string][]string{}
		}
		p.Params[sw.Param] = sw.Text
	}
	return nil
}

// sweepsMethodParam reports whether the plan sweeps a method parameter
// (not the steps or η).
func (p *Plan) sweepsMethodParam() bool {
	return p.Sweep != nil && p.Sweep.Param != SweepSteps && p.Sweep.Param != SweepEta
}

// DefaultMethods fills in Methods, when none are listed, for the problem.
func (p *Plan) DefaultMethods(prob *run.Problem) error {
	if len(p.Methods) > 0 {
		return nil
	}
	for _, m := range method.Available(prob.Offer) {
		if m.Baseline || p.sweepsMethodParam() && m.Param(p.Sweep.Param) == nil {
			continue
		}
		p.Methods = append(p.Methods, m.Name)
	}
	if len(p.Methods) == 0 {
		return fmt.Errorf("--sweep %s: no method that serves the problem has it", p.Sweep.Param)
	}
	return nil
}

// Entries expands the lists into entries for the problem, checking each
// as `tweedie run` would (run.Settings.Check, and the method serves the
// problem with its values).
func (p *Plan) Entries(prior denoiser.Prior, prob *run.Problem) ([]PlanEntry, error) {
	var es []PlanEntry
	for _, name := range p.Methods {
		m, err := method.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		if p.sweepsMethodParam() && m.Param(p.Sweep.Param) == nil {
			return nil, fmt.Errorf("--sweep %s: %s has no parameter %s", p.Sweep.Param, m.Label, p.Sweep.Param)
		}
		combos, swept := p.combinations(m)
		for _, params := range combos {
			for _, steps := range p.Steps {
				for _, eta := range p.Etas {
					s := p.Base
					s.Method, s.Params, s.Steps, s.Eta = m.Name, params, steps, eta
					if s, err = s.Check(prior); err != nil {
						return nil, err
					}
					v, err := m.Resolve(s.Params, prob.Op)
					if err != nil {
						return nil, err
					}
					if err := m.Serves(prob.Offer, v); err != nil {
						return nil, err
					}
					label := fmt.Sprintf("%s S=%d", m.Describe(v, swept...), s.Steps)
					if len(p.Etas) > 1 {
						label += fmt.Sprintf(" η=%g", s.Eta)
					}
					e := PlanEntry{Entry: Entry{Label: label, Settings: s, Values: v}}
					e.Row, e.Col = p.place(m, e)
					es = append(es, e)
				}
			}
		}
	}
	return es, nil
}

// combinations returns every combination of the values listed for the
// method's parameters and the names of the parameters listed with more
// than one value.
func (p *Plan) combinations(m *method.Method) (combos []method.Values, swept []string) {
	combos = []method.Values{{}}
	for _, prm := range m.Params {
		vals := p.Params[prm.Name]
		if len(vals) == 0 {
			continue
		}
		if len(vals) > 1 {
			swept = append(swept, prm.Name)
		}
		var next []method.Values
		for _, c := range combos {
			for _, v := range vals {
				next = append(next, c.With(prm.Name, v))
			}
		}
		combos = next
	}
	return combos, swept
}

// place returns an entry's row and column in the sweep's heat map: the row
// names the method and the values of the other listed settings.
func (p *Plan) place(m *method.Method, e PlanEntry) (string, int) {
	sw := p.Sweep
	if sw == nil {
		return "", 0
	}
	row, col := m.Label, -1
	for _, prm := range m.Params {
		if prm.Name != sw.Param && len(p.Params[prm.Name]) > 1 {
			row += fmt.Sprintf(" %s=%s", prm.Symbol, e.Values[prm.Name])
		}
	}
	s := e.Settings
	if len(p.Steps) > 1 && sw.Param != SweepSteps {
		row += fmt.Sprintf(" S=%d", s.Steps)
	}
	if len(p.Etas) > 1 && sw.Param != SweepEta {
		row += fmt.Sprintf(" η=%g", s.Eta)
	}
	var v string
	switch sw.Param {
	case SweepSteps:
		v = strconv.Itoa(s.Steps)
	case SweepEta:
		v = strconv.FormatFloat(s.Eta, 'g', 4, 64)
	default:
		v = e.Values[sw.Param]
	}
	for i, t := range sw.Text {
		if x, err := strconv.ParseFloat(v, 64); err == nil && x == sw.Values[i] || t == v {
			col = i
		}
	}
	return row, col
}

// PlanWithCounterfactuals adds each guidance method's counterfactual runs
// after it (WithCounterfactuals), in its place.
func PlanWithCounterfactuals(es []PlanEntry) []PlanEntry {
	var out []PlanEntry
	for _, e := range es {
		for _, x := range WithCounterfactuals([]Entry{e.Entry}) {
			out = append(out, PlanEntry{Entry: x, Row: e.Row, Col: e.Col})
		}
	}
	return out
}
