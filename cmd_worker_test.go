//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// worker of 28×28×1 images in mode, writing its process id to pidFile.
func fakeSpec(t *testing.T, opts, mode, pidFile string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("remote:%s%s=%s %s=28x28x1 %s=%s exec %s -test.run=^$", opts,
		workertest.Env, mode, workertest.EnvShape, workertest.EnvPIDFile, pidFile, exe)
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
