//go:build !unix

package gauss

import "testing"

// reportCPU runs the benchmark's loop body f (no CPU time off unix).
func reportCPU(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
