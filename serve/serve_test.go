package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/internal/sshtest"
	"tweedie/tui"
	"tweedie/tui/vttest"
)

// waitLimit bounds every wait of these tests (generous for -race on two
// cores).
const waitLimit = 30 * time.Second

var testShape = img.Shape{H: 28, W: 28, C: 1}

// testExplorer is a small problem that runs fast: a random mixture prior
// and two ring images.
func testExplorer() tui.Options {
	ring := func(radius float64) img.Image {
		pix := make([]float64, testShape.Len())
		for y := 0; y < testShape.H; y++ {
			for x := 0; x < testShape.W; x++ {
				r := math.Hypot(float64(x)-13.5, float64(y)-13.5) / 28
				pix[testShape.Index(y, x, 0)] = 2*math.Exp(-(r-radius)*(r-radius)/0.003) - 1
			}
		}
		return img.Image{Shape: testShape, Pix: pix}
	}
	s := run.DefaultSettings()
	s.Steps = 40
	return tui.Options{
		Settings: s, Prior: prior.FromMixture(gmm.Random(testShape, 3, 2, 7),
			[]prior.Truth{{Name: "ring", Image: ring(0.35)}, {Name: "small ring", Image: ring(0.2)}}),
	}
}

// syncBuffer is a log sink the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	srv    *Server
	addr   string
	logs   *syncBuffer
	served chan error
}

// startServer serves cfg on a free loopback port until the test ends. An
// empty HostKeyPath is a fresh key in a temporary directory.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.HostKeyPath == "" {
		cfg.HostKeyPath = filepath.Join(t.TempDir(), "host_ed25519")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Explorer.Prior == nil {
		cfg.Explorer = testExplorer()
	}
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, addr: ln.Addr().String(), logs: logs, served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		select {
		case err := <-ts.served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-ctx.Done():
			t.Error("Serve did not return after Shutdown")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return ts
}

// waitServed waits for Serve to return after a shutdown, until ctx ends.
func (ts *testServer) waitServed(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case err := <-ts.served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
		ts.served <- nil // for the cleanup
	case <-ctx.Done():
		t.Fatal("Serve did not return")
	}
}

// newKey and authorizedKeys make client keys and authorized_keys files.
var (
	newKey         = sshtest.NewKey
	authorizedKeys = sshtest.AuthorizedKeys
)

