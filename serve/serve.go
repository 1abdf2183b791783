// Package serve serves tweedie's explorer over SSH with Wish: every
// session gets its own explorer (tui.Session) with its own state, terminal
// size and colour profile.
//
// Authentication is by public key only. With an authorized-keys file only
// its keys get in (it is read at every login; while it is missing or
// malformed no one gets in); without one any public key is accepted, and
// only on a loopback address (New refuses any other). Passwords and
// keyboard-interactive are never offered.
//
// A session's terminal is at most MaxWidth×MaxHeight cells; agent and X11
// forwarding and signals are refused, and env requests bounded. A session
// ended from outside (idle, shutdown, client gone) that does not close
// within a few seconds has its connection closed.
//
// The colour profile of a session comes from what the client sends: the
// TERM of its pseudo-terminal request, and COLORTERM or NO_COLOR only when
// the client forwards them (OpenSSH: -o SetEnv=COLORTERM=truecolor, or
// SendEnv). An SSH server sees nothing else of the terminal.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"tweedie/tui"
	"tweedie/tui/termcaps"
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
	// Explorer is every session's starting state. Leave its Profile
	// Unknown to detect each session's colour profile. Its Pool, when nil,
	// becomes one pool for every session: as many runs at once as the
	// machine has cores, half of them at most per session.
	Explorer tui.Options
	// Logger gets connections, refusals and sessions; nil discards them.
	Logger *slog.Logger
}

// ErrNotLoopback: without authorized keys, only a loopback address may be
// served.
var ErrNotLoopback = errors.New("refusing to serve a non-loopback address without --authorized-keys: anyone who can reach it could connect")

// Messages sessions get before they are closed.
const (
	MsgShutdown = "tweedie: server shutting down"
	MsgFull     = "tweedie: server full (%d sessions running); try again later"
	MsgIdle     = "tweedie: closing after %v without input"
	MsgNoPty    = "tweedie: the explorer needs a terminal: connect with ssh -t, and without a command"
	MsgCommand  = "tweedie: this server runs only the explorer: connect without a command"
)

// handshakeTimeout bounds how long a connection may take to authenticate.
const handshakeTimeout = 30 * time.Second

// MaxWidth and MaxHeight bound a session's terminal size in cells: a
// larger size from the client (pty-req or window-change) is cut down to
// them, since a session's screen buffers and frames grow with its cells.
// Real terminals are a few hundred cells a side at most.
const (
	MaxWidth  = 500
	MaxHeight = 200
)

// clampWindow cuts a window size in cells down to MaxWidth×MaxHeight.
func clampWindow(w ssh.Window) ssh.Window {
	w.Width, w.Height = min(w.Width, MaxWidth), min(w.Height, MaxHeight)
	return w
}

// Server serves the explorer over SSH.
type Server struct {
	cfg    Config
	log    *slog.Logger
	keys   *keyring // nil: any key, loopback only
	signer gossh.Signer
	ssh    *ssh.Server

	mu       sync.Mutex
	closing  bool
	sessions map[*session]struct{}
	channels map[*gossh.ServerConn]int // session channels open, by connection
	handlers sync.WaitGroup
	nextID   atomic.Uint64
}

// session is one running explorer.
type session struct {
	ts     *tui.Session
	reason atomic.Pointer[string] // why it was ended from outside, if it was
	ended  chan struct{}          // closed when it was
}

// end quits the explorer for the reason, unless it was already ended.
func (s *session) end(reason string) {
	if s.reason.CompareAndSwap(nil, &reason) {
		close(s.ended)
		go s.ts.Quit() // Quit waits for Run to start: never block the caller
	}
}

// endGrace is how long a session ended from outside (idle, shutdown, a
// client gone) may take to close before its connection is closed under
// it: an explorer writing to a client that reads nothing waits for good.
const endGrace = 3 * time.Second

