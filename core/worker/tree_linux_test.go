package worker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

// readPID waits for a process id in file.
func readPID(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(file); err == nil {
			if pid, err := strconv.Atoi(string(b)); err == nil && pid > 0 {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process id in %s", file)
		}
	}
}

// processGone waits until process pid no longer exists (neither running
// nor a zombie waiting to be reaped).
func processGone(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (process %d) outlived its worker", what, pid)
		}
	}
}

// TestSetsidGrandchildEnds: a process the worker started in a session of
// its own (setsid, out of reach of a kill of the worker's process group)
// ends with the worker, whether tweedie closes the worker, the worker is
// killed from outside, or it exits by itself; and it is reaped.
func TestSetsidGrandchildEnds(t *testing.T) {
	for _, c := range []struct {
		name, mode string
		end        func(t *testing.T, r *worker.Remote, workerPID int)
	}{
		{"closed", workertest.OK, func(t *testing.T, r *worker.Remote, _ int) { r.Close() }},
		{"killed", workertest.OK, func(t *testing.T, r *worker.Remote, pid int) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			for r.Err() == nil {
				time.Sleep(10 * time.Millisecond)
			}
		}},
		{"exited", workertest.ExitAt, func(t *testing.T, r *worker.Remote, _ int) {
			dn := r.NewDenoiser()
			x := make([]float64, r.ImageShape().Len())
			if err := dn.Denoise(context.Background(), x, x, 0.5); err == nil {
				t.Fatal("a worker that exits at its first request answered it")
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile, orphanFile := filepath.Join(dir, "pid"), filepath.Join(dir, "orphan")
			cmd, err := workertest.Command(c.mode, workertest.EnvPIDFile+"="+pidFile,
				workertest.EnvOrphanFile+"="+orphanFile, workertest.EnvExitAt+"=0")
			if err != nil {
				t.Fatal(err)
			}
			r, err := worker.StartRemote(context.Background(), cmd, 1, worker.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			pid, orphan := readPID(t, pidFile), readPID(t, orphanFile)
			sid, err := unix.Getsid(orphan)
			if err != nil || sid != orphan {
				t.Fatalf("the grandchild %d is not in a session of its own: session %d, %v", orphan, sid, err)
			}
			c.end(t, r, pid)
			processGone(t, pid, "the worker")
			processGone(t, orphan, "the worker's grandchild in a session of its own")
		})
	}
}
