package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"tweedie/internal/cli"
	"tweedie/serve"
)

// shutdownTimeout bounds a graceful stop.
const shutdownTimeout = 10 * time.Second

// serveFlags are `tweedie serve`'s flags beyond the explorer's.
type serveFlags struct {
	listen, hostKey, authKeys     string
	maxSessions                   int
	idle                          time.Duration
	maxUnauth, maxUnauthPerSource int
}

// serveListening, when not nil, gets the address once the server
// listens; tests set it.
var serveListening func(net.Addr)

func newServeCmd() *cobra.Command {
	var ef explorerFlags
	var sf serveFlags
	cmd := &cobra.Command{
		Use:  "serve",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			go func() {
				<-ctx.Done()
				stop() // a second signal has its default effect: stop at once
			}()
			return sf.serve(ctx, cmd, &ef)
		},
	}
	ef.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&sf.listen, "listen", "127.0.0.1:23234", "TCP `address` to listen on")
	fs.StringVar(&sf.hostKey, "host-key", serve.DefaultHostKeyPath(), "the server's private host key `FILE`, generated if missing")
	fs.StringVar(&sf.authKeys, "authorized-keys", "", "OpenSSH authorized_keys `FILE` of the public keys allowed in (needed off loopback)")
	fs.IntVar(&sf.maxSessions, "max-sessions", 8, "most sessions at once, 0 for no limit")
	fs.DurationVar(&sf.idle, "idle-timeout", 15*time.Minute, "close a session after this `duration` without input, 0 never")
	fs.IntVar(&sf.maxUnauth, "max-unauthenticated", serve.DefaultMaxUnauthenticated, "most connections not yet authenticated, in all")
	fs.IntVar(&sf.maxUnauthPerSource, "max-unauthenticated-per-source", serve.DefaultMaxUnauthenticatedPerSource, "most connections not yet authenticated from one IPv4 address or IPv6 /64")
	cli.SetGroup(fs, groupServer, "listen", "host-key", "authorized-keys", "max-sessions", "idle-timeout",
		"max-unauthenticated", "max-unauthenticated-per-source")
	return cmd
}

// runServer runs `tweedie serve args` until ctx ends; ready, when not
// nil, gets the address once the server listens.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(net.Addr)) int {
	serveListening = ready
	defer func() { serveListening = nil }()
	defer closePriors()
	return program(newRoot(), stdout, stderr, os.Environ()).Execute(ctx, append([]string{"serve"}, args...))
}

// serve serves until ctx ends, then shuts down gracefully.
func (sf *serveFlags) serve(ctx context.Context, cmd *cobra.Command, ef *explorerFlags) error {
	switch {
	case sf.maxSessions < 0:
		return cli.Usagef("--max-sessions %d: want ≥ 0", sf.maxSessions)
	case sf.idle < 0:
		return cli.Usagef("--idle-timeout %v: want ≥ 0", sf.idle)
	case sf.maxUnauth < 1:
		return cli.Usagef("--max-unauthenticated %d: want ≥ 1", sf.maxUnauth)
	case sf.maxUnauthPerSource < 1:
		return cli.Usagef("--max-unauthenticated-per-source %d: want ≥ 1", sf.maxUnauthPerSource)
	case sf.hostKey == "":
		return cli.Usagef("--host-key: want a file")
	case sf.authKeys == "" && cli.Given(cmd, "authorized-keys"):
		return cli.Usagef("--authorized-keys: want a file (leave the flag out to let any key in on loopback)")
	}
	if _, port, err := net.SplitHostPort(sf.listen); err != nil {
		return cli.Usagef("--listen %q: malformed address: want HOST:PORT, e.g. 127.0.0.1:23234", sf.listen)
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		return cli.Usagef("--listen %q: malformed port: want HOST:PORT, e.g. 127.0.0.1:23234", sf.listen)
	}
	opts, err := ef.options()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	srv, err := serve.New(serve.Config{
		Addr: sf.listen, HostKeyPath: sf.hostKey, AuthorizedKeysPath: sf.authKeys,
		MaxSessions: sf.maxSessions, IdleTimeout: sf.idle, Explorer: opts, Logger: log,
		MaxUnauthenticated: sf.maxUnauth, MaxUnauthenticatedPerSource: sf.maxUnauthPerSource,
	})
	switch {
	case errors.Is(err, serve.ErrNotLoopback), errors.Is(err, serve.ErrAuthorizedKeys):
		return cli.Usage(err)
	case err != nil:
		return err
	}
	ln, err := net.Listen("tcp", sf.listen)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if serveListening != nil {
		serveListening(ln.Addr())
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("sessions did not end in time: closed", "err", err)
	}
	if err := <-served; err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