func (ts *testServer) dial(t *testing.T, cfg gossh.ClientConfig) (*gossh.Client, error) {
	t.Helper()
	if cfg.User == "" {
		cfg.User = "tester"
	}
	cfg.HostKeyCallback = gossh.FixedHostKey(ts.srv.HostKey())
	cfg.Timeout = waitLimit
	c, err := gossh.Dial("tcp", ts.addr, &cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func (ts *testServer) connect(t *testing.T, key gossh.Signer) *gossh.Client {
	t.Helper()
	c, err := ts.dial(t, gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c
}

// term is a client session with a pseudo-terminal whose output goes into
// a terminal emulator, which answers the explorer's queries as a terminal
// would.
type term struct {
	t     *testing.T
	sess  *gossh.Session
	stdin io.WriteCloser

	mu  sync.Mutex
	emu *vt.Emulator
	raw bytes.Buffer

	exited chan error // Wait's result once the session ended
}

type termWriter struct{ tm *term }

func (w termWriter) Write(p []byte) (int, error) {
	w.tm.mu.Lock()
	defer w.tm.mu.Unlock()
	w.tm.raw.Write(p)
	return w.tm.emu.Write(p)
}

// openTerm opens a w×h terminal session with the environment variables
// (KEY=VALUE) and starts the shell, that is, the explorer.
func openTerm(t *testing.T, c *gossh.Client, w, h int, env ...string) *term {
	t.Helper()
	return openTermPixels(t, c, w, h, 0, 0, env...)
}

// openTermPixels is openTerm with the window's size in pixels in the
// pty-req, pw×ph (0×0: unknown), as OpenSSH sends it.
func openTermPixels(t *testing.T, c *gossh.Client, w, h, pw, ph int, env ...string) *term {
	t.Helper()
	return startTerm(t, c, w, h, ptyRequest{"xterm-256color", uint32(w), uint32(h), uint32(pw), uint32(ph), "\x00"}, env...)
}

// ptyRequest is a pty-req's payload: TERM, the size in cells and in
// pixels, and the terminal modes.
type ptyRequest struct {
	Term               string
	Cols, Rows, PW, PH uint32
	Modes              string
}

// startTerm opens a session with the environment variables and the
// pseudo-terminal request pty, its output into a w×h emulator, and starts
// the shell, that is, the explorer.
func startTerm(t *testing.T, c *gossh.Client, w, h int, pty ptyRequest, env ...string) *term {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, sess: sess, emu: vt.NewEmulator(w, h), exited: make(chan error, 1)}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := sess.Setenv(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := sess.SendRequest("pty-req", true, gossh.Marshal(pty)); err != nil || !ok {
		t.Fatalf("pty-req: %v %v", ok, err)
	}
	if tm.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	sess.Stdout = termWriter{tm}
	sess.Stderr = termWriter{tm}
	// The emulator answers the explorer's queries. Keep reading its replies
	// after the session is gone (writes then fail): an unread reply blocks the
	// emulator's Write, which holds the lock the test reads the screen with.
	go vttest.DrainReplies(tm.stdin, tm.emu)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.exited <- sess.Wait() }()
	t.Cleanup(func() { sess.Close() })
	return tm
}

func (tm *term) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var b strings.Builder
	for y := 0; y < tm.emu.Height(); y++ {
		for x := 0; x < tm.emu.Width(); x++ {
			c := tm.emu.CellAt(x, y)
			if c == nil || c.Content == "" {
				b.WriteByte(' ')
			} else {
				b.WriteString(c.Content)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.raw.String()
}

// waitScreen waits until the screen contains every string.
func (tm *term) waitScreen(want ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		scr := tm.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(scr, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen lacks %q after %v:\n%s", want, waitLimit, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the session to end and returns its exit status (-1
// when the server gave none).
func (tm *term) waitExit() int {
	tm.t.Helper()
	select {
	case err := <-tm.exited:
		var ee *gossh.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.ExitStatus()
		default:
			return -1
		}
	case <-time.After(waitLimit):
		tm.t.Fatalf("session still open after %v:\n%s", waitLimit, tm.screen())
		return -1
	}
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.stdin, s); err != nil {
		tm.t.Fatal(err)
	}
}

// header is the explorer's status line: the screen's first line.
func (tm *term) header() string {
	line, _, _ := strings.Cut(tm.screen(), "\n")
	return line
}

func TestServeAuthorizedKey(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, newKey(t), key)})
	tm := openTerm(t, ts.connect(t, key), 100, 30)
	tm.waitScreen("tweedie │ ΠG", "ground truth", "step 1/40")
	tm.send("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d after q, want 0", code)
	}
	logs := ts.logs.String()
	fp := gossh.FingerprintSHA256(key.PublicKey())
	for _, want := range []string{`msg="connection accepted" addr=127.0.0.1:`, "user=tester key=" + fp, "session start", "reason=quit"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// passwordFirst tries a password and then keyboard-interactive whether or
// not the server offers them, as a hostile client would.
func passwordFirst(ctx *gossh.ClientAuthContext) (gossh.AuthMethod, error) {
	tried := func(m string) bool {
		for _, t := range ctx.TriedMethods {
			if t == m {
				return true
			}
		}
		return false
	}
	switch {
	case !tried("password"):
		return gossh.Password("hunter2"), nil
	case !tried("keyboard-interactive"):
		return gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return []string{"hunter2"}, nil
		}), nil
	}
	return nil, nil
}

