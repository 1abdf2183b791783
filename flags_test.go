package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"tweedie/core/method"
	"tweedie/core/sampler"
)

// setup parses problem flags and sets the problem up on the MNIST prior,
// as run, posterior and lab do.
func setup(t *testing.T, args ...string) (*problemSetup, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "test"}
	pf := addProblemFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		return nil, err
	}
	return setupProblem(pf)
}

// values resolves the setup's method parameters.
func values(t *testing.T, st *problemSetup) method.Values {
	t.Helper()
	v, err := st.Case.Config.Method.Resolve(st.Case.Config.Params, st.Case.Prob.Op)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestProblemFlagsDefaults(t *testing.T) {
	st, err := setup(t)
	if err != nil {
		t.Fatal(err)
	}
	s, v := st.Settings, values(t, st)
	if s.Op != "inpaint-box:size=14" || s.Sigma != 0.05 || s.Method != "pig" || v["r"] != "auto" ||
		len(s.Params) != 0 || s.Steps != 1000 || st.Image != 0 {
		t.Errorf("defaults: %+v %v", s, v)
	}
}

func TestProblemFlagsValues(t *testing.T) {
	st, err := setup(t, "--image", "7", "--op", "sr:factor=4", "--sigma", "0.1", "--method", "dps",
		"--zeta", "2", "--dps-form", "norm", "--sampler", "ddim", "--steps", "100", "--eta", "0.5", "--seed", "9")
	if err != nil {
		t.Fatal(err)
	}
	s := st.Settings
	want := method.Values{"zeta": "2", "dps-form": "norm"}
	if st.Image != 7 || s.Op != "sr:factor=4" || s.Sigma != 0.1 || s.Method != "dps" || !equalValues(s.Params, want) ||
		s.Sampler != sampler.DDIM || s.Steps != 100 || s.Eta != 0.5 || s.Seed != 9 {
		t.Errorf("got %+v", s)
	}
	if v := values(t, st); v["zeta"] != "2" || v["dps-form"] != "norm" {
		t.Errorf("DPS's values %v", v)
	}
	// Without --method, a method that cannot serve the operator gives way.
	st, err = setup(t, "--op", "phase")
	if err != nil || st.Case.Config.Method.Name != "dps" || values(t, st)["zeta"] != "1" {
		t.Errorf("phase without --method: %v (want DPS, ζ = 1)", err)
	}
	if _, err := setup(t, "--op", "phase", "--method", "pig"); err == nil || !strings.Contains(err.Error(), "pseudo-inverse") {
		t.Errorf("ΠG asked for on phase retrieval: %v", err)
	}
}

func equalValues(a, b method.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestProblemFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--sigma", "-1"}, {"--sigma", "NaN"}, {"--steps", "0"}, {"--steps", "1001"},
		{"--op", "nope"}, {"--op", "inpaint-box:size=x"}, {"--method", "magic"}, {"--r", "-2"},
		{"--r", "soon"}, {"--zeta", "-1"}, {"--sampler", "euler"}, {"--eta", "2"}, {"--image", "100"},
		{"--image", "-1"}, {"--weight", "Inf"}, {"--r", "0", "--sigma", "0"},
	} {
		if _, err := setup(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: message spans lines: %q", args, err)
		}
	}
}

// TestVariantFlags: ΠG's weighting and DPS's form can be chosen.
func TestVariantFlags(t *testing.T) {
	st, err := setup(t, "--weighting", "pigdm", "--method", "pig")
	if err != nil || values(t, st)["weighting"] != "pigdm" {
		t.Errorf("--weighting pigdm: %v", err)
	}
	st, err = setup(t, "--method", "dps", "--dps-form", "likelihood")
	if err != nil || values(t, st)["dps-form"] != "likelihood" || values(t, st)["zeta"] != "1" {
		t.Errorf("--dps-form likelihood: %v", err)
	}
	st, err = setup(t, "--method", "dps", "--dps-form", "likelihood", "--zeta", "0.2")
	if err != nil || values(t, st)["zeta"] != "0.2" {
		t.Errorf("--zeta with likelihood form: %v", err)
	}
	for form, zeta := range map[string]string{"squared": "0.25", "gradnorm": "0.5"} { // inpainting: ζ = 0.5 published
		st, err = setup(t, "--method", "dps", "--dps-form", form)
		if err != nil || values(t, st)["dps-form"] != form || values(t, st)["zeta"] != zeta {
			t.Errorf("--dps-form %s: ζ %q (%v), want %s", form, values(t, st)["zeta"], err, zeta)
		}
	}
	for _, bad := range [][]string{{"--weighting", "song"}, {"--weighting", "alphabar"}, {"--dps-form", "square"},
		{"--zeta", "x"}, {"--zeta", "NaN"}, {"--method", "dps", "--dps-form", "likelihood", "--sigma", "0"}} {
		if _, err := setup(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// parse parses problem flags and checks them for the MNIST prior, without
// loading an image file.
func parse(t *testing.T, args ...string) (problem, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "test"}
	pf := addProblemFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		return problem{}, err
	}
	pd, err := loadPrior("mnist")
	if err != nil {
		t.Fatal(err)
	}
	return pf.settings(pd)
}
