// Package benchcpu reports a benchmark's CPU time per operation beside its
// wall time. On a machine shared with other work the wall time counts the
// waits for a core too; the process's CPU time (user and system, every
// thread: the garbage collector's and a benchmark's own workers' included)
// does not.
package benchcpu

import "testing"

// Start returns the process's CPU time so far, for Report.
func Start() int64 { return cpuNanos() }

// Report adds the metric cpu-ns/op: the CPU time since start over b.N.
// Call it right after the benchmark's loop.
func Report(b *testing.B, start int64) {
	if start < 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}
