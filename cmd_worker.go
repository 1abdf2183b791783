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

func init() {
	commands["worker"] = command{summary: "print or write the Python model worker for --prior remote:CMD", run: cmdWorker}
}

func cmdWorker(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie worker")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, helpText("worker")+exitCodesHelp)
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
