package lab

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"tweedie/core/method"
)

// A sweep runs the lab over a grid of one parameter's values:
//
//	NAME=LO:HI:SCALE:N
//
// NAME is a registered numeric method parameter (zeta, r, diffpir-lambda,
// …), "steps" (the sampling steps) or "eta" (DDIM's η); SCALE is "log"
// (LO > 0, geometric) or "lin"; N points from LO to HI inclusive, 2 ≤ N ≤
// MaxSweepPoints. Steps are rounded to integers (repeats dropped). The
// spec is parsed strictly: no spaces, no missing or extra fields, finite
// numbers, LO < HI.

// MaxSweepPoints bounds a sweep's grid.
const MaxSweepPoints = 64

// maxSweepSpec bounds the length of a sweep spec.
const maxSweepSpec = 256

// Sweep is a parsed sweep spec.
type Sweep struct {
	// Param is the parameter's name ("zeta", "steps", "eta").
	Param string
	// Log says the grid is geometric.
	Log bool
	// Values are the grid's values, Text their spelling for flags and labels.
	Values []float64
	Text   []string
}

// Sweepable parameters that are settings, not method parameters.
const (
	SweepSteps = "steps"
	SweepEta   = "eta"
)

// ParseSweep parses NAME=LO:HI:SCALE:N.
func ParseSweep(spec string) (Sweep, error) {
	fail := func(format string, a ...any) (Sweep, error) {
		return Sweep{}, fmt.Errorf("--sweep %q: %s", truncate(spec, 40), fmt.Sprintf(format, a...))
	}
	if len(spec) > maxSweepSpec {
		return fail("longer than %d bytes", maxSweepSpec)
	}
	name, grid, ok := strings.Cut(spec, "=")
	if !ok {
		return fail("want NAME=LO:HI:log|lin:N, e.g. zeta=0.01:10:log:9")
	}
	if err := checkSweepName(name); err != nil {
		return fail("%v", err)
	}
	parts := strings.Split(grid, ":")
	if len(parts) != 4 {
		return fail("want LO:HI:log|lin:N after %s=, got %d fields", name, len(parts))
	}
	lo, err1 := strconv.ParseFloat(parts[0], 64)
	hi, err2 := strconv.ParseFloat(parts[1], 64)
	switch {
	case err1 != nil || math.IsNaN(lo) || math.IsInf(lo, 0):
		return fail("LO %q is not a finite number", parts[0])
	case err2 != nil || math.IsNaN(hi) || math.IsInf(hi, 0):
		return fail("HI %q is not a finite number", parts[1])
	case !(lo < hi):
		return fail("LO %g must be below HI %g", lo, hi)
	}
	sw := Sweep{Param: name}
	switch parts[2] {
	case "log":
		sw.Log = true
		if !(lo > 0) {
			return fail("a log grid needs LO > 0, got %g", lo)
		}
	case "lin":
	default:
		return fail("scale %q: want log or lin", parts[2])
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n < 2 || n > MaxSweepPoints {
		return fail("N %q: want an integer from 2 to %d", parts[3], MaxSweepPoints)
	}
	if name != SweepSteps && lo < 0 && nonNegative(name) {
		return fail("%s takes values ≥ 0, LO is %g", name, lo)
	}
	for i := 0; i < n; i++ {
		f := float64(i) / float64(n-1)
		v := lo + f*(hi-lo)
		if sw.Log {
			v = math.Exp(math.Log(lo) + f*(math.Log(hi)-math.Log(lo)))
		}
		if i == n-1 {
			v = hi
		}
		text := strconv.FormatFloat(v, 'g', 4, 64)
		if name == SweepSteps {
			if v = math.Round(v); v < 1 || v > 1e6 {
				return fail("steps %g: want 1 to 1000000", v)
			}
			text = strconv.Itoa(int(v))
		}
		if len(sw.Text) > 0 && sw.Text[len(sw.Text)-1] == text {
			continue // steps rounded to the same count, or values equal at 4 digits
		}
		if name == SweepEta && (v < 0 || v > 1) {
			return fail("DDIM's η %g: want values in [0, 1]", v)
		}
		v, _ = strconv.ParseFloat(text, 64)
		sw.Values = append(sw.Values, v)
		sw.Text = append(sw.Text, text)
	}
	if len(sw.Values) < 2 {
		return fail("the grid has one distinct value")
	}
	return sw, nil
}

// checkSweepName accepts steps, eta and the numeric method parameters.
func checkSweepName(name string) error {
	if name == SweepSteps || name == SweepEta {
		return nil
	}
	var names []string
	for _, p := range method.Params() {
		if p.Kind == method.Choice {
			if p.Name == name {
				return fmt.Errorf("%s takes words, not numbers: give them as a list (--%s a,b)", name, name)
			}
			continue
		}
		if p.Name == name {
			return nil
		}
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return fmt.Errorf("unknown parameter %q: want steps, eta or one of %s", truncate(name, 24), strings.Join(names, ", "))
}

func nonNegative(name string) bool {
	for _, p := range method.Params() {
		if p.Name == name {
			return p.NonNegative
		}
	}
	return name == SweepEta
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
