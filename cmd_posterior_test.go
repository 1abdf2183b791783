package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/imgio"
)

func TestPosteriorWritesFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "post")
	code, stdout, stderr := runMain(t, "posterior", "--image", "42", "--op", "sr:factor=2", "--samples", "4", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The table labels components by digit; digit 4's test image puts most
	// posterior weight on the component labelled 4.
	if !strings.Contains(stdout, "digit") || !strings.Contains(stdout, "PSNR") {
		t.Errorf("stdout %q", stdout)
	}
	want := []string{"mean.png", "measurement.png", "posterior.json", "samples.png", "std.png", "truth.png", "weights.csv"}
	if got := listDir(t, out); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, n := range []string{"mean.png", "std.png", "truth.png", "measurement.png"} {
		checkSize(t, n, decodePNG(t, filepath.Join(out, n)), 224, 224)
	}
	checkSize(t, "samples.png", decodePNG(t, filepath.Join(out, "samples.png")), 4*224+3*imgio.GridGap, 224)

	raw, err := os.ReadFile(filepath.Join(out, "posterior.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Labels           []string
		Weights          []float64
		PriorWeights     []float64 `json:"prior_weights"`
		MeanPSNR         float64   `json:"mean_psnr"`
		StdMax           float64   `json:"std_max"`
		SampleComponents []int     `json:"sample_components"`
		Image            string
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Weights) != 10 || len(sum.Labels) != 10 || len(sum.PriorWeights) != 10 || len(sum.SampleComponents) != 4 {
		t.Fatalf("posterior.json: %+v", sum)
	}
	best := 0
	total := 0.0
	for k, w := range sum.Weights {
		total += w
		if w > sum.Weights[best] {
			best = k
		}
	}
	if math.Abs(total-1) > 1e-9 || !(sum.MeanPSNR > 10) || !(sum.StdMax > 0) {
		t.Errorf("weights sum %v, mean PSNR %v, std max %v", total, sum.MeanPSNR, sum.StdMax)
	}
	digit := truthLabel(t, 42)
	if sum.Labels[best] != digit {
		t.Errorf("most weight on component %d (%s), truth is digit %s", best, sum.Labels[best], digit)
	}

	f, err := os.Open(filepath.Join(out, "weights.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 11 || strings.Join(rows[0], ",") != "component,label,prior_weight,posterior_weight" {
		t.Fatalf("weights.csv: %v %v", rows, err)
	}
}

func truthLabel(t *testing.T, i int) string {
	t.Helper()
	p, err := loadPrior("mnist")
	if err != nil {
		t.Fatal(err)
	}
	return p.Truths[i].Label
}

func TestPosteriorJSONAndErrors(t *testing.T) {
	code, stdout, stderr := runMain(t, "posterior", "--op", "sr:factor=2", "--samples", "0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum["op"] != "sr:factor=2" {
		t.Errorf("json %v: %v", err, sum)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--op", "phase"}, {"--op", "quantize"}, {"--sigma", "0"}, {"--samples", "-1"}, {"--samples", "1001"}, {"--nope"}, {"x"},
		{"--prior", "nope"}, {"--image", "999"},
	} {
		args := append([]string{"posterior", "--out", out}, args...)
		code, _, stderr := runMain(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "tweedie posterior: ") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
		if got := listDir(t, dir); len(got) != 0 {
			t.Fatalf("%v: left %v", args, got)
		}
	}
}

func TestPriorExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prior.npz")
	code, stdout, stderr := runMain(t, "prior", "export", path, "--prior", "mnist")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "K = 10") {
		t.Errorf("stdout %q", stdout)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"prior.npz"}) {
		t.Errorf("dir holds %v", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gmm.ReadNPZ(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := loadPrior("mnist")
	if len(m.Components) != 10 || m.Shape != p.Mixture.Shape || m.Components[3].Mean[400] != p.Mixture.Components[3].Mean[400] {
		t.Errorf("round trip: K = %d, shape %v", len(m.Components), m.Shape)
	}

	code, stdout, _ = runMain(t, "prior", "list")
	if code != 0 || !strings.Contains(stdout, "mnist ") || !strings.Contains(stdout, "gmm25 ") {
		t.Errorf("list: %d %q", code, stdout)
	}
	for _, args := range [][]string{
		{}, {"export"}, {"export", "a.npz", "b.npz"}, {"frobnicate"}, {"export", filepath.Join(dir, "no", "p.npz")},
		{"export", dir}, {"export", filepath.Join(dir, "x.npz"), "--prior", "gmm25:d=7"}, {"list", "x"},
		{"export", filepath.Join(dir, "x.npz"), "--prior", "mnist:x"},
	} {
		code, _, stderr := runMain(t, append([]string{"prior"}, args...)...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("prior %v: exit %d, %q", args, code, stderr)
		}
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"prior.npz"}) {
		t.Errorf("dir holds %v after failures", got)
	}
}
