package method

import (
	"strings"
	"testing"
)

// TestSpectralRefusals: the projection methods refuse nonlinear operators.
func TestSpectralRefusals(t *testing.T) {
	for _, name := range []string{"ddrm", "ddnm", "ddnm+", "mcg"} {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range []string{"phase", "quantize:levels=4"} {
			if err := m.Serves(offerFor(t, spec, 0), nil); err == nil {
				t.Errorf("%s serves %s", name, spec)
			}
			if _, err := newFixture(t, spec).bind(t, name, 0.1, nil); err == nil {
				t.Errorf("%s bound to %s", name, spec)
			}
		}
		for _, spec := range spectralSpecs {
			if err := m.Serves(offerFor(t, spec, 0), nil); err != nil {
				t.Errorf("%s on %s: %v", name, spec, err)
			}
		}
		// Without the capability the refusal names what is missing.
		o := offerFor(t, "sr:factor=2", 0)
		o.Caps &^= Spectral
		if err := m.Serves(o, nil); err == nil || !strings.Contains(err.Error(), "singular value decomposition") {
			t.Errorf("%s without Spectral: %v", name, err)
		}
	}
}

// TestSpectralEtaRange: η and η_b outside [0, 1] are refused at Bind.
func TestSpectralEtaRange(t *testing.T) {
	for _, c := range []struct {
		name string
		v    Values
	}{{"ddrm", Values{"step-eta": "1.5"}}, {"ddrm", Values{"eta-b": "2"}}, {"ddnm", Values{"step-eta": "1.01"}}, {"ddnm+", Values{"step-eta": "3"}}} {
		if _, err := newFixture(t, "sr:factor=2").bind(t, c.name, 0.1, c.v); err == nil || !strings.Contains(err.Error(), "[0, 1]") {
			t.Errorf("%s %v: %v", c.name, c.v, err)
		}
	}
	if _, err := newFixture(t, "sr:factor=2").bind(t, "ddrm", 0.1, Values{"step-eta": "0", "eta-b": "1"}); err != nil {
		t.Error(err)
	}
}