// New checks the configuration, reads (or makes) the host key and reads
// the authorized keys. A non-loopback Addr without authorized keys gives
// ErrNotLoopback; a bad authorized-keys file an error wrapping
// ErrAuthorizedKeys.
func New(cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Explorer.Pool == nil {
		n := runtime.GOMAXPROCS(0)
		cfg.Explorer.Pool = tui.NewPool(n, max(n/2, 1))
	}
	s := &Server{cfg: cfg, log: log, sessions: make(map[*session]struct{}), channels: make(map[*gossh.ServerConn]int)}
	if cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("max sessions %d: want ≥ 0", cfg.MaxSessions)
	}
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("idle timeout %v: want ≥ 0", cfg.IdleTimeout)
	}
	if cfg.AuthorizedKeysPath == "" {
		if !loopbackHost(cfg.Addr) {
			return nil, fmt.Errorf("%s: %w", cfg.Addr, ErrNotLoopback)
		}
	} else {
		k, err := loadKeyring(cfg.AuthorizedKeysPath, log)
		if err != nil {
			return nil, err
		}
		s.keys = k
	}
	signer, created, err := hostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s.signer = signer
	if created {
		log.Info("generated host key", "file", cfg.HostKeyPath, "fingerprint", gossh.FingerprintSHA256(signer.PublicKey()))
	}

	opts := []ssh.Option{
		wish.WithAddress(cfg.Addr),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.publicKey),
		wish.WithMiddleware(func(next ssh.Handler) ssh.Handler {
			return func(sess ssh.Session) { s.handle(sess); next(sess) }
		}),
		func(srv *ssh.Server) error {
			srv.HandshakeTimeout = handshakeTimeout
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
			// A backstop for connections that never open a session; a
			// session's own idle timer (input only) closes it first, with
			// a message.
			if cfg.IdleTimeout > 0 {
				srv.IdleTimeout = cfg.IdleTimeout + time.Minute
			}
			srv.ServerConfigCallback = func(ctx ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{AuthLogCallback: func(conn gossh.ConnMetadata, method string, err error) {
					s.authLog(ctx, conn, method, err)
				}}
			}
			srv.ConnectionFailedCallback = func(conn net.Conn, err error) {
				s.log.Info("connection refused", "addr", conn.RemoteAddr().String(), "err", err)
			}
			return nil
		},
	}
	srv, err := wish.NewServer(opts...)
	if err != nil {
		return nil, err
	}
	s.ssh = srv
	return s, nil
}

// HostKey is the server's public host key.
func (s *Server) HostKey() gossh.PublicKey { return s.signer.PublicKey() }

// Serve accepts connections on ln until Shutdown. It refuses a listener
// that is not on loopback when there are no authorized keys.
func (s *Server) Serve(ln net.Listener) error {
	if s.keys == nil && !loopbackAddr(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("%s: %w", ln.Addr(), ErrNotLoopback)
	}
	auth := "authorized keys from " + s.cfg.AuthorizedKeysPath
	if s.keys == nil {
		auth = "any public key, loopback only (no --authorized-keys)"
	}
	s.log.Info("listening", "addr", ln.Addr().String(), "host_key", gossh.FingerprintSHA256(s.signer.PublicKey()),
		"auth", auth, "max_sessions", s.cfg.MaxSessions, "idle_timeout", s.cfg.IdleTimeout.String())
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends every session with
// MsgShutdown and waits for them to close, then closes what remains. When
// ctx ends first, it closes everything at once and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for sess := range s.sessions {
		sess.end("shutdown")
	}
	s.mu.Unlock()

	// Close the listeners now; connections are waited for below.
	shut := make(chan error, 1)
	go func() { shut <- s.ssh.Shutdown(ctx) }()

	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
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

// publicKey decides whether a public key gets in.
func (s *Server) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	addr := ctx.RemoteAddr()
	var ok bool
	switch {
	case s.keys != nil:
		var err error
		ok, err = s.keys.allowed(key)
		switch {
		case err != nil:
			s.refused(ctx, key, "authorized keys unusable")
		case !ok:
			s.refused(ctx, key, "not in authorized keys")
		}
	case loopbackAddr(addr):
		ok = true
	default:
		s.refused(ctx, key, "no authorized keys: only loopback clients")
	}
	if ok {
		// For authLog, once the client proves it holds the key.
		ctx.SetValue(acceptedKey{}, gossh.FingerprintSHA256(key))
	}
	return ok
}

// acceptedKey is the context key of the fingerprint of the public key
// publicKey accepted last on a connection.
type acceptedKey struct{}

