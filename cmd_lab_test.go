package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLabGMM25(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lab")
	code, stdout, stderr := runMain(t, "lab", "--prior", "gmm25:d=8", "--op", "svd:dy=2", "--sigma", "0.5",
		"--methods", "pig,dps,oracle", "--steps", "50", "--zeta", "0.1,1", "--seeds", "8", "--projections", "16", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ΠG r=auto S=50", "DPS ζ=0.1 S=50", "DPS ζ=1 S=50", "oracle S=50", "exact (floor band", "exact posterior weights",
		"within-mode calibration", "mode TV over time"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if got := listDir(t, out); !slices.Equal(got, []string{"calibration.csv", "lab.csv", "lab.json", "time.csv", "time.png"}) {
		t.Errorf("files %v", got)
	}
	raw, err := os.ReadFile(filepath.Join(out, "lab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		SWFloor struct{ Median, Lo, Hi float64 } `json:"sw_floor"`
		Weights []float64                        `json:"posterior_weights"`
		Results []struct {
			Label       string
			Runs        int
			TV          *float64
			SW          *float64                  `json:"sliced_wasserstein"`
			SWCI        struct{ Lo, Hi *float64 } `json:"sliced_wasserstein_ci"`
			Coverage    *float64
			Frequencies []float64
			Calibration []struct{ Component int }
			Time        []struct{ T int }
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || len(rep.Weights) != 25 || !(rep.SWFloor.Median > 0) || !(rep.SWFloor.Lo <= rep.SWFloor.Median && rep.SWFloor.Median <= rep.SWFloor.Hi) {
		t.Fatalf("lab.json: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Runs != 8 || r.TV == nil || r.SW == nil || r.Coverage == nil || len(r.Frequencies) != 25 ||
			r.SWCI.Lo == nil || r.SWCI.Hi == nil || !(*r.SWCI.Lo <= *r.SW && *r.SW <= *r.SWCI.Hi) || len(r.Calibration) == 0 || len(r.Time) == 0 {
			t.Errorf("result %+v", r)
		}
	}
	f, _ := os.Open(filepath.Join(out, "lab.csv"))
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Errorf("lab.csv: %d rows, %v", len(rows), err)
	}
	// Same seeds, same report.
	code, again, _ := runMain(t, "lab", "--prior", "gmm25:d=8", "--op", "svd:dy=2", "--sigma", "0.5",
		"--methods", "pig,dps,oracle", "--steps", "50", "--zeta", "0.1,1", "--seeds", "8", "--projections", "16", "--workers", "1")
	if code != 0 || again != stdout {
		t.Errorf("a second run with one worker printed\n%s\nthe first\n%s", again, stdout)
	}
}

func TestLabBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lab")
	for _, args := range [][]string{
		{"--seeds", "1"},
		{"--seeds", "1000000000000"},
		{"--projections", "0"},
		{"--projections", "1000000000"},
		{"--workers", "0"},
		{"--workers", "100000000"},
		{"--seeds", "10000", "--steps", "1,2,3,4,5,6"},
		{"--methods", "pig,no-such-method"},
		{"--sigma", "0"},
		{"--sigma", "-1"},
		{"--steps", "0"},
		{"--zeta", "-1", "--methods", "dps"},
		{"--prior", "nope"},
		{"--prior", "mnist:x"},
		{"--image", "x.png"},
		{"--op", "phase", "--methods", "dps"},
		{"--unknown"},
		{"--resamples", "1"},
		{"--floor-draws", "100000"},
		{"--time-points", "-1"},
		{"--sweep", "zeta"},
		{"--sweep", "zeta=0:1:log:3"},
		{"--sweep", "zeta=1:2:lin:1000"},
		{"--sweep", "nope=1:2:lin:3"},
		{"--sweep", "zeta=1:2:lin:3", "--zeta", "1"},
		{"--sweep", "zeta=1:2:lin:3", "--methods", "pig"},
		{"--sweep", "eta=0:1:lin:3"},
		{"--sweep", "zeta=1:2:lin:64", "--seeds", "10000", "--methods", "dps"},
		{"--prior", "gmm25:d=8", "--op", "svd:dy=1", "--sigma", "0.1", "--methods", "dps", "--seeds", "5000", "--time-points", "1000"},
	} {
		code, _, stderr := runMain(t, append([]string{"lab", "--seeds", "2", "--steps", "10", "--out", out}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: left %s behind", args, out)
		}
	}
}

// TestLabCounterfactual: --counterfactual adds each guidance method's three
// counterfactual runs and a split table; lab.json carries the splits.
func TestLabCounterfactual(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lab")
	code, stdout, stderr := runMain(t, "lab", "--prior", "gmm25:d=8", "--op", "svd:dy=2", "--sigma", "0.5",
		"--methods", "dps,oracle", "--steps", "30", "--seeds", "4", "--projections", "8", "--counterfactual", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"counterfactual split", " S=30 · own direction, exact size", "exact direction, own size", "own component along the exact"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "lab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct{ Counterfactual string }
		Splits  []struct {
			Label string
			Rows  []struct{ Counterfactual string } `json:"counterfactuals"`
		} `json:"counterfactual_splits"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 5 || len(rep.Splits) != 1 || len(rep.Splits[0].Rows) != 3 || rep.Splits[0].Rows[1].Counterfactual != "exact-direction" {
		t.Errorf("results %+v, splits %+v", rep.Results, rep.Splits)
	}
}

// TestLabSweep: --sweep runs DPS over a ζ grid and writes the heat map and
// its CSV, one row per grid cell; the table shows the grid.
func TestLabSweep(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runMain(t, "lab", "--prior", "gmm25:d=8", "--op", "svd:dy=1", "--sigma", "0.1",
		"--methods", "dps", "--steps", "20", "--seeds", "4", "--projections", "8", "--resamples", "50", "--floor-draws", "4",
		"--time-points", "0", "--sweep", "zeta=0.1:10:log:3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "sweep of zeta") || !strings.Contains(stdout, "DPS ζ=0.1 S=20") || !strings.Contains(stdout, "DPS ζ=10 S=20") {
		t.Errorf("no sweep in the table:\n%s", stdout)
	}
	if got := listDir(t, out); !slices.Equal(got, []string{"calibration.csv", "lab.csv", "lab.json", "sweep.csv", "sweep.png"}) {
		t.Errorf("files %v", got)
	}
	f, _ := os.Open(filepath.Join(out, "sweep.csv"))
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][1] != "0.1" || rows[3][1] != "10" || rows[2][2] != "DPS" {
		t.Errorf("sweep.csv: %v, %v", rows, err)
	}
}

// TestLabSweepSteps: a sweep of the step count places each method's runs
// in one row, a column per step count.
func TestLabSweepSteps(t *testing.T) {
	code, stdout, stderr := runMain(t, "lab", "--prior", "gmm25:d=8", "--op", "svd:dy=1", "--sigma", "0.1",
		"--methods", "oracle,dps", "--seeds", "3", "--projections", "4", "--resamples", "20", "--floor-draws", "3",
		"--time-points", "3", "--sweep", "steps=5:10:lin:2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Sweep struct {
			Param  string
			Values []float64
			Rows   []string
		}
		Results []struct {
			Steps  int
			Row    string `json:"sweep_row"`
			Column int    `json:"sweep_column"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Sweep.Param != "steps" || !slices.Equal(rep.Sweep.Values, []float64{5, 10}) || !slices.Equal(rep.Sweep.Rows, []string{"oracle", "DPS"}) {
		t.Fatalf("sweep %+v", rep.Sweep)
	}
	for _, r := range rep.Results {
		if want := map[int]int{5: 0, 10: 1}[r.Steps]; r.Column != want {
			t.Errorf("steps %d in column %d (row %s)", r.Steps, r.Column, r.Row)
		}
	}
}
