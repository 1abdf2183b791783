package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"tweedie/tui"
)

// Config is how to serve.
type Config struct {
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:23234".
	Addr string
	// HostKeyPath is the server's private host key (OpenSSH format). An
	// ed25519 key is generated there, mode 0600, when there is none.
	HostKeyPath string
	// AuthorizedKeysPath is an OpenSSH authorized_keys file of the public
	// keys allowed in. When empty, any public key is accepted, and Addr
	// must be a loopback address.
	AuthorizedKeysPath string
	// MaxSessions bounds the explorers running at once; 0 means no bound.
	// A session over the bound gets a message and is closed.
	MaxSessions int
	// IdleTimeout closes a session after this long without input from its
	// client; 0 means never.
	IdleTimeout time.Duration
	// MaxUnauthenticated bounds the connections that have not
	// authenticated yet, in total, and MaxUnauthenticatedPerSource per
	// source (an IPv4 address, an IPv6 /64); 0 means
	// DefaultMaxUnauthenticated and DefaultMaxUnauthenticatedPerSource. A
	// connection over a bound closes the idlest one first.
	MaxUnauthenticated, MaxUnauthenticatedPerSource int
	// Explorer is every session's starting state. Leave its Profile
	// Unknown to detect each session's colour profile. Its Pool, when nil,
	// becomes one pool for every session: as many runs at once as the
	// machine has cores, half of them at most per session.
	Explorer tui.Options
	// Logger gets connections, refusals and sessions; nil discards them.
	Logger *slog.Logger
}

// handshakeTimeout bounds how long a connection may take to authenticate
// (kexTimeout bounds its first part).
const handshakeTimeout = 30 * time.Second

// Server serves the explorer over SSH.
type Server struct {
	cfg      Config
	log      *slog.Logger
	auth     *authenticator
	signer   gossh.Signer
	ssh      *ssh.Server
	sessions *registry
	gate     *gate
}

// New checks the configuration, reads (or makes) the host key and reads
// the authorized keys. A non-loopback Addr without authorized keys gives
// ErrNotLoopback; a bad authorized-keys file an error wrapping
// ErrAuthorizedKeys.
func New(cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("max sessions %d: want ≥ 0", cfg.MaxSessions)
	}
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("idle timeout %v: want ≥ 0", cfg.IdleTimeout)
	}
	if cfg.MaxUnauthenticated < 0 || cfg.MaxUnauthenticatedPerSource < 0 {
		return nil, fmt.Errorf("max unauthenticated %d, per source %d: want ≥ 0", cfg.MaxUnauthenticated, cfg.MaxUnauthenticatedPerSource)
	}
	if cfg.MaxUnauthenticated == 0 {
		cfg.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if cfg.MaxUnauthenticatedPerSource == 0 {
		cfg.MaxUnauthenticatedPerSource = DefaultMaxUnauthenticatedPerSource
	}
	s := &Server{cfg: cfg, log: log, auth: &authenticator{log: log}, sessions: newRegistry()}
	if cfg.AuthorizedKeysPath == "" {
		if !loopbackHost(cfg.Addr) {
			return nil, fmt.Errorf("%s: %w", cfg.Addr, ErrNotLoopback)
		}
	} else {
		k, err := loadKeyring(cfg.AuthorizedKeysPath, log)
		if err != nil {
			return nil, err
		}
		s.auth.keys = k
	}
	hk, err := hostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	signer := hk.signer
	s.signer = signer
	if hk.created {
		log.Info("generated host key", "file", cfg.HostKeyPath, "fingerprint", gossh.FingerprintSHA256(signer.PublicKey()))
	}
	if hk.pubErr != nil {
		log.Warn("host key's public half not written: "+cfg.HostKeyPath+".pub is left as it is", "err", hk.pubErr)
	}

	// Each session's way to its explorer, outermost first.
	handler := chain(newExplorer(cfg.Explorer).serve,
		logSessions(log),
		recoverPanics,
		checkKey(s.auth),
		requirePty,
		admit(s.sessions, cfg.MaxSessions),
		watchClient(cfg.IdleTimeout),
	)
	channels := newChannelLimit(log)
	s.gate = newGate(cfg.MaxUnauthenticated, cfg.MaxUnauthenticatedPerSource, kexTimeout, log)
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.auth.publicKey),
		func(srv *ssh.Server) error {
			srv.Handler = handler
			srv.ConnCallback = s.gate.admit
			srv.HandshakeTimeout = handshakeTimeout
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": channels.sessionChannel}
			// A backstop for connections that never open a session; a
			// session's own idle timer (input only) closes it first, with
			// a message.
			if cfg.IdleTimeout > 0 {
				srv.IdleTimeout = cfg.IdleTimeout + time.Minute
			}
			srv.ServerConfigCallback = func(ctx ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{AuthLogCallback: func(conn gossh.ConnMetadata, method string, err error) {
					s.gate.authLog(ctx, method, err)
					s.auth.authLog(ctx, conn, method, err)
				}}
			}
			srv.ConnectionFailedCallback = func(conn net.Conn, err error) {
				if !closedByGate(err) {
					s.log.Info("connection refused", "addr", conn.RemoteAddr().String(), "err", err)
				}
			}
			return nil
		},
	)
	if err != nil {
		return nil, err
	}
	s.ssh = srv
	return s, nil
}

// chain is h behind the middlewares, the first outermost: it sees a
// session first.
func chain(h ssh.Handler, mws ...wish.Middleware) ssh.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// HostKey is the server's public host key.
func (s *Server) HostKey() gossh.PublicKey { return s.signer.PublicKey() }

// Serve accepts connections on ln until Shutdown. It refuses a listener
// that is not on loopback when there are no authorized keys.
func (s *Server) Serve(ln net.Listener) error {
	if s.auth.keys == nil && !loopbackAddr(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("%s: %w", ln.Addr(), ErrNotLoopback)
	}
	auth := "authorized keys from " + s.cfg.AuthorizedKeysPath
	if s.auth.keys == nil {
		auth = "any public key, loopback only (no --authorized-keys)"
	}
	if soft, hard, err := raiseOpenFiles(); err != nil {
		s.log.Warn("open files: could not raise the limit to the hard limit", "soft", soft, "hard", hard, "err", err)
	} else {
		s.log.Info("open files: soft limit at the hard limit", "limit", soft, "hard", hard)
	}
	s.log.Info("listening", "addr", ln.Addr().String(), "host_key", gossh.FingerprintSHA256(s.signer.PublicKey()),
		"auth", auth, "max_sessions", s.cfg.MaxSessions, "idle_timeout", s.cfg.IdleTimeout.String(),
		"max_unauthenticated", s.cfg.MaxUnauthenticated, "max_unauthenticated_per_source", s.cfg.MaxUnauthenticatedPerSource)
	err := s.ssh.Serve(s.gate.listener(ln))
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends every session with
// MsgShutdown and waits for them to close, then closes what remains. When
// ctx ends first, it closes everything at once and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.sessions.close()

	// Close the listeners now; connections are waited for below.
	shut := make(chan error, 1)
	go func() { shut <- s.ssh.Shutdown(ctx) }()

	select {
	case <-s.sessions.wait():
	case <-ctx.Done():
		s.ssh.Close()
		return ctx.Err()
	}
	// The sessions have written their last words; give clients a moment to
	// hang up themselves (OpenSSH does once its session closes) so that
	// nothing unread is cut off, then close the rest.
	grace, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	select {
	case <-shut:
	case <-grace.Done():
	}
	s.ssh.Close()
	return nil
}
