package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"tweedie/core/guidance"
	"tweedie/core/img"
	"tweedie/core/sampler"
)

var shape28 = img.Shape{H: 28, W: 28, C: 1}

func parse(t *testing.T, args ...string) (problem, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pf := addProblemFlags(fs)
	if err := fs.Parse(args); err != nil {
		return problem{}, err
	}
	return pf.settings(shape28, 100)
}

func TestProblemFlagsDefaults(t *testing.T) {
	p, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Settings
	if s.Op != "inpaint-box:size=14" || s.Sigma != 0.05 || s.Guidance.Method != guidance.PiG ||
		!s.Guidance.RAuto || s.Guidance.Zeta != 0.5 || s.Steps != 1000 || p.Image != 0 {
		t.Errorf("defaults: %+v", p)
	}
}

func TestProblemFlagsValues(t *testing.T) {
	p, err := parse(t, "--image", "7", "--op", "sr:factor=4", "--sigma", "0.1", "--method", "dps",
		"--r", "0.3", "--zeta", "2", "--weight", "0.5", "--sampler", "ddim", "--steps", "100", "--eta", "0.5", "--seed", "9")
	if err != nil {
		t.Fatal(err)
	}
	s := p.Settings
	g := s.Guidance
	if p.Image != 7 || s.Op != "sr:factor=4" || s.Sigma != 0.1 || g.Method != guidance.DPS || g.RAuto || g.R != 0.3 ||
		g.Zeta != 2 || g.Weight != 0.5 || s.Sampler != sampler.DDIM || s.Steps != 100 || s.Eta != 0.5 || s.Seed != 9 {
		t.Errorf("got %+v", p)
	}
	p, err = parse(t, "--op", "phase")
	if err != nil || p.Settings.Guidance.Method != guidance.DPS || p.Settings.Guidance.Zeta != 1 {
		t.Errorf("phase without --method: %+v, %v (want DPS, ζ = 1)", p.Settings.Guidance, err)
	}
	p, err = parse(t, "--image", "some.png")
	if err != nil || p.ImagePath != "some.png" {
		t.Errorf("--image FILE: %+v %v", p, err)
	}
}

func TestProblemFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--sigma", "-1"}, {"--sigma", "NaN"}, {"--steps", "0"}, {"--steps", "1001"},
		{"--op", "nope"}, {"--op", "inpaint-box:size=x"}, {"--method", "magic"}, {"--r", "-2"},
		{"--r", "soon"}, {"--zeta", "-1"}, {"--sampler", "euler"}, {"--eta", "2"}, {"--image", "100"},
		{"--image", "-1"}, {"--weight", "Inf"},
	} {
		if _, err := parse(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: message spans lines: %q", args, err)
		}
	}
}

// TestVariantFlags: ΠG's weighting and DPS's form can be chosen.
func TestVariantFlags(t *testing.T) {
	p, err := parse(t, "--weighting", "pigdm", "--method", "pig")
	if err != nil || p.Settings.Guidance.Weighting != guidance.PiGDM {
		t.Errorf("--weighting pigdm: %v, %v", p.Settings.Guidance.Weighting, err)
	}
	p, err = parse(t, "--method", "dps", "--dps-form", "likelihood")
	if g := p.Settings.Guidance; err != nil || g.DPSForm != guidance.DPSLikelihood || g.Zeta != 1 {
		t.Errorf("--dps-form likelihood: %+v, %v", g, err)
	}
	p, err = parse(t, "--method", "dps", "--dps-form", "likelihood", "--zeta", "0.2")
	if err != nil || p.Settings.Guidance.Zeta != 0.2 {
		t.Errorf("--zeta with likelihood form: %v, %v", p.Settings.Guidance.Zeta, err)
	}
	for _, bad := range [][]string{{"--weighting", "song"}, {"--dps-form", "square"}, {"--zeta", "x"}, {"--zeta", "NaN"},
		{"--method", "dps", "--dps-form", "likelihood", "--sigma", "0"}} {
		if _, err := parse(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
