package method

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"tweedie/core/operator"
)

// Kind is the type of a parameter's values.
type Kind int

const (
	// Number is a finite float.
	Number Kind = iota
	// NumberOrAuto is a finite float or "auto" (a rule the method applies).
	NumberOrAuto
	// Choice is one of a list of words.
	Choice
)

// Param is a method's parameter. Parameters of one name are one parameter
// across methods: one flag, one pair of keys, one value in the settings
// (methods may differ in the default).
type Param struct {
	// Name is its flag and its key in Values ("zeta"); Symbol its name in
	// formulas and labels ("ζ").
	Name, Symbol string
	// Help is the flag's help text.
	Help string
	Kind Kind
	// Choices are the words a Choice takes.
	Choices []string
	// NonNegative refuses numbers below 0.
	NonNegative bool
	// Default is its value when not set, from the operator and the values
	// of the parameters before it; nil takes DefaultValue.
	Default      func(op operator.Operator, v Values) string
	DefaultValue string
	// Ladder holds the values the explorer's keys step through, and Down
	// and Up those keys ("z", "Z"); AutoKey sets "auto". Empty: no keys.
	Ladder           []float64
	Down, Up         string
	AutoKey          string
	DownHelp, UpHelp string
	// AutoAt is the value "auto" takes at noise level ᾱ_t (where the keys
	// leave auto, they start from it); nil when it has no one value.
	AutoAt func(alphaBarT float64) float64
	// InLabel shows the value in the method's label in the lab ("DPS ζ=0.5").
	InLabel bool
}

func (p *Param) check() error {
	switch {
	case p.Name == "" || p.Name != strings.ToLower(p.Name) || strings.ContainsAny(p.Name, ", :="):
		return fmt.Errorf("bad parameter name %q", p.Name)
	case p.Kind == Choice && len(p.Choices) == 0:
		return fmt.Errorf("parameter %q: a choice without choices", p.Name)
	case (p.Down == "") != (p.Up == "") || (p.Down != "" && len(p.Ladder) == 0):
		return fmt.Errorf("parameter %q: keys need both Down and Up and a ladder", p.Name)
	case p.Down != "" && (p.Down == p.Up || p.AutoKey == p.Down || p.AutoKey == p.Up):
		return fmt.Errorf("parameter %q: its keys must differ", p.Name)
	case p.AutoKey != "" && p.Kind != NumberOrAuto:
		return fmt.Errorf("parameter %q: an auto key on a parameter without auto", p.Name)
	}
	if p.Default == nil {
		if _, err := p.Parse(p.DefaultValue); err != nil {
			return fmt.Errorf("parameter %q: default: %w", p.Name, err)
		}
	}
	return nil
}

// Keys are the explorer keys the parameter takes: Down, Up and AutoKey,
// those it has.
func (p *Param) Keys() []string {
	var ks []string
	for _, k := range []string{p.Down, p.Up, p.AutoKey} {
		if k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// sameAs reports whether two declarations are of one parameter.
func (p *Param) sameAs(q *Param) bool {
	return p.Symbol == q.Symbol && p.Kind == q.Kind && slices.Equal(p.Choices, q.Choices) &&
		p.NonNegative == q.NonNegative && p.Down == q.Down && p.Up == q.Up && p.AutoKey == q.AutoKey
}

// Parse checks a value and returns it in canonical form: a number as
// strconv formats it, "auto", or a choice in lower case.
func (p *Param) Parse(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch p.Kind {
	case Choice:
		if slices.Contains(p.Choices, s) {
			return s, nil
		}
		return "", fmt.Errorf("%q: want %s", s, strings.Join(p.Choices, ", "))
	case NumberOrAuto:
		if s == "auto" {
			return s, nil
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	want := "a finite number"
	if p.NonNegative {
		want += " ≥ 0"
	}
	if p.Kind == NumberOrAuto {
		want = "auto or " + want
	}
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || (p.NonNegative && x < 0) {
		return "", fmt.Errorf("%q: want %s", s, want)
	}
	return FormatFloat(x), nil
}

// FormatFloat is a number's canonical form in Values.
func FormatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// DefaultFor is the parameter's default for an operator, given the values
// resolved before it.
func (p *Param) DefaultFor(op operator.Operator, v Values) string {
	if p.Default != nil {
		return p.Default(op, v)
	}
	return p.DefaultValue
}

// Values are parameter values by name, in canonical form (Param.Parse).
// Treat a Values as immutable: With returns a changed copy.
type Values map[string]string

// With returns a copy of v with name set to val.
func (v Values) With(name, val string) Values {
	w := maps.Clone(v)
	if w == nil {
		w = Values{}
	}
	w[name] = val
	return w
}

// Without returns a copy of v without name.
func (v Values) Without(name string) Values {
	w := maps.Clone(v)
	delete(w, name)
	return w
}

// Float returns a numeric value, NaN when it is missing or "auto".
func (v Values) Float(name string) float64 {
	x, err := strconv.ParseFloat(v[name], 64)
	if err != nil {
		return math.NaN()
	}
	return x
}

// Auto reports whether a value is "auto".
func (v Values) Auto(name string) bool { return v[name] == "auto" }

// Resolve returns the method's values for an operator: each parameter's
// value from explicit (set by flags or keys, for any method) where given,
// its default otherwise. Explicit values are checked again.
func (m *Method) Resolve(explicit Values, op operator.Operator) (Values, error) {
	v := Values{}
	for i := range m.Params {
		p := &m.Params[i]
		s, set := explicit[p.Name]
		if !set {
			s = p.DefaultFor(op, v)
		}
		val, err := p.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s's %s: %w", m.Label, p.Symbol, err)
		}
		v[p.Name] = val
	}
	return v, nil
}

// Describe is the method's label with the values of its InLabel
// parameters, of its choices away from their default and of those named
// in also: "DPS ζ=0.5", "DPS form=squared ζ=0.25".
func (m *Method) Describe(v Values, also ...string) string {
	var b strings.Builder
	b.WriteString(m.Label)
	for _, p := range m.Params {
		offDefault := p.Kind == Choice && p.Default == nil && v[p.Name] != "" && v[p.Name] != p.DefaultValue
		if p.InLabel || offDefault || slices.Contains(also, p.Name) {
			fmt.Fprintf(&b, " %s=%s", p.Symbol, v[p.Name])
		}
	}
	return b.String()
}

// Params returns every registered parameter once (the first declaration
// of each name, in method order).
func Params() []*Param {
	var ps []*Param
	seen := map[string]bool{}
	for _, m := range All() {
		for i := range m.Params {
			if p := &m.Params[i]; !seen[p.Name] {
				seen[p.Name] = true
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// Having lists the methods that have a parameter of the name.
func Having(name string) []*Method {
	var ms []*Method
	for _, m := range All() {
		if m.Param(name) != nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// LookupParam returns the registered parameter of a name.
func LookupParam(name string) (*Param, error) {
	for _, p := range Params() {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, errors.New("unknown parameter " + strconv.Quote(name))
}
