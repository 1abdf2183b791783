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
	for _, want := range []string{"ΠG r=auto S=50", "DPS ζ=0.1 S=50", "DPS ζ=1 S=50", "oracle S=50", "exact (floor)", "exact posterior weights"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if got := listDir(t, out); !slices.Equal(got, []string{"lab.csv", "lab.json"}) {
		t.Errorf("files %v", got)
	}
	raw, err := os.ReadFile(filepath.Join(out, "lab.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		SWFloor float64   `json:"sw_floor"`
		Weights []float64 `json:"posterior_weights"`
		Results []struct {
			Label       string
			Runs        int
			TV          *float64
			SW          *float64 `json:"sliced_wasserstein"`
			Coverage    *float64
			Frequencies []float64
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || len(rep.Weights) != 25 || !(rep.SWFloor > 0) {
		t.Fatalf("lab.json: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Runs != 8 || r.TV == nil || r.SW == nil || r.Coverage == nil || len(r.Frequencies) != 25 {
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