func TestServeRefusesUnknownKeyAndPassword(t *testing.T) {
	known, unknown := newKey(t), newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, known)})

	if _, err := ts.dial(t, gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(unknown)}}); err == nil {
		t.Error("an unknown key got in")
	}
	if _, err := ts.dial(t, gossh.ClientConfig{AuthCallback: passwordFirst}); err == nil {
		t.Error("a password got in")
	}
	// A password, even with a known key offered after it, is not enough on
	// its own and does not spoil the key.
	if _, err := ts.dial(t, gossh.ClientConfig{AuthCallback: passwordFirst,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(known)}}); err != nil {
		t.Errorf("known key after a refused password: %v", err)
	}
	logs := ts.logs.String()
	for _, want := range []string{
		"public key refused", "key=" + gossh.FingerprintSHA256(unknown.PublicKey()), `reason="not in authorized keys"`,
		"method=password", "method=keyboard-interactive", "connection refused",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// Without authorized keys, any key gets in on loopback, and still no
// password.
func TestServeLoopbackAnyKey(t *testing.T) {
	ts := startServer(t, Config{})
	tm := openTerm(t, ts.connect(t, newKey(t)), 100, 30)
	tm.waitScreen("tweedie │")
	if _, err := ts.dial(t, gossh.ClientConfig{AuthCallback: passwordFirst}); err == nil {
		t.Error("a password got in")
	}
}

func TestServeRefusesNonLoopbackWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	for _, addr := range []string{"0.0.0.0:23234", ":23234", "[::]:0", "192.0.2.1:22", "example.com:22"} {
		_, err := New(Config{Addr: addr, HostKeyPath: filepath.Join(dir, "k"), Explorer: testExplorer()})
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s without authorized keys: err %v, want ErrNotLoopback", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:23234", "[::1]:0", "127.0.0.2:22"} {
		if _, err := New(Config{Addr: addr, HostKeyPath: filepath.Join(dir, "k"), Explorer: testExplorer()}); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	key := authorizedKeys(t, newKey(t))
	if _, err := New(Config{Addr: "0.0.0.0:0", HostKeyPath: filepath.Join(dir, "k"), AuthorizedKeysPath: key, Explorer: testExplorer()}); err != nil {
		t.Errorf("0.0.0.0 with authorized keys: %v", err)
	}
}

func TestServeAuthorizedKeysErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("ssh-ed25519 not-base64!\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	for _, path := range []string{filepath.Join(dir, "missing"), bad, empty} {
		_, err := New(Config{Addr: "127.0.0.1:0", HostKeyPath: filepath.Join(dir, "k"), AuthorizedKeysPath: path, Explorer: testExplorer()})
		if !errors.Is(err, ErrAuthorizedKeys) {
			t.Errorf("%s: err %v, want ErrAuthorizedKeys", filepath.Base(path), err)
		}
	}
}

func TestServeHostKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "host_ed25519")
	cfg := Config{Addr: "127.0.0.1:0", HostKeyPath: path, Explorer: testExplorer()}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %04o, want 0600", fi.Mode().Perm())
	}
	if s1.HostKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s, want ed25519", s1.HostKey().Type())
	}
	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1.HostKey().Marshal(), s2.HostKey().Marshal()) {
		t.Error("the host key was not reused")
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil || !bytes.Equal(pub, gossh.MarshalAuthorizedKey(s1.HostKey())) {
		t.Errorf("public host key file: %q, %v", pub, err)
	}
	os.Chmod(path, 0o644)
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a host key others can read: err %v, want a refusal", err)
	}
}

func TestServeMaxSessions(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), MaxSessions: 2})
	c := ts.connect(t, key)
	a := openTerm(t, c, 100, 30)
	b := openTerm(t, ts.connect(t, key), 100, 30)
	a.waitScreen("tweedie │")
	b.waitScreen("tweedie │")

	third := openTerm(t, c, 100, 30) // a second session on a's connection
	if code := third.waitExit(); code != 1 {
		t.Errorf("third session: exit status %d, want 1", code)
	}
	if out := third.output(); !strings.Contains(out, "tweedie: server full (2 sessions running)") {
		t.Errorf("third session's output %q lacks the refusal", out)
	}

	// Once one quits, there is room again.
	a.send("q")
	a.waitExit()
	fourth := openTerm(t, ts.connect(t, key), 100, 30)
	fourth.waitScreen("tweedie │")
}

