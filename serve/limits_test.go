package serve

import (
	"context"
	"io"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// openTermSized is openTerm with a pseudo-terminal request of ptyW×ptyH
// cells for an emulator of w×h.
func openTermSized(t *testing.T, c *gossh.Client, w, h, ptyW, ptyH int) *term {
	t.Helper()
	return startTerm(t, c, w, h, ptyRequest{"xterm-256color", uint32(ptyW), uint32(ptyH), 0, 0, "\x00"})
}

// widest is the width in cells of the screen's longest line.
func (tm *term) widest() int {
	n := 0
	for _, line := range strings.Split(tm.screen(), "\n") {
		n = max(n, len([]rune(strings.TrimRight(line, " "))))
	}
	return n
}

// waitLog waits until the server's log contains s.
func (ts *testServer) waitLog(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(ts.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q after %v:\n%s", s, within, ts.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A client's window size, however large, is cut down to
// MaxWidth×MaxHeight, in its pty-req (4294967295×4294967295 used to exhaust
// the server's memory) and in its window changes.
func TestServeClampsWindow(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	tm := openTermSized(t, ts.connect(t, key), MaxWidth+100, MaxHeight+20, maxUint32, maxUint32)
	tm.waitScreen("tweedie │", "step 1/40")
	ts.waitLog(t, "size="+strconv.Itoa(MaxWidth)+"x"+strconv.Itoa(MaxHeight), waitLimit)
	tm.waitWidth(MaxWidth*4/5, MaxWidth)
	// A smaller window, then a huge one again (tea itself would drop this
	// one, of a million cells, as implausible: the server must not pass
	// it on uncut).
	tm.sess.WindowChange(30, 120)
	tm.waitWidth(100, 120)
	tm.sess.WindowChange(250, 4000)
	tm.waitWidth(MaxWidth*4/5, MaxWidth)
	tm.send("q")
	if code := tm.waitExit(); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// waitWidth waits until the screen's widest line is from lo to hi cells
// wide.
func (tm *term) waitWidth(lo, hi int) {
	tm.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		w := tm.widest()
		if w >= lo && w <= hi {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("widest line %d cells after %v, want %d to %d:\n%s", w, waitLimit, lo, hi, tm.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const maxUint32 = 1<<32 - 1

// rawSession opens a session with a w×h pseudo-terminal whose output is
// kept (not interpreted) and starts the explorer.
func rawSession(t *testing.T, c *gossh.Client, w, h int) (*gossh.Session, io.WriteCloser, *syncBuffer) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	sess.Stdout, sess.Stderr = out, out
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return sess, stdin, out
}

// dialRaw connects through a net.Conn the test can cut.
func (ts *testServer) dialRaw(t *testing.T, addr string, key gossh.Signer) (*gossh.Client, net.Conn) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User: "tester", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(ts.srv.HostKey()), Timeout: waitLimit,
	})
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	c := gossh.NewClient(cc, chans, reqs)
	t.Cleanup(func() { c.Close() })
	return c, conn
}

var sixelRaster = regexp.MustCompile(`\x1bP0;1;0q"1;1;(\d+);(\d+)`)

// A client that reports a huge cell size and sixel gets sixel images of
// the default cell size, and its session ends as soon as it leaves (it
// used to pin a core for good, keep its slot and delay shutdown).
func TestServeHugeCellSize(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), MaxSessions: 1})
	c, conn := ts.dialRaw(t, ts.addr, key)
	_, stdin, out := rawSession(t, c, 80, 24)
	// The replies to the explorer's queries: CSI 16 t's, then DA1 with sixel.
	io.WriteString(stdin, "\x1b[6;40000;20000t\x1b[4;800000;900000t\x1b[?62;4c")
	deadline := time.Now().Add(waitLimit)
	for len(sixelRaster.FindAllStringSubmatch(out.String(), -1)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no sixel images after %v: …%q", waitLimit, tail(out.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range sixelRaster.FindAllStringSubmatch(out.String(), -1) {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		if w%10 != 0 || h%20 != 0 || w > 800 || h > 480 {
			t.Errorf("sixel image %d×%d px: want the default 10×20 px cells in an 80×24 window", w, h)
		}
	}
	conn.Close()
	ts.waitLog(t, "session end", 5*time.Second)
	// Its slot is free again.
	tm := openTerm(t, ts.connect(t, key), 100, 30)
	tm.waitScreen("tweedie │")
}

func tail(s string) string { return s[max(0, len(s)-300):] }

// explorerGoroutines counts the goroutines running bubbletea's or
// ultraviolet's code, that is, an explorer's.
func explorerGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var stacks []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "charm.land/bubbletea") || strings.Contains(g, "charmbracelet/ultraviolet") {
			n++
			stacks = append(stacks, g)
		}
	}
	return n, strings.Join(stacks, "\n\n")
}