func (s *Server) refused(ctx ssh.Context, key ssh.PublicKey, why string) {
	s.log.Warn("public key refused", "addr", ctx.RemoteAddr().String(), "user", ctx.User(),
		"key", gossh.FingerprintSHA256(key), "reason", why)
}

// authLog logs a successful public-key authentication (once the client
// has proved it holds the key), and attempts with methods that are never
// accepted. Refused public keys are logged, with their fingerprints, by
// publicKey; "none" is every client's first try.
func (s *Server) authLog(ctx ssh.Context, conn gossh.ConnMetadata, method string, err error) {
	addr, user := conn.RemoteAddr().String(), conn.User()
	switch {
	case method == "publickey" && err == nil:
		fp, _ := ctx.Value(acceptedKey{}).(string)
		s.log.Info("connection accepted", "addr", addr, "user", user, "key", fp)
	case method == "publickey" || method == "none":
	default:
		s.log.Warn("authentication refused", "addr", addr, "user", user, "method", method, "reason", "public keys only")
	}
}

// admit registers a session, or says why it may not start.
func (s *Server) admit(sess *session) (n int, refusal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return len(s.sessions), MsgShutdown
	case s.cfg.MaxSessions > 0 && len(s.sessions) >= s.cfg.MaxSessions:
		return len(s.sessions), fmt.Sprintf(MsgFull, len(s.sessions))
	}
	s.sessions[sess] = struct{}{}
	return len(s.sessions), ""
}

func (s *Server) leave(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
}

// handle runs one SSH session.
func (s *Server) handle(sshSess ssh.Session) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		fmt.Fprintln(sshSess.Stderr(), MsgShutdown)
		sshSess.Exit(1)
		return
	}
	s.handlers.Add(1) // before Shutdown's Wait: closing is still false
	s.mu.Unlock()
	defer s.handlers.Done()

	start := time.Now()
	log := s.log.With("session", s.nextID.Add(1), "addr", sshSess.RemoteAddr().String(), "user", sshSess.User())
	if k := sshSess.PublicKey(); k != nil {
		log = log.With("key", gossh.FingerprintSHA256(k))
	}
	refuse := func(reason, msg string) {
		log.Warn("session refused", "reason", reason)
		fmt.Fprintln(sshSess.Stderr(), msg)
		sshSess.Exit(1)
	}
	pty, winch, ok := sshSess.Pty()
	if !ok {
		refuse("no terminal", MsgNoPty)
		return
	}
	// From here on, the window sizes are read until the client's requests
	// end, whether or not the explorer runs, so that a window-change never
	// blocks the connection; the explorer gets the latest.
	sizes := latestWindows(winch)
	if cmd := sshSess.RawCommand(); cmd != "" {
		refuse(fmt.Sprintf("command %q", cmd), MsgCommand)
		return
	}

	cell := cellOf(pty.Window)
	win := clampWindow(pty.Window)
	in := newInput(sshSess)
	defer in.Close() // the explorer's reader ends with the session
	env := append(sshSess.Environ(), "TERM="+pty.Term)
	ts, err := tui.NewSession(s.cfg.Explorer, tui.Terminal{
		Input: in, Output: sshSess, Environ: env,
		Width: win.Width, Height: win.Height, Cell: cell,
	})
	if err != nil {
		log.Error("session failed", "err", err)
		fmt.Fprintln(sshSess.Stderr(), "tweedie:", err)
		sshSess.Exit(1)
		return
	}
	sess := &session{ts: ts, ended: make(chan struct{})}
	n, refusal := s.admit(sess)
	if refusal != "" {
		refuse(strings.TrimPrefix(refusal, "tweedie: "), refusal)
		return
	}
	defer s.leave(sess)
	log.Info("session start", "term", pty.Term, "profile", ts.Profile().String(),
		"size", fmt.Sprintf("%dx%d", win.Width, win.Height),
		"cell", fmt.Sprintf("%dx%d", cell.W, cell.H), "sessions", n)

	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watch(log, sess, sshSess, in, stop)
	}()
	go func() {
		for {
			select {
			case w := <-sizes:
				ts.Resize(w.Width, w.Height, w.cell) // returns once Run has ended
			case <-stop:
				return
			}
		}
	}()
	err = ts.Run()
	in.Close()

	reason := "quit"
	if r := sess.reason.Load(); r != nil {
		reason = *r
	}
	switch reason { // still watched: a write that hangs gets the connection closed
	case "shutdown":
		fmt.Fprintln(sshSess, "\r"+MsgShutdown)
	case "idle":
		fmt.Fprintln(sshSess, "\r"+fmt.Sprintf(MsgIdle, s.cfg.IdleTimeout))
	}
	close(stop)
	<-watched
	attrs := []any{"reason", reason, "duration", time.Since(start).Round(time.Millisecond).String()}
	if err != nil && !errors.Is(err, io.EOF) {
		attrs = append(attrs, "err", err)
	}
	log.Info("session end", attrs...)
}

