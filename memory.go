package main

import (
	"os"
	"runtime/debug"

	"tweedie/core/budget"
)

// heapBeyondBudget is the memory of the process besides what the budget
// counts: Go's runtime, the embedded MNIST prior, a terminal's pictures.
const heapBeyondBudget = 256 << 20

// limitHeap sets Go's soft memory limit to the memory budget and the rest
// of the process (unless $GOMEMLIMIT sets one): the collector then frees
// what a large image's run drops (its vectors after the run, a GIF
// frame's pictures) before the heap grows past it, rather than at twice
// the live heap.
func limitHeap() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(budget.Process.Limit() + heapBeyondBudget)
	}
}