// waitNoExplorer waits until no explorer goroutine is left.
func waitNoExplorer(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, stacks := explorerGoroutines()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d explorer goroutines left %v after the sessions ended:\n%s", n, within, stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// proxy relays one TCP connection to addr until frozen: then it relays
// nothing more, in either direction, and closes nothing, as a client whose
// network vanished.
type proxy struct {
	addr   string
	frozen chan struct{}
	once   sync.Once
}

func startProxy(t *testing.T, addr string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), frozen: make(chan struct{})}
	done := make(chan struct{})
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	relay := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			select {
			case <-p.frozen:
				<-done
				return
			default:
			}
			if n > 0 {
				dst.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			return
		}
		mu.Lock()
		conns = append(conns, c, s)
		mu.Unlock()
		go relay(s, c)
		go relay(c, s)
	}()
	return p
}

func (p *proxy) freeze() { p.once.Do(func() { close(p.frozen) }) }

// A client that vanishes without closing its connection: once its session
// ends (here by the idle timeout), nothing of its explorer is left
// running, though the connection stays open; and its slot is free.
func TestServeVanishedClient(t *testing.T) {
	key := newKey(t)
	const idle = time.Second
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), MaxSessions: 1, IdleTimeout: idle})
	p := startProxy(t, ts.addr)
	c, _ := ts.dialRaw(t, p.addr, key)
	tm := openTerm(t, c, 100, 30)
	tm.waitScreen("tweedie │", "step 1/40")
	p.freeze()
	ts.waitLog(t, "reason=idle", waitLimit)
	waitNoExplorer(t, 2*time.Second)
	other := openTerm(t, ts.connect(t, key), 100, 30)
	other.waitScreen("tweedie │")
}

// Window changes that come as a session ends, and after, do not block
// the connection: another session on it goes on, and the first one
// closes.
func TestServeWindowChangesAfterQuit(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	c := ts.connect(t, key)
	a := openTerm(t, c, 100, 30)
	b := openTerm(t, c, 100, 30)
	a.waitScreen("tweedie │", "step 1/40")
	b.waitScreen("tweedie │", "step 1/40")
	a.send("q")
	for i := range 100000 { // until the channel closes
		if a.sess.WindowChange(30+i%2, 100) != nil {
			break
		}
	}
	a.waitExit()
	b.send("\x1b[C")
	b.waitScreen("step 2/40")
	b.send("q")
	b.waitExit()
	waitNoExplorer(t, 2*time.Second)
}

// reply sends a channel request wanting a reply and returns the reply,
// failing the test when none comes within a few seconds.
func reply(t *testing.T, sess *gossh.Session, name string, payload []byte) bool {
	t.Helper()
	type result struct {
		ok  bool
		err error
	}
	got := make(chan result, 1)
	go func() {
		ok, err := sess.SendRequest(name, true, payload)
		got <- result{ok, err}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		return r.ok
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no reply", name)
		return false
	}
}

// Requests the explorer does not serve are refused, each with a reply,
// and a session's env requests are bounded in number and size.
func TestServeRefusesRequests(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	c := ts.connect(t, key)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if reply(t, sess, "auth-agent-req@openssh.com", nil) {
		t.Error("agent forwarding accepted")
	}
	if reply(t, sess, "x11-req", gossh.Marshal(struct {
		Single        bool
		Proto, Cookie string
		Screen        uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})) {
		t.Error("X11 forwarding accepted")
	}
	if reply(t, sess, "signal", gossh.Marshal(struct{ Signal string }{"INT"})) {
		t.Error("signal accepted")
	}
	for i := range maxEnv {
		if err := sess.Setenv("V"+strconv.Itoa(i), "x"); err != nil {
			t.Fatalf("env request %d of %d: %v", i+1, maxEnv, err)
		}
	}
	if sess.Setenv("ONE_MORE", "x") == nil {
		t.Errorf("env request %d accepted", maxEnv+1)
	}
	other, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Setenv("BIG", strings.Repeat("x", maxEnvSize)) == nil {
		t.Errorf("an env request of %d bytes accepted", maxEnvSize)
	}
	if other.RequestPty(strings.Repeat("x", maxPtyRequest), 24, 80, gossh.TerminalModes{}) == nil {
		t.Errorf("a pty-req of more than %d bytes accepted", maxPtyRequest)
	}
	// The session still starts, with a pty and shell.
	tm := openTerm(t, c, 100, 30)
	tm.waitScreen("tweedie │")
}