// watch ends the session when its client goes away or falls silent (its
// input, not its window changes, counts), and closes the connection when
// an ended session does not close within endGrace, until stop closes.
func (s *Server) watch(log *slog.Logger, sess *session, sshSess ssh.Session, in *input, stop <-chan struct{}) {
	var idle, force <-chan time.Time
	var timer *time.Timer
	if s.cfg.IdleTimeout > 0 {
		timer = time.NewTimer(s.cfg.IdleTimeout)
		defer timer.Stop()
		idle = timer.C
	}
	eof, gone, ended := in.eof, sshSess.Context().Done(), sess.ended
	for {
		select {
		case <-stop:
			return
		case <-gone:
			sess.end("disconnected")
			gone = nil
		case <-eof:
			sess.end("disconnected")
			eof = nil
		case <-idle:
			if left := s.cfg.IdleTimeout - in.since(); left > 0 {
				timer.Reset(left)
				continue
			}
			sess.end("idle")
		case <-ended:
			ended = nil
			t := time.NewTimer(endGrace)
			defer t.Stop()
			force = t.C
		case <-force:
			force = nil
			log.Warn("session did not close: closing its connection", "grace", endGrace.String())
			if c, ok := sshSess.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok {
				c.Close()
			}
		}
	}
}

// cellOf is the cell size in pixels a pty-req or window-change gives:
// its pixel sizes over its cells (OpenSSH sends the pixel sizes its own
// terminal reports to the kernel); zero when the client sent none.
func cellOf(w ssh.Window) termcaps.Size {
	return tui.CellOf(w.Width, w.Height, w.WidthPixels, w.HeightPixels)
}

// window is a window size, clamped, with the cell size from its pixel
// sizes before the clamp.
type window struct {
	ssh.Window
	cell termcaps.Size
}

// latestWindows reads the window sizes from winch until it closes (when
// the client's requests end) and keeps the latest, clamped, for the
// channel it returns. It never blocks on its reader, so the ssh package's
// request loop, which sends each window-change on winch, never waits for
// an explorer that has ended.
func latestWindows(winch <-chan ssh.Window) <-chan window {
	sizes := make(chan window, 1)
	go func() {
		for w := range winch {
			select {
			case <-sizes: // replaced by the newer size
			default:
			}
			sizes <- window{clampWindow(w), cellOf(w)} // the only sender: there is room
		}
	}()
	return sizes
}

// input is a session's input: the client's bytes, copied into a pipe the
// explorer reads. Closing it ends the explorer's reads at once, even when
// the client never ends its side; the copy then ends with the channel.
type input struct {
	pr   *io.PipeReader
	last atomic.Int64  // unix nanoseconds of the last input
	eof  chan struct{} // closed when the client's input ends
}

func newInput(r io.Reader) *input {
	pr, pw := io.Pipe()
	in := &input{pr: pr, eof: make(chan struct{})}
	in.touch()
	go func() {
		defer close(in.eof)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				in.touch()
				if _, werr := pw.Write(buf[:n]); werr != nil {
					return // closed: the session ended
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return in
}

func (in *input) Read(p []byte) (int, error) { return in.pr.Read(p) }

// Close ends the explorer's reads, pending ones too.
func (in *input) Close() error { return in.pr.Close() }

func (in *input) touch() { in.last.Store(time.Now().UnixNano()) }

func (in *input) since() time.Duration {
	return time.Since(time.Unix(0, in.last.Load()))
}

// loopbackHost reports whether a listen address is on loopback only:
// "localhost" or a loopback IP. An empty host (all interfaces) and other
// names are not.
func loopbackHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackAddr(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	return a != nil && loopbackHost(a.String())
}