func TestServeIdleTimeout(t *testing.T) {
	key := newKey(t)
	const idle = 1500 * time.Millisecond
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), IdleTimeout: idle})
	quiet := openTerm(t, ts.connect(t, key), 100, 30)
	busy := openTerm(t, ts.connect(t, key), 100, 30)
	quiet.waitScreen("tweedie │")
	busy.waitScreen("tweedie │")
	start := time.Now()

	// busy keeps typing past the timeout; quiet says nothing.
	stop := time.After(2 * idle)
	tick := time.NewTicker(idle / 5)
	defer tick.Stop()
	keys := []string{"\x1b[C", "\x1b[D"} // Right, Left
loop:
	for i := 0; ; i++ {
		select {
		case <-stop:
			break loop
		case <-tick.C:
			busy.send(keys[i%2])
		}
	}
	if code := quiet.waitExit(); code != 0 {
		t.Errorf("idle session: exit status %d, want 0", code)
	}
	if el := time.Since(start); el < idle {
		t.Errorf("closed after %v, before the idle timeout %v", el, idle)
	}
	if out := quiet.output(); !strings.Contains(out, "tweedie: closing after 1.5s without input") {
		t.Errorf("idle session's output lacks the message: …%q", out[max(0, len(out)-200):])
	}
	select {
	case <-busy.exited:
		t.Error("the busy session was closed too")
	default:
	}
	busy.waitScreen("tweedie │")
	if !strings.Contains(ts.logs.String(), "reason=idle") {
		t.Errorf("log lacks reason=idle:\n%s", ts.logs)
	}
}

func TestServeIndependentSessions(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	a := openTerm(t, ts.connect(t, key), 100, 30, "COLORTERM=truecolor")
	b := openTerm(t, ts.connect(t, key), 120, 36, "NO_COLOR=1")
	a.waitScreen("tweedie │ ΠG", "step 1/40")
	b.waitScreen("tweedie │ ΠG", "step 1/40")

	a.send("m") // ΠG → DPS in a only
	a.send("\x1b[C\x1b[C")
	a.waitScreen("tweedie │ DPS", "step 3/40")
	b.send("\x1b[C") // b steps on, still with ΠG
	b.waitScreen("step 2/40")
	if h := b.header(); !strings.Contains(h, "tweedie │ ΠG") {
		t.Errorf("b's header changed with a's method: %q", h)
	}
	if h := a.header(); !strings.Contains(h, "tweedie │ DPS") {
		t.Errorf("a's header: %q", h)
	}
	// Each session sized and coloured its own way.
	wide := 0
	for _, line := range strings.Split(b.screen(), "\n") {
		wide = max(wide, len([]rune(strings.TrimRight(line, " "))))
	}
	if wide <= 100 {
		t.Errorf("b's widest line is %d cells: not drawn for its 120 columns", wide)
	}
	logs := ts.logs.String()
	for _, want := range []string{"profile=TrueColor size=100x30", "profile=Ascii size=120x36"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestServeShutdown(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	tm := openTerm(t, ts.connect(t, key), 100, 30)
	tm.waitScreen("tweedie │")

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	tm.waitExit()
	if out := tm.output(); !strings.Contains(out, MsgShutdown) {
		t.Errorf("output lacks %q: …%q", MsgShutdown, out[max(0, len(out)-200):])
	}
	ts.waitServed(t, ctx)
	if _, err := ts.dial(t, gossh.ClientConfig{Auth: []gossh.AuthMethod{gossh.PublicKeys(key)}}); err == nil {
		t.Error("connected after shutdown")
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "reason=shutdown") {
		t.Errorf("log lacks reason=shutdown:\n%s", logs)
	}
}

func TestServeNeedsTerminal(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	sess, err := ts.connect(t, key).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput("ls")
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
		t.Errorf("exec without a terminal: err %v, want exit status 1", err)
	}
	if !strings.Contains(string(out), MsgNoPty) {
		t.Errorf("output %q lacks %q", out, MsgNoPty)
	}
}
