package labview

import (
	"math"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/lab"
	"tweedie/core/method"
	"tweedie/core/run"
)

func testProblem() Problem {
	shape := img.Shape{H: 8, W: 8, C: 1}
	mix := gmm.Random(shape, 3, 2, 7)
	s := run.DefaultSettings()
	s.Op = "inpaint-box:size=4"
	s.Steps = 30
	truth := make([]float64, shape.Len())
	return Problem{Prior: mix, Truth: truth, TruthName: "zeros", Settings: s, LabelTitle: "k"}
}

func report(freq0 float64) *lab.Report {
	res := func(label string, f []float64) lab.Result {
		return lab.Result{Label: label, Runs: 4, Frequencies: f, TV: 0.1, SW: 1, PSNR: 20, Coverage: 0.8, TruthCoverage: 0.9}
	}
	return &lab.Report{
		Weights: []float64{0.7, 0.2, 0.1}, SWFloor: lab.Band{Median: 0.5, Interval: lab.Interval{Lo: 0.25, Hi: 1}}, TVFloor: lab.Band{Median: 0.125}, CoverageFloor: lab.Band{Median: 0.85}, Seeds: 4,
		Results: []lab.Result{
			res("ΠG r=auto", []float64{freq0, 1 - freq0, 0}),
			res("DPS ζ=0.5", []float64{0.25, 0.25, 0.5}),
			res("oracle", []float64{0.75, 0.25, 0}),
		},
	}
}

// barCells counts the block elements of a line.
func barCells(line string) float64 {
	n := 0.0
	for _, r := range line {
		switch {
		case r == '█':
			n++
		case r >= '▉' && r <= '▏':
			n += float64('▏'-r+1) / 8
		}
	}
	return n
}

func lineOf(view, prefix string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(strings.TrimSpace(ansi.Strip(l)), prefix) {
			return l
		}
	}
	return ""
}

func TestReportUpdatesBarsAndStaleIsDropped(t *testing.T) {
	m := New(Config{Seeds: 4})
	m.SetSize(100, 20)
	if cmd := m.Start(testProblem()); cmd == nil {
		t.Fatal("Start returned no command")
	}
	if !m.Running() || !strings.Contains(m.View(), "starting") {
		t.Fatalf("no batch running after Start:\n%s", m.View())
	}
	id := m.id
	m, cmd := m.Update(ReportMsg{ID: id, Report: report(0.25), Done: 3, Total: 12, b: &batch{}})
	if cmd == nil {
		t.Error("a report of a running batch scheduled no next poll")
	}
	v := m.View()
	if !strings.Contains(v, "running 3/12") {
		t.Errorf("no progress:\n%s", v)
	}
	row0 := lineOf(v, "0 ")
	m, _ = m.Update(ReportMsg{ID: id, Report: report(1), Done: 6, Total: 12, b: &batch{}})
	v = m.View()
	row1 := lineOf(v, "0 ")
	if barCells(row1) <= barCells(row0) {
		t.Errorf("ΠG's bar of component 0 did not grow:\n%q\n%q", row0, row1)
	}
	// A report of another batch is dropped.
	m, cmd = m.Update(ReportMsg{ID: id - 1, Report: report(0), Done: 12, Total: 12, Finished: true})
	if cmd != nil || m.View() != v {
		t.Error("a stale report changed the view")
	}
	// So are late reports of a stopped batch.
	m.Stop()
	m, _ = m.Update(ReportMsg{ID: id, Report: report(0), Done: 9, Total: 12})
	if m.Report() != nil || m.Running() {
		t.Error("a stopped batch's report was taken")
	}
}

func TestEntries(t *testing.T) {
	p := testProblem()
	es, err := Entries(p, 20)
	if err != nil {
		t.Fatal(err)
	}
	// Every guidance method that serves the problem, none of the baselines.
	var labels []string
	for _, e := range es {
		m, err := method.Lookup(e.Settings.Method)
		if err != nil || m.Baseline {
			t.Errorf("entry %s: method %q (%v)", e.Label, e.Settings.Method, err)
		}
		labels = append(labels, e.Settings.Method)
	}
	for _, want := range []string{"pig", "dps", "oracle"} {
		if !slices.Contains(labels, want) {
			t.Errorf("entries %v lack %s", labels, want)
		}
	}
	for _, e := range es {
		if e.Settings.Steps != 20 || e.Settings.Op != p.Settings.Op || e.Settings.Sigma != p.Settings.Sigma {
			t.Errorf("%s: %+v", e.Label, e.Settings)
		}
	}
	p.Settings.Sigma = 0
	if _, err := Entries(p, 20); err == nil {
		t.Error("σ = 0 accepted")
	}
}

func TestStepsKeyAndKeep(t *testing.T) {
	m := New(Config{Seeds: 4, FastSteps: 10})
	p := testProblem()
	m.Start(p)
	id := m.id
	if got := m.entries[0].Settings.Steps; got != 10 {
		t.Errorf("fast batch of %d steps, want 10", got)
	}
	if m.Start(p) != nil || m.id != id {
		t.Error("starting the same batch again restarted it")
	}
	m, cmd := m.Update(tea.KeyPressMsg{Code: 'f', Text: "f"})
	if cmd == nil || m.id == id || m.entries[0].Settings.Steps != 30 {
		t.Errorf("f: steps %d, restarted %v", m.entries[0].Settings.Steps, m.id != id)
	}
	m.Stop()
}

func TestBar(t *testing.T) {
	m := New(Config{})
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "    "}, {1, "████"}, {0.5, "██  "}, {0.01, "▏   "}, {0.3, "█▎  "}, {math.NaN(), "    "}} {
		if got := m.bar(c.v, 4); got != c.want {
			t.Errorf("bar(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestFloorRow: the exact sampler's row shows the report's floors under
// TV, SW and cover, not a nominal 0.90.
func TestFloorRow(t *testing.T) {
	m := New(Config{Seeds: 4})
	m.SetSize(100, 20)
	m.Start(testProblem())
	m, _ = m.Update(ReportMsg{ID: m.id, Report: report(0.25), Done: 12, Total: 12, Finished: true})
	m.Stop()
	v := ansi.Strip(m.View())
	head, floor := lineOf(v, "method"), lineOf(v, "exact (floor)")
	if floor == "" {
		t.Fatalf("no floor row:\n%s", v)
	}
	// Each number ends where its column's head does (in cells: the band's
	// dash is one cell, three bytes).
	rf := []rune(floor)
	for _, c := range []struct{ head, want string }{{"TV", "0.125"}, {"SW", "0.500"}, {"SW 90%", "0.25–1"}, {"cover", "0.850"}} {
		end := len([]rune(head[:strings.Index(head, " "+c.head+" ")])) + len([]rune(c.head)) + 1
		if end < len(c.head)+1 || end > len(rf) || !strings.HasSuffix(string(rf[:end]), " "+c.want) {
			t.Errorf("%s column of %q: want %s (head %q)", c.head, floor, c.want, head)
		}
	}
	if strings.Contains(floor, "0.900") {
		t.Errorf("floor row %q shows the nominal coverage", floor)
	}
}
