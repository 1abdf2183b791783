package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"tweedie/tui"
	"tweedie/tui/serve"
)

// shutdownTimeout bounds a graceful stop.
const shutdownTimeout = 10 * time.Second

func cmdServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal has its default effect: stop at once
	}()
	return runServer(ctx, args, stdout, stderr, nil)
}

// runServer serves until ctx ends, then shuts down gracefully. ready, when
// non-nil, gets the address once the server listens.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(net.Addr)) int {
	fs := newFlagSet("tweedie serve")
	listen := fs.String("listen", "127.0.0.1:23234", "TCP `address` to listen on")
	hostKey := fs.String("host-key", serve.DefaultHostKeyPath(), "the server's private host key `FILE`, generated if missing")
	authKeys := fs.String("authorized-keys", "", "OpenSSH authorized_keys `FILE` of the public keys allowed in (needed off loopback)")
	maxSessions := fs.Int("max-sessions", 8, "most sessions at once, 0 for no limit")
	idle := fs.Duration("idle-timeout", 15*time.Minute, "close a session after this `duration` without input, 0 never")
	pf := addProblemFlags(fs)
	priorSpec := addPriorFlag(fs)
	theme := addThemeFlag(fs)

	usageErr := func(err error) int { return fail(stderr, "serve", usageError{err}) }
	if status, done := parseNoArgs(fs, args, "serve", helpText("serve"), stdout, stderr); done {
		return status
	}
	switch {
	case *maxSessions < 0:
		return usageErr(fmt.Errorf("--max-sessions %d: want ≥ 0", *maxSessions))
	case *idle < 0:
		return usageErr(fmt.Errorf("--idle-timeout %v: want ≥ 0", *idle))
	case *hostKey == "":
		return usageErr(errors.New("--host-key: want a file"))
	case *authKeys == "" && flagGiven(fs, "authorized-keys"):
		return usageErr(errors.New("--authorized-keys: want a file (leave the flag out to let any key in on loopback)"))
	}
	if _, port, err := net.SplitHostPort(*listen); err != nil {
		return usageErr(fmt.Errorf("--listen %q: malformed address: want HOST:PORT, e.g. 127.0.0.1:23234", *listen))
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		return usageErr(fmt.Errorf("--listen %q: malformed port: want HOST:PORT, e.g. 127.0.0.1:23234", *listen))
	}
	st, err := setupProblem(pf, *priorSpec)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	opts, err := explorerOptions(st)
	if err == nil {
		opts.Theme, err = tui.ParseTheme(*theme)
	}
	if err != nil {
		return usageErr(err)
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := serve.New(serve.Config{
		Addr: *listen, HostKeyPath: *hostKey, AuthorizedKeysPath: *authKeys,
		MaxSessions: *maxSessions, IdleTimeout: *idle, Explorer: opts, Logger: log,
	})
	switch {
	case errors.Is(err, serve.ErrNotLoopback), errors.Is(err, serve.ErrAuthorizedKeys):
		return usageErr(err)
	case err != nil:
		return fail(stderr, "serve", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-served:
		return fail(stderr, "serve", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("sessions did not end in time: closed", "err", err)
	}
	if err := <-served; err != nil {
		return fail(stderr, "serve", err)
	}
	log.Info("stopped")
	return 0
}
