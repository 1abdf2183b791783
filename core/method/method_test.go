package method

import (
	"fmt"
	"strings"
	"testing"

	"tweedie/core/img"
	"tweedie/core/operator"
)

func offerFor(t *testing.T, spec string, caps Cap) Offer {
	t.Helper()
	op, err := operator.Parse(spec, img.Shape{H: 4, W: 4, C: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := Offer{Op: op.Name(), Caps: caps | VJP | PositiveSigma, NoExact: "no exact prior here"}
	if op.Linear() {
		o.Caps |= Linear | PseudoInverse
		if _, ok := op.(operator.Spectral); ok {
			o.Caps |= Spectral
		}
	} else if _, ok := op.(operator.PseudoInverter); ok {
		o.Caps |= PseudoInverse
	}
	return o
}

func TestServes(t *testing.T) {
	pig, _ := Lookup("pig")
	dps, _ := Lookup("DPS")
	oracle, _ := Lookup("oracle")
	for spec, wantPiG := range map[string]bool{"phase": false, "quantize": true, "blur-gauss:size=3": true, "inpaint-half": true} {
		o := offerFor(t, spec, 0)
		if got := pig.Serves(o, nil) == nil; got != wantPiG {
			t.Errorf("ΠG serves %s: %v, want %v", spec, got, wantPiG)
		}
		if err := dps.Serves(o, nil); err != nil {
			t.Errorf("DPS on %s: %v", spec, err)
		}
		if err := oracle.Serves(o, nil); err == nil || !strings.Contains(err.Error(), "no exact prior here") {
			t.Errorf("oracle without the exact guidance: %v", err)
		}
	}
	err := pig.Serves(offerFor(t, "phase", 0), nil)
	if want := "ΠG cannot serve phase:pad=2: it is nonlinear and has no pseudo-inverse (use DPS)"; err == nil || err.Error() != want {
		t.Errorf("refusal %q, want %q", err, want)
	}
	o := offerFor(t, "identity", 0)
	o.Caps &^= PositiveSigma
	if dps.Serves(o, Values{"dps-form": "likelihood"}) == nil || dps.Serves(o, nil) != nil {
		t.Error("DPS's likelihood form needs σ > 0 and its norm form does not")
	}
	o.Caps &^= VJP
	if err := dps.Serves(o, nil); err == nil || !strings.Contains(err.Error(), "vector–Jacobian") {
		t.Errorf("DPS without a VJP: %v", err)
	}
	var names []string
	for _, m := range Available(o) {
		names = append(names, m.Name)
		if m.Needs(Values{})&(VJP|Exact) != 0 {
			t.Errorf("%s available without VJP or exact", m.Name)
		}
	}
	// Those that need neither: the baseline, the projection methods,
	// DiffPIR and RED-diff (DAPS needs σ > 0 with τ = auto).
	if strings.Join(names, ",") != "ddrm,ddnm,ddnm+,diffpir,reddiff,none" {
		t.Errorf("available without VJP or exact: %v", names)
	}
}

func TestLookupAndParams(t *testing.T) {
	if _, err := Lookup("ddrm-not-yet"); err == nil || !strings.Contains(err.Error(), "pig") {
		t.Errorf("unknown method: %v", err)
	}
	z, err := LookupParam("zeta")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"0.50": "0.5", " 1e-1 ": "0.1", "0": "0"} {
		if got, err := z.Parse(in); err != nil || got != want {
			t.Errorf("ζ %q → %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "NaN", "inf", "auto", "x"} {
		if _, err := z.Parse(in); err == nil {
			t.Errorf("ζ accepted %q", in)
		}
	}
	r, _ := LookupParam("r")
	if got, err := r.Parse("AUTO"); err != nil || got != "auto" {
		t.Errorf("r auto: %q %v", got, err)
	}
	w, _ := LookupParam("weighting")
	if _, err := w.Parse("alphabar"); err == nil {
		t.Error("weighting alphabar accepted: it was a misreading of azula's signal scales")
	}
}

func TestRegisterRefusesConflicts(t *testing.T) {
	mustPanic := func(name, want string, m *Method) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil {
				t.Errorf("%s: registered", name)
				Unregister(m.Name)
				return
			}
			if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
				t.Errorf("%s: panic %q, want it to say %q", name, msg, want)
			}
		}()
		Register(m)
	}
	ok := func(Values) Cap { return 0 }
	bind := func(*Problem, Values) (Guide, error) { return nil, nil }
	formula := func(Values, Frame) [2]string { return [2]string{} }
	valid := func(name string, ps ...Param) *Method {
		return &Method{Name: name, Needs: ok, Bind: bind, Formula: formula, Cost: OneEval, Params: ps}
	}
	mustPanic("duplicate", `"pig" registered twice`, valid("pig"))
	noBind := valid("x1")
	noBind.Bind = nil
	mustPanic("no bind", "are required", noBind)
	noCost := valid("x1")
	noCost.Cost = nil
	mustPanic("no cost", "are required", noCost)
	mustPanic("bad name", "bad name", valid("X Y"))
	mustPanic("ζ redeclared", `parameter "zeta" differs from`,
		valid("x2", Param{Name: "zeta", Symbol: "z", Kind: Number, DefaultValue: "1"}))
	mustPanic("bad default", "default", valid("x3", Param{Name: "x3p", Symbol: "p", Kind: Number, DefaultValue: "many"}))
	keyed := func(name, down, up string) Param {
		return Param{Name: name, Symbol: name, Kind: Number, DefaultValue: "1", Ladder: []float64{1, 2}, Down: down, Up: up}
	}
	zeta, _ := LookupParam("zeta")
	mustPanic("another method's key", `takes the key "`+zeta.Down+`"`, valid("x4", keyed("x4p", zeta.Down, "@")))
	mustPanic("two keys of one method", `both take the key "@"`, valid("x5", keyed("x5p", "@", "#"), keyed("x5q", "$", "@")))
	mustPanic("down is up", "keys must differ", valid("x6", keyed("x6p", "@", "@")))
	// A parameter of another name with keys of its own registers.
	Register(valid("x7", keyed("x7p", "@", "#")))
	Unregister("x7")
}

// TestRegistryKeysAreDistinct: among the registered methods, a key
// belongs to one parameter (the explorer's own keys are checked against
// them in tui's tests).
func TestRegistryKeysAreDistinct(t *testing.T) {
	owner := map[string]string{}
	for _, p := range Params() {
		for _, k := range p.Keys() {
			if prev, ok := owner[k]; ok {
				t.Errorf("key %q is %s's and %s's", k, prev, p.Name)
			}
			owner[k] = p.Name
		}
	}
	if len(owner) == 0 {
		t.Fatal("no parameter keys")
	}
}

func TestDescribe(t *testing.T) {
	pig, _ := Lookup("pig")
	op, _ := operator.Parse("identity", img.Shape{H: 2, W: 2, C: 1})
	v, err := pig.Resolve(Values{"zeta": "3"}, op) // another method's parameter is ignored
	if err != nil {
		t.Fatal(err)
	}
	if got := pig.Describe(v); got != "ΠG r=auto" {
		t.Errorf("label %q", got)
	}
	if got := pig.Describe(v, "weight"); got != "ΠG r=auto w=1" {
		t.Errorf("label %q", got)
	}
	if _, ok := v["zeta"]; ok {
		t.Error("ΠG's values hold ζ")
	}
}