// Window changes are not input: they do not keep a session from its idle
// timeout.
func TestServeWindowChangesAreNotInput(t *testing.T) {
	key := newKey(t)
	const idle = time.Second
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), IdleTimeout: idle})
	tm := openTerm(t, ts.connect(t, key), 100, 30)
	tm.waitScreen("tweedie │")
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(idle / 10)
		defer tick.Stop()
		for i := 0; i < 100; i++ { // 10 idle timeouts at most
			select {
			case <-stop:
				return
			case <-tick.C:
				if tm.sess.WindowChange(30, 100+i%2) != nil {
					return
				}
			}
		}
	}()
	tm.waitExit()
	if el := time.Since(start); el > 3*idle {
		t.Errorf("closed after %v of window changes, want about the idle timeout %v", el, idle)
	}
	if out := tm.output(); !strings.Contains(out, "tweedie: closing after 1s without input") {
		t.Errorf("output lacks the idle message: …%q", tail(out))
	}
}

// A client that reads none of its output: once the session's window of
// output is used up, the explorer waits on its writes for good. Ended
// (here by Shutdown), the session still closes, its connection closed
// under it after endGrace, and it leaves nothing running.
func TestServeClientReadsNothing(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	c, _ := ts.dialRaw(t, ts.addr, key)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", MaxHeight, MaxWidth, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.StdoutPipe(); err != nil { // never read
		t.Fatal(err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	// Play, in every graphics mode: far more than the 2 MB of output the
	// client lets the server send.
	io.WriteString(stdin, " ")
	for range 8 {
		time.Sleep(250 * time.Millisecond)
		io.WriteString(stdin, "g")
	}
	ts.waitLog(t, "session start", waitLimit)

	ctx, cancel := context.WithTimeout(context.Background(), endGrace+waitLimit)
	defer cancel()
	start := time.Now()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if el := time.Since(start); el > endGrace+5*time.Second {
		t.Errorf("shutdown took %v, want about endGrace %v at most", el, endGrace)
	}
	ts.waitLog(t, "reason=shutdown", time.Second)
	if !strings.Contains(ts.logs.String(), "session did not close: closing its connection") {
		// Slow runs (-race) may not have used up the window.
		t.Log("the session closed without its connection being closed: its output was not blocked")
	}
	waitNoExplorer(t, 2*time.Second)
	ts.waitServed(t, ctx)
}

// A bracketed paste, or a control sequence, that does not end does not
// grow the session's memory, and the session reads on once it ends.
func TestServeEndlessPaste(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 32 MB of each")
	}
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	// A paste and the control sequences that hold their data until they
	// end, fed 32 MB each and then ended. What the session has not read yet
	// (the channel's window of 2 MB, the reads on their way) is live too.
	for _, c := range []struct{ start, fill, end string }{
		{"\x1b[200~", "a", "\x1b[201~"},
		{"\x1b]52;c;", "QUFB", "\x07"},
		{"\x1bPq", "#", "\x1b\\"},
		{"\x1b_G", "A", "\x1b\\"},
		{"\x1b[", "1;", "c"},
	} {
		lc := ts.loadClient(t, key, 80, 24)
		lc.waitDrawn(t)
		lc.waitQuiet(t) // its run computed: the heap grows only with what it is sent
		h0 := heapAfterGC()
		io.WriteString(lc.stdin, c.start)
		chunk := strings.Repeat(c.fill, (1<<20)/len(c.fill))
		feed := func() uint64 {
			for range 16 {
				io.WriteString(lc.stdin, chunk)
			}
			return heapAfterGC()
		}
		// The first 16 MB may meet the session still filling its own
		// caches (the run's last steps, a font); the next 16 MB may not
		// grow the heap at all beyond what is on its way.
		if h1 := feed(); h1 > h0+12<<20 {
			t.Errorf("%q: live heap %s after 16 MB, %s before", c.start, mb(h1), mb(h0))
		} else if h2 := feed(); h2 > h1+4<<20 {
			t.Errorf("%q: live heap %s after 32 MB, %s after 16 MB", c.start, mb(h2), mb(h1))
		}
		io.WriteString(lc.stdin, c.end) // q is no part of it
		lc.quit(t)
	}
}

// A connection has at most maxChannels sessions open at once.
func TestServeChannelsPerConnection(t *testing.T) {
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	c := ts.connect(t, key)
	var open []*gossh.Session
	for range maxChannels {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, sess)
	}
	if _, err := c.NewSession(); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("session %d: err %v, want a refusal", maxChannels+1, err)
	}
	open[0].Close()
	deadline := time.Now().Add(waitLimit)
	for {
		sess, err := c.NewSession()
		if err == nil {
			sess.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
