package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestCompareFormulaNonlinear: comparing on a nonlinear operator shows
// ΠG's pseudo-inverse rule, not the linear one.
func TestCompareFormulaNonlinear(t *testing.T) {
	o := testOptions()
	o.Settings.Op = "quantize:levels=5"
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	drain(m, m.Init())
	drain(m, press(m, "c"))
	f1, _ := m.formulaLines()
	if !strings.Contains(f1, "A†") || strings.Contains(f1, "AAᵀ") {
		t.Errorf("ΠG on %s in compare mode: %q", m.prob.Op.Name(), ansi.Strip(f1))
	}
}
