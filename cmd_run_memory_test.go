//go:build linux

package main

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tweedie/core/budget"
	"tweedie/core/prior"
	"tweedie/core/worker/workertest"
	"tweedie/internal/cli"
)

// withBudget replaces the process's memory budget for the test.
func withBudget(t *testing.T, limit int64) {
	t.Helper()
	old := budget.Process
	budget.Process = budget.New(limit)
	t.Cleanup(func() { budget.Process = old })
}

// peakHeap samples the heap in use (runtime.MemStats.HeapAlloc, garbage
// not yet collected included) every few milliseconds until stop is called,
// which returns the largest figure seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-ended; return peak.Load() }
}

// TestRunLargestImageWithinBudget: under a memory budget of 96 MiB, a
// worker may declare an image as large as the budget holds a run on
// (prior.MaxRemoteNumbers) and no larger: one more row of pixels is
// refused at the handshake with exit status 2. The run on the largest
// square image — its trajectory's bound fitted to what the budget leaves,
// its outputs written — keeps the heap within the budget above what the
// process held before, with Go's memory limit set as main sets it.
func TestRunLargestImageWithinBudget(t *testing.T) {
	const limit = 96 << 20
	withBudget(t, limit)
	most := prior.MaxRemoteNumbers(limit, 1)
	side := int(math.Sqrt(float64(most)))
	t.Logf("a budget of %s holds a run on %d numbers: %d×%d×1", budget.Size(limit), most, side, side)

	dir := t.TempDir()
	shape := func(h int) string { return fmt.Sprintf("%s=%dx%dx1", workertest.EnvShape, h, side) }
	tooLarge := fakeSpec(t, "", workertest.OK, filepath.Join(dir, "pid0"), shape(most/side+1))
	status, _, stderr := runMain(t, "run", "--prior", tooLarge, "--steps", "10")
	if status != cli.ExitUsage || !strings.Contains(stderr, "memory budget holds a run on at most") {
		t.Fatalf("an image beyond the budget: status %d, %q", status, stderr)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(base) + limit))
	stop := peakHeap()
	largest := fakeSpec(t, "", workertest.OK, filepath.Join(dir, "pid1"), shape(side))
	status, _, stderr = runMain(t, "run", "--prior", largest, "--steps", "60", "--out", filepath.Join(dir, "out"))
	peak := stop()
	if status != cli.ExitOK {
		t.Fatalf("the largest image: status %d, %q", status, stderr)
	}
	grown := int64(peak) - int64(base)
	t.Logf("heap: %.1f MiB before, at most %.1f MiB above it during the run and its outputs", float64(base)/(1<<20), float64(grown)/(1<<20))
	if grown > limit+8<<20 {
		t.Errorf("the heap grew by %s, beyond the budget of %s", budget.Size(grown), budget.Size(limit))
	}
	if free := budget.Process.Free(); free != limit {
		t.Errorf("%d bytes of the budget still reserved after the command", limit-free)
	}

	// --dump keeps every step: refused before the run when they do not fit.
	status, _, stderr = runMain(t, "run", "--prior", largest, "--steps", "1000", "--dump", filepath.Join(dir, "d.npz"))
	if status != cli.ExitUsage || !strings.Contains(stderr, "keeping every step for --dump") || !strings.Contains(stderr, "memory budget") {
		t.Errorf("--dump beyond the budget: status %d, %q", status, stderr)
	}
}
