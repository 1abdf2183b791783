//go:build linux

package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"tweedie/internal/cli"

	"tweedie/assets"
	"tweedie/core/worker/workertest"
)

func TestMain(m *testing.M) {
	workertest.Main() // the fake model worker, when this binary is run as one
	os.Exit(m.Run())
}

// fakeSpec is a --prior remote: spec running this test binary as a fake
// worker of 28×28×1 images in mode, writing its process id to pidFile,
// with the environment assignments env ("NAME=value") besides.
func fakeSpec(t *testing.T, opts, mode, pidFile string, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Join(append([]string{workertest.Env + "=" + mode, workertest.EnvShape + "=28x28x1",
		workertest.EnvPIDFile + "=" + pidFile}, env...), " ")
	return fmt.Sprintf("remote:%s%s exec %s -test.run=^$", opts, vars, exe)
}

// noProcessLeft checks that the worker's process group is gone.
func noProcessLeft(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return // never started
	}
	pid, _ := strconv.Atoi(string(b))
	deadline := time.Now().Add(3 * time.Second)
	for {
		if err := syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's process group %d outlived tweedie", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunRemoteFaults: a worker that fails gives one line naming it and
// its last stderr, with exit status 2 when it fails before the run and 1
// when during it, and no process left either way.
func TestRunRemoteFaults(t *testing.T) {
	for _, c := range []struct {
		mode, opts string
		status     int
		want       []string
	}{
		{workertest.OK, "", cli.ExitOK, nil},
		{workertest.Exit, "", cli.ExitUsage, []string{"the worker exited (exit status 3)", "model.pt not found"}},
		{workertest.HangHello, "start=500ms:", cli.ExitUsage, []string{"the worker gave no handshake within 500ms"}},
		{workertest.Garbage, "", cli.ExitUsage, []string{"the worker broke the protocol", "something else to stdout"}},
		{workertest.ExitLater, "", cli.ExitFailure, []string{"step 1 of 10", "exit status 1", "CUDA out of memory"}},
		{workertest.SSHLost, "", cli.ExitFailure, []string{"exit status 255", "Broken pipe"}},
		{workertest.Hang, "timeout=500ms:", cli.ExitFailure, []string{"gave no answer to linearize (1 rows) within 500ms"}},
		{workertest.Shape, "", cli.ExitFailure, []string{"answered linearize of 1 rows", "shape [2 784]"}},
		{workertest.NaN, "", cli.ExitFailure, []string{"the worker returned NaN"}},
		{workertest.LeadingOne, "", cli.ExitUsage, []string{"ᾱ_1 = 1", "leading ᾱ_0 = 1"}},
		{workertest.NaNTable, "", cli.ExitUsage, []string{"header field alpha_bars[17] is NaN"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			spec := fakeSpec(t, c.opts, c.mode, pidFile)
			status, _, stderr := runMain(t, "run", "--prior", spec, "--steps", "10")
			if status != c.status {
				t.Errorf("exit status %d, want %d; stderr %q", status, c.status, stderr)
			}
			if c.status != cli.ExitOK {
				if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
					t.Errorf("stderr of %d lines: %q", n+1, stderr)
				}
				if !strings.Contains(stderr, "remote") || !strings.Contains(stderr, "exec ") {
					t.Errorf("stderr %q does not name the worker's command", stderr)
				}
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			noProcessLeft(t, pidFile)
		})
	}
	t.Run("missing", func(t *testing.T) {
		status, _, stderr := runMain(t, "run", "--prior", "remote:/nonexistent/worker --model x", "--steps", "10")
		if status != cli.ExitUsage || !strings.Contains(stderr, "/nonexistent/worker") || !strings.Contains(stderr, "exit status 127") {
			t.Errorf("status %d, stderr %q", status, stderr)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		status, _, stderr := runMain(t, "run", "--prior", "remote:timeout=never:python3 w.py")
		if status != cli.ExitUsage || !strings.Contains(stderr, "timeout") {
			t.Errorf("status %d, stderr %q", status, stderr)
		}
	})
}

// TestLabOverWorkers: the lab runs on a served model (the Go fake) without
// the exact posterior, reporting PSNR, residual, spread and NFE; over one
// worker process and over three (remote:workers=3) the report is the same,
// and no worker is left.
func TestLabOverWorkers(t *testing.T) {
	reports := map[int]map[string]any{}
	for _, n := range []int{1, 3} {
		pidFile := filepath.Join(t.TempDir(), "pid")
		spec := fakeSpec(t, fmt.Sprintf("workers=%d:", n), workertest.OK, pidFile)
		status, stdout, stderr := runMain(t, "lab", "--prior", spec, "--methods", "dps,pig", "--steps", "10",
			"--seeds", "4", "--workers", "2", "--json")
		if status != cli.ExitOK {
			t.Fatalf("%d workers: status %d: %s", n, status, stderr)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		delete(rep, "prior") // names the number of workers
		reports[n] = rep
		noProcessLeft(t, pidFile)
	}
	a, _ := json.Marshal(reports[1])
	b, _ := json.Marshal(reports[3])
	if string(a) != string(b) {
		t.Errorf("1 worker:  %s\n3 workers: %s", a, b)
	}
	res, _ := reports[1]["results"].([]any)
	if len(res) != 2 {
		t.Fatalf("results: %s", a)
	}
	for _, r := range res {
		m := r.(map[string]any)
		for _, k := range []string{"mean_psnr", "mean_residual", "pixel_spread", "nfe"} {
			if v, ok := m[k].(float64); !ok || !(v > 0) {
				t.Errorf("%s: %s = %v", m["label"], k, m[k])
			}
		}
	}
}

func TestWorkerCommand(t *testing.T) {
	status, stdout, _ := runMain(t, "worker")
	if status != cli.ExitOK || stdout != assets.WorkerPy {
		t.Fatalf("tweedie worker: status %d, %d bytes", status, len(stdout))
	}
	f := filepath.Join(t.TempDir(), "w.py")
	if status, _, stderr := runMain(t, "worker", f); status != cli.ExitOK {
		t.Fatalf("tweedie worker FILE: status %d: %s", status, stderr)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != assets.WorkerPy {
		t.Fatalf("written file: %v", err)
	}
}

// TestRunWorkerLostWritesSteps: a worker lost part-way through a run
// (the fake exits as killed at its 1745th request: step 873 of 1000 of
// DPS, which makes two a step) leaves the steps made before it written — summary.json marked with failed_at and the cause,
// steps.csv with their rows, the images, the dump without "final" — and
// exit status 1 with one line naming the cause and the step.
func TestRunWorkerLostWritesSteps(t *testing.T) {
	dir := t.TempDir()
	pidFile, out, dump := filepath.Join(dir, "pid"), filepath.Join(dir, "out"), filepath.Join(dir, "dump.npz")
	spec := fakeSpec(t, "", workertest.ExitAt, pidFile, workertest.EnvExitAt+"=1744")
	status, stdout, stderr := runMain(t, "run", "--prior", spec, "--method", "dps", "--steps", "1000", "--out", out, "--dump", dump)
	if status != cli.ExitFailure {
		t.Fatalf("exit status %d, want %d; stderr %q", status, cli.ExitFailure, stderr)
	}
	var sum struct {
		Steps     int     `json:"steps"`
		StepsDone int     `json:"steps_done"`
		FailedAt  *int    `json:"failed_at"`
		Failure   string  `json:"failure"`
		Diverged  *int    `json:"diverged_at"`
		PSNR      float64 `json:"psnr"`
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 1000 || sum.StepsDone != 872 || sum.FailedAt == nil || *sum.FailedAt != 872 || sum.Diverged != nil {
		t.Errorf("summary: %s", b)
	}
	if !strings.HasPrefix(sum.Failure, "step 873 of 1000") || !strings.Contains(sum.Failure, "the worker exited (exit status 137)") {
		t.Errorf("failure %q", sum.Failure)
	}
	csv, err := os.ReadFile(filepath.Join(out, "steps.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(csv), "\n"); n != 1+872 {
		t.Errorf("steps.csv has %d lines, want a header and 872 steps", n)
	}
	for _, f := range []string{"final.png", "x0hat.png", "trajectory.gif", "gradnorm.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	zr, err := zip.OpenReader(dump)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var keys []string
	for _, f := range zr.File {
		keys = append(keys, f.Name)
	}
	if !slices.Contains(keys, "x_t.npy") || slices.Contains(keys, "final.npy") {
		t.Errorf("dump of an incomplete run holds %v", keys)
	}
	if !strings.Contains(stdout, "incomplete (failed_at = 872, counting from 0): step 873 of 1000") {
		t.Errorf("stdout %q", stdout)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "incomplete") || !strings.Contains(stderr, "failed_at = 872") {
		t.Errorf("stderr %q", stderr)
	}
	noProcessLeft(t, pidFile)
}

// TestLabCountsFailedRuns: one NaN from the worker fails one seed's run;
// the lab goes on and reports it in its "failed" column — JSON, CSV and
// table — with the cause, and exits 1 with one line saying so.
func TestLabCountsFailedRuns(t *testing.T) {
	dir := t.TempDir()
	pidFile, out := filepath.Join(dir, "pid"), filepath.Join(dir, "out")
	spec := fakeSpec(t, "", workertest.NaNAt, pidFile, workertest.EnvExitAt+"=25")
	args := []string{"lab", "--prior", spec, "--methods", "dps", "--steps", "10", "--seeds", "6", "--workers", "1"}
	status, stdout, stderr := runMain(t, append(args, "--json", "--out", out)...)
	if status != cli.ExitFailure {
		t.Fatalf("exit status %d, want %d; stderr %q", status, cli.ExitFailure, stderr)
	}
	if !strings.Contains(stderr, "1 of 6 runs failed") || !strings.Contains(stderr, "seed 2: step 3 of 10") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("stderr %q", stderr)
	}
	var rep struct {
		Results []struct {
			Runs    int    `json:"runs"`
			Failed  int    `json:"failed"`
			Failure string `json:"failure"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.Runs != 5 || r.Failed != 1 || !strings.Contains(r.Failure, "the worker returned NaN") {
		t.Errorf("result %+v", r)
	}
	csv, err := os.ReadFile(filepath.Join(out, "lab.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(csv), "\n")
	head, row := strings.Split(lines[0], ","), strings.Split(lines[1], ",")
	if i := slices.Index(head, "failed"); i < 0 || row[i] != "1" || row[slices.Index(head, "runs")] != "5" {
		t.Errorf("lab.csv:\n%s", csv)
	}
	// The table.
	status, stdout, _ = runMain(t, args...)
	if status != cli.ExitFailure || !strings.Contains(stdout, "failed") {
		t.Errorf("status %d, table:\n%s", status, stdout)
	}
	noProcessLeft(t, pidFile)
}
