package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"tweedie/internal/sshtest"
	"tweedie/tui/vttest"
)

// serveWait bounds every wait of the serve tests.
const serveWait = 30 * time.Second

// serveKey makes a client key and an authorized_keys file holding it.
func serveKey(t *testing.T) (gossh.Signer, string) {
	t.Helper()
	key := sshtest.NewKey(t)
	return key, sshtest.AuthorizedKeys(t, key)
}

// serveTerm is an SSH session with a 100×30 pseudo-terminal, its output
// fed to a terminal emulator.
type serveTerm struct {
	mu     sync.Mutex
	emu    *vt.Emulator
	raw    bytes.Buffer
	stdin  io.Writer
	exited chan error
}

func (st *serveTerm) Write(p []byte) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.raw.Write(p)
	return st.emu.Write(p)
}

func dialServeTerm(t *testing.T, addr string, key gossh.Signer) *serveTerm {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "tester", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: serveWait,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	st := &serveTerm{emu: vt.NewEmulator(100, 30), exited: make(chan error, 1)}
	if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	st.stdin = in
	sess.Stdout, sess.Stderr = st, st
	// The emulator answers the explorer's queries. Keep reading its replies
	// after the session is gone (writes then fail): an unread reply blocks the
	// emulator's Write, which holds the lock the test reads the screen with.
	go vttest.DrainReplies(in, st.emu)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { st.exited <- sess.Wait() }()
	return st
}

func (st *serveTerm) text() (screen, raw string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var b strings.Builder
	for y := 0; y < st.emu.Height(); y++ {
		for x := 0; x < st.emu.Width(); x++ {
			if c := st.emu.CellAt(x, y); c != nil && c.Content != "" {
				b.WriteString(c.Content)
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), st.raw.String()
}

func (st *serveTerm) waitScreen(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(serveWait)
	for {
		scr, _ := st.text()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(scr, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen lacks %q:\n%s", want, scr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitClosed waits for the session to end and returns everything it got.
func (st *serveTerm) waitClosed(t *testing.T) string {
	t.Helper()
	select {
	case <-st.exited:
	case <-time.After(serveWait):
		scr, _ := st.text()
		t.Fatalf("session still open:\n%s", scr)
	}
	_, raw := st.text()
	return raw
}

func TestServeCommandProblemFlagsAndShutdown(t *testing.T) {
	key, authKeys := serveKey(t)
	hostKey := filepath.Join(t.TempDir(), "host_ed25519")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	var stdout, stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- runServer(ctx, []string{"--listen", "127.0.0.1:0", "--host-key", hostKey,
			"--authorized-keys", authKeys, "--method", "dps", "--image", "3"},
			&stdout, &stderr, func(a net.Addr) { addrs <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case c := <-code:
		t.Fatalf("exit %d before listening: %s", c, &stderr)
	case <-time.After(serveWait):
		t.Fatal("not listening")
	}

	// Every session starts from the problem the flags describe.
	pd, err := loadPrior("mnist")
	if err != nil {
		t.Fatal(err)
	}
	a, b := dialServeTerm(t, addr.String(), key), dialServeTerm(t, addr.String(), key)
	a.waitScreen(t, "tweedie │ DPS", pd.Truths[3].Name)
	b.waitScreen(t, "tweedie │ DPS", pd.Truths[3].Name)

	cancel() // as SIGINT or SIGTERM would
	for _, st := range []*serveTerm{a, b} {
		if raw := st.waitClosed(t); !strings.Contains(raw, "tweedie: server shutting down") {
			t.Errorf("session output lacks the shutdown message: …%q", raw[max(0, len(raw)-200):])
		}
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit %d after shutdown, want 0; stderr:\n%s", c, &stderr)
		}
	case <-time.After(serveWait):
		t.Fatal("runServer did not return")
	}
	for _, want := range []string{"msg=listening", "session start", "shutting down", "reason=shutdown", "msg=stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, &stderr)
		}
	}
	if fi, err := os.Stat(hostKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("host key: %v, %v", fi, err)
	}
}

func TestServeCommandUsage(t *testing.T) {
	hostKey := filepath.Join(t.TempDir(), "k")
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:23234"}, "refusing to serve a non-loopback address without --authorized-keys"},
		{[]string{"--listen", ":0"}, "non-loopback"},
		{[]string{"--authorized-keys", "/nonexistent/keys"}, "authorized keys"},
		{[]string{"--authorized-keys", fifo}, "not a regular file (a FIFO)"},
		{[]string{"--authorized-keys", ""}, "--authorized-keys: want a file"},
		{[]string{"--authorized-keys="}, "--authorized-keys: want a file"},
		{[]string{"--max-sessions", "-1"}, "--max-sessions -1"},
		{[]string{"--max-unauthenticated", "0"}, "--max-unauthenticated 0"},
		{[]string{"--max-unauthenticated-per-source", "-2"}, "--max-unauthenticated-per-source -2"},
		{[]string{"--idle-timeout", "soon"}, "idle-timeout"},
		{[]string{"--method", "magic"}, "--method"},
		{[]string{"--op", "phase", "--method", "pig"}, "ΠG cannot serve phase"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--listen", "bad"}, "malformed address"},
		{[]string{"--listen", "127.0.0.1:port"}, "malformed port"},
		{[]string{"--image", ""}, "--image: empty value"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"serve", "--host-key", hostKey}, tc.args...)
		if c := realMain(args, &stdout, &stderr); c != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, c)
		}
		if got := stderr.String(); !strings.Contains(got, tc.want) || strings.Count(got, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", tc.args, got, tc.want)
		}
	}

	var stdout, stderr bytes.Buffer
	if c := realMain([]string{"serve", "-h"}, &stdout, &stderr); c != 0 {
		t.Errorf("serve -h: exit %d", c)
	}
	for _, want := range []string{"USAGE", "EXAMPLES", "EXIT STATUS", "-authorized-keys", "-max-sessions", "-idle-timeout", "-host-key", "-listen", "-method"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("serve -h lacks %q", want)
		}
	}
	stdout.Reset()
	realMain([]string{"-h"}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "serve ") {
		t.Error("tweedie -h does not list serve")
	}
}

// A real SIGINT to a real `tweedie serve` process.
func TestServeCommandSIGINT(t *testing.T) {
	key, authKeys := serveKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*serveWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCommandHelperProcess$", "--",
		"serve", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(t.TempDir(), "k"), "--authorized-keys", authKeys)
	cmd.Env = append(os.Environ(), "TWEEDIE_COMMAND_HELPER=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs syncLines
	addrs := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		re := regexp.MustCompile(`msg=listening addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.add(sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrs <- m[1]
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrs:
	case <-ctx.Done():
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	st := dialServeTerm(t, addr, key)
	st.waitScreen(t, "tweedie │ ΠG", "ground truth")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if raw := st.waitClosed(t); !strings.Contains(raw, "tweedie: server shutting down") {
		t.Errorf("session output lacks the shutdown message: …%q", raw[max(0, len(raw)-200):])
	}
	<-scanned
	if err := cmd.Wait(); err != nil {
		t.Errorf("server exit: %v; log:\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("log lacks msg=stopped:\n%s", logs.String())
	}
}

type syncLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLines) add(line string) {
	s.mu.Lock()
	s.b.WriteString(line + "\n")
	s.mu.Unlock()
}

func (s *syncLines) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
