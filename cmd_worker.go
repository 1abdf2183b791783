package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"tweedie/assets"
	"tweedie/core/export"
)

const workerHelp = `tweedie worker — the Python model worker that --prior remote:CMD drives

Usage:
  tweedie worker               print the worker script (tweedie_worker.py)
  tweedie worker FILE.py       write it to FILE.py

The worker needs Python 3, NumPy and PyTorch. It serves one model over its
stdin and stdout (the protocol is in the README):

  --model mixture:FILE.npz      the exact mixture of ` + "`tweedie prior export FILE.npz`" + `
  --model unet[:HxWxC]          a small randomly initialised UNet (--seed N)
  --model diffusers:FILE.py:F   F() returns a diffusers UNet2DModel and its scheduler
  --model FILE.py:F             F() returns (module, alphas_cumprod, "eps"|"x0"|"v")
  --model learned:FILE.pt       a UNet trained by --train-mnist
  --train-mnist IDX --minutes M trains a small UNet on MNIST's training split (no serving)
  --device cuda                 any torch device; --max-batch N rows per request

Examples:
  tweedie worker tweedie_worker.py
  tweedie prior export mnist.npz
  tweedie run --prior remote:"/usr/bin/python3 tweedie_worker.py --model mixture:mnist.npz"
  tweedie --prior remote:"ssh gpu-box python3 tweedie_worker.py --model my.py:load --device cuda"
  tweedie run --prior remote:timeout=5m,workers=2:"python3 tweedie_worker.py --model unet" --method dps

`

func init() {
	commands["worker"] = command{summary: "print or write the Python model worker for --prior remote:CMD", run: cmdWorker}
}

func cmdWorker(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie worker")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, workerHelp+exitCodesHelp)
		return exitOK
	}
	if err != nil {
		return fail(stderr, "worker", usageError{err})
	}
	switch len(pos) {
	case 0:
		if _, err := io.WriteString(stdout, assets.WorkerPy); err != nil {
			return fail(stderr, "worker", err)
		}
		return exitOK
	case 1:
		err := export.AtomicFile(pos[0], func(w io.Writer) error {
			_, err := io.WriteString(w, assets.WorkerPy)
			return err
		})
		if err == nil {
			err = os.Chmod(pos[0], 0o755)
		}
		if err != nil {
			return fail(stderr, "worker", err)
		}
		fmt.Fprintf(stdout, "wrote %s (run it with --model …; see tweedie worker -h)\n", pos[0])
		return exitOK
	}
	return fail(stderr, "worker", usagef("want at most one FILE, got %d arguments", len(pos)))
}
