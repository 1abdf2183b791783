//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tweedie/core/worker/workertest"
	"tweedie/internal/cli"
)

// startCommand runs tweedie with args in a child process.
func startCommand(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestCommandHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TWEEDIE_COMMAND_HELPER=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &stderr
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// tmpEntries lists the .tweedie-tmp-* entries of dir.
func tmpEntries(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".tweedie-tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// exitStatus waits for cmd and returns its exit status.
func exitStatus(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode()
	}
	t.Fatalf("the command did not exit by itself: %v", err)
	return -1
}

// TestStopSignals: SIGTERM, SIGHUP and SIGINT sent to `tweedie run` and
// `tweedie lab` in the middle of their runs (a served model's, and the
// exact lab's) stop them as Ctrl-C does: status 128 + N, one line on
// stderr, the output directory's temporary directory removed and nothing
// written, and no worker process left.
func TestStopSignals(t *testing.T) {
	for _, c := range []struct {
		name string
		args func(spec string) []string
	}{
		{"run", func(spec string) []string { return []string{"run", "--prior", spec, "--steps", "50"} }},
		{"lab", func(spec string) []string {
			return []string{"lab", "--prior", spec, "--methods", "dps", "--steps", "50", "--seeds", "4"}
		}},
		{"lab-exact", func(string) []string {
			return []string{"lab", "--methods", "dps,pig", "--steps", "1000", "--seeds", "64", "--time-points", "0"}
		}},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
			t.Run(fmt.Sprintf("%s/%s", c.name, signalNames[sig]), func(t *testing.T) {
				if c.name == "lab-exact" && sig != syscall.SIGTERM && testing.Short() {
					t.Skip("the exact lab with SIGTERM only, under -short")
				}
				dir := t.TempDir()
				pidFile := filepath.Join(dir, "pid")
				out := filepath.Join(dir, "out")
				spec := fakeSpec(t, "", workertest.Slow, pidFile)
				cmd, stderr := startCommand(t, append(c.args(spec), "--out", out)...)
				waitFor(t, "the temporary output directory", func() bool { return len(tmpEntries(t, dir)) > 0 })
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				if got, want := exitStatus(t, cmd), 128+int(sig); got != want {
					t.Errorf("exit status %d, want %d; stderr %q", got, want, stderr)
				}
				msg := strings.TrimSpace(stderr.String())
				msg = msg[strings.LastIndex(msg, "\n")+1:]
				if want := "nothing written"; !strings.Contains(msg, want) || !strings.HasPrefix(msg, "tweedie ") {
					t.Errorf("last line of stderr %q, want tweedie …: … %s", msg, want)
				}
				if left := tmpEntries(t, dir); len(left) > 0 {
					t.Errorf("left behind: %v", left)
				}
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("--out %s written: %v", out, err)
				}
				noProcessLeft(t, pidFile)
			})
		}
	}
}

// TestStopSignalDuringHandshake: SIGTERM while the worker has not yet
// answered the handshake ends the command at once, with the worker.
func TestStopSignalDuringHandshake(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	cmd, stderr := startCommand(t, "run", "--prior", fakeSpec(t, "", workertest.HangHello, pidFile))
	waitFor(t, "the worker", func() bool { _, err := os.Stat(pidFile); return err == nil })
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := exitStatus(t, cmd); got != 143 {
		t.Errorf("exit status %d, want 143; stderr %q", got, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	noProcessLeft(t, pidFile)
}

// TestSetsidGrandchildEndsWithTweedie: a process the worker started in a
// session of its own ends with tweedie on each of its exit paths: a run
// that completes, one whose worker dies (exit 1), SIGINT and SIGTERM.
func TestSetsidGrandchildEndsWithTweedie(t *testing.T) {
	for _, c := range []struct {
		name, mode string
		sig        syscall.Signal
		status     int
	}{
		{"complete", workertest.OK, 0, cli.ExitOK},
		{"worker died", workertest.ExitAt, 0, cli.ExitFailure},
		{"SIGINT", workertest.Slow, syscall.SIGINT, 130},
		{"SIGTERM", workertest.Slow, syscall.SIGTERM, 143},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile, orphanFile := filepath.Join(dir, "pid"), filepath.Join(dir, "orphan")
			spec := fakeSpec(t, "", c.mode, pidFile, workertest.EnvOrphanFile+"="+orphanFile, workertest.EnvExitAt+"=4")
			cmd, stderr := startCommand(t, "run", "--prior", spec, "--steps", "10")
			var orphan int
			waitFor(t, "the worker's grandchild", func() bool {
				b, err := os.ReadFile(orphanFile)
				orphan, _ = strconv.Atoi(string(b))
				return err == nil && orphan > 0
			})
			if c.sig != 0 {
				if err := cmd.Process.Signal(c.sig); err != nil {
					t.Fatal(err)
				}
			}
			if got := exitStatus(t, cmd); got != c.status {
				t.Errorf("exit status %d, want %d; stderr %q", got, c.status, stderr)
			}
			noProcessLeft(t, pidFile)
			deadline := time.Now().Add(3 * time.Second)
			for syscall.Kill(orphan, 0) == nil {
				if time.Now().After(deadline) {
					syscall.Kill(orphan, syscall.SIGKILL)
					t.Fatalf("the worker's grandchild %d (in a session of its own) outlived tweedie", orphan)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
