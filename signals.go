package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"tweedie/internal/cli"
)

// stopSignals stop a headless command (run, lab) as Ctrl-C does: its
// context is cancelled, what it started ends (the model worker and every
// process the worker started), its temporary outputs are removed, nothing
// is written, and it exits with 128 + the signal's number, as a shell
// reports a process the signal ended (130, 143, 129).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signalNames name stopSignals as a shell does.
var signalNames = map[os.Signal]string{os.Interrupt: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP"}

// signalled is the cause of a context a signal cancelled.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return s.sig.String() + " received" }

// signalContext returns a context of parent cancelled, with a signalled
// cause, by the first of stopSignals; stop ends the watch. Later signals
// are absorbed until stop, so the command ends through its own clean-up.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(signalled{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// interrupted is the error that ends a command a signal stopped (ctx's,
// from signalContext): its exit status is 128 + the signal's number.
func interrupted(ctx context.Context) error {
	var s signalled
	if errors.As(context.Cause(ctx), &s) && s.sig != os.Interrupt {
		if n, ok := s.sig.(syscall.Signal); ok {
			return &cli.SignalError{Signal: n, Msg: "stopped by " + signalNames[s.sig] + "; nothing written"}
		}
	}
	return cli.Interrupted("interrupted; nothing written")
}
