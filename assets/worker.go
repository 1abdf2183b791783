package assets

import _ "embed"

// WorkerPy is the Python model worker that `tweedie worker` writes out: it
// serves a PyTorch model (or an exported mixture) to `--prior remote:CMD`
// over the protocol of core/worker. It needs Python 3, NumPy and PyTorch.
//
//go:embed worker/tweedie_worker.py
var WorkerPy string
