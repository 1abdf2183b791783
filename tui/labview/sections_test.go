package labview

import (
	"math"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/lab"
)

// timedReport is report() with time-resolved figures and calibration rows.
func timedReport() *lab.Report {
	rep := report(0.25)
	for i := range rep.Results {
		r := &rep.Results[i]
		for j := 0; j < 10; j++ {
			r.Time = append(r.Time, lab.TimePoint{Step: j, T: 1000 - 100*j, TV: 0.01 * float64(1+i*j),
				TVExactCI: lab.Interval{Lo: 0, Hi: 0.02}})
		}
		r.Calibration = []lab.ComponentCalibration{{Component: 0, Weight: 0.7, Frequency: 0.25, Samples: 1,
			MeanErrorRel: 0.5, TraceRatio: math.NaN(), VarA: 0.01, VarAExact: 0.34, Coverage: 0.6}}
	}
	return rep
}

func press(m Model, k string) (Model, tea.Cmd) {
	return m.Update(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
}

// TestSectionsCycle: t switches the middle of the view to the mode TV
// chart, then to the calibration table, then back; every view fits.
func TestSectionsCycle(t *testing.T) {
	m := New(Config{Seeds: 4})
	m.SetSize(110, 30)
	m.Start(testProblem())
	m, _ = m.Update(ReportMsg{ID: m.id, Report: timedReport(), Done: 12, Total: 12, Finished: true})
	checkFits := func(v string) {
		lines := strings.Split(v, "\n")
		if len(lines) != 30 {
			t.Errorf("%d lines", len(lines))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > 110 {
				t.Errorf("line wider than 110: %q", ansi.Strip(l))
			}
		}
	}
	v := ansi.Strip(m.View())
	checkFits(m.View())
	if !strings.Contains(v, "exact π'") {
		t.Fatalf("components not shown first:\n%s", v)
	}
	m, _ = press(m, "t")
	v = ansi.Strip(m.View())
	checkFits(m.View())
	if !strings.Contains(v, "mode TV over time") || !strings.Contains(v, "exact sampler (95%)") || !strings.ContainsAny(v, "⠁⠂⠄⡀⠈⠐⠠⢀") {
		t.Errorf("no time chart:\n%s", v)
	}
	m, _ = press(m, "t")
	v = ansi.Strip(m.View())
	checkFits(m.View())
	if !strings.Contains(v, "trĈ/trΣ'") || !strings.Contains(v, "0.34") || !strings.Contains(v, "0.01") {
		t.Errorf("no calibration table:\n%s", v)
	}
	m, _ = press(m, "t")
	if v = ansi.Strip(m.View()); !strings.Contains(v, "exact π'") {
		t.Errorf("t did not come back to the components:\n%s", v)
	}
	m.Stop()
}

// TestSweepMode: w starts a batch of the explorer's method over its
// parameter's ladder and shows the heat strip; w again goes back.
func TestSweepMode(t *testing.T) {
	p := testProblem()
	p.Settings.Method = "dps"
	es, err := SweepEntries(p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != maxSweepValues || es[0].Values["zeta"] != "0.01" || es[len(es)-1].Values["zeta"] != "10" {
		t.Fatalf("sweep entries %+v", es)
	}
	m := New(Config{Seeds: 4})
	m.SetSize(140, 30)
	m.Start(p)
	m, cmd := press(m, "w")
	if cmd == nil || !m.sweep || len(m.entries) != maxSweepValues {
		t.Fatalf("w did not start a sweep: %d entries", len(m.entries))
	}
	rep := report(0.25)
	rep.Results = nil
	for i, e := range m.entries {
		rep.Results = append(rep.Results, lab.Result{Label: e.Label, Runs: 4, SW: float64(i + 1), TV: 0.1, Coverage: 0.8,
			Frequencies: []float64{1, 0, 0}, SWCI: lab.Interval{Lo: float64(i), Hi: float64(i + 2)}})
	}
	m, _ = m.Update(ReportMsg{ID: m.id, Report: rep, Done: 36, Total: 36, Finished: true})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "sweep of dps over ζ") || !strings.Contains(lineOf(v, "ζ"), "0.01") || !strings.Contains(lineOf(v, "SW 90%"), "0–2") {
		t.Errorf("no sweep map:\n%s", v)
	}
	m, _ = press(m, "w")
	if m.sweep || len(m.entries) == maxSweepValues {
		t.Errorf("w did not go back to the methods (%d entries)", len(m.entries))
	}
	m.Stop()
	p.Settings.Method = "oracle"
	if _, err := SweepEntries(p, 10); err == nil {
		t.Error("a sweep of the oracle (no parameter) accepted")
	}
}

// Every cell of the calibration table stands apart from its neighbours:
// a missing trace ratio ("–") beside a variance as wide as its column
// ("0.000985") does not read as a negative variance.
func TestCalibrationCellsApart(t *testing.T) {
	m := New(Config{Seeds: 4})
	m.SetSize(110, 30)
	m.Start(testProblem())
	rep := timedReport()
	for i := range rep.Results {
		c := &rep.Results[i].Calibration[0]
		c.TraceRatio, c.VarA, c.VarAExact = math.NaN(), 0.0009851148887769314, math.NaN()
	}
	m, _ = m.Update(ReportMsg{ID: m.id, Report: rep, Done: 12, Total: 12, Finished: true})
	m, _ = press(m, "t")
	m, _ = press(m, "t")
	v := ansi.Strip(m.View())
	rows := 0
	for _, l := range strings.Split(v, "\n") {
		if !strings.Contains(l, "0.000985") {
			continue
		}
		rows++
		if f := strings.Fields(l); !slices.Contains(f, "0.000985") || slices.ContainsFunc(f, func(s string) bool { return strings.HasPrefix(s, "–0") }) {
			t.Errorf("cells run together: %q", l)
		}
	}
	if rows == 0 {
		t.Fatalf("no calibration row:\n%s", v)
	}
	m.Stop()
}
