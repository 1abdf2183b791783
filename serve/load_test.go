package serve

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"tweedie/tui/inputfilter"
)

// heapAfterGC is the live heap, in bytes.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// loadClient is a session whose output is counted and dropped: the test
// process's own memory is then the server's.
type loadClient struct {
	c     *gossh.Client
	conn  net.Conn
	sess  *gossh.Session
	stdin io.WriteCloser
	out   *countWriter
	done  chan struct{}
}

type countWriter struct {
	mu sync.Mutex
	n  int
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.n += len(p)
	w.mu.Unlock()
	return len(p), nil
}

func (w *countWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (ts *testServer) loadClient(t *testing.T, key gossh.Signer, w, h int) *loadClient {
	t.Helper()
	c, conn := ts.dialRaw(t, ts.addr, key)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	lc := &loadClient{c: c, conn: conn, sess: sess, out: &countWriter{}, done: make(chan struct{})}
	if lc.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	sess.Stdout, sess.Stderr = lc.out, lc.out
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { sess.Wait(); close(lc.done) }()
	return lc
}

// waitDrawn waits until the session has drawn its screen, detection
// (which these clients do not answer) included.
func (lc *loadClient) waitDrawn(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for lc.out.count() < 1000 {
		if time.Now().After(deadline) {
			t.Fatal("no output")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitQuiet waits until the session has drawn nothing for 300 ms.
func (lc *loadClient) waitQuiet(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for n := -1; n != lc.out.count(); {
		if time.Now().After(deadline) {
			t.Fatal("still drawing")
		}
		n = lc.out.count()
		time.Sleep(300 * time.Millisecond)
	}
}

// quit quits with q and hangs up. It waits first for the explorer's input
// filter to give up on a sequence left unfinished (keysForLoad's "\x1b[",
// say), which would take the q in.
func (lc *loadClient) quit(t *testing.T) {
	t.Helper()
	time.Sleep(3 * inputfilter.EscTimeout)
	io.WriteString(lc.stdin, "q")
	select {
	case <-lc.done:
	case <-time.After(waitLimit):
		t.Fatal("session did not end after q")
	}
	lc.c.Close()
}

// perSession is the live heap a session of w×h cells adds, measured over
// n sessions once drawn.
func perSession(t *testing.T, ts *testServer, key gossh.Signer, n, w, h int) uint64 {
	t.Helper()
	before := heapAfterGC()
	cs := make([]*loadClient, n)
	for i := range cs {
		cs[i] = ts.loadClient(t, key, w, h)
	}
	for _, c := range cs {
		c.waitDrawn(t)
	}
	time.Sleep(2 * time.Second) // detection times out; a few frames
	after := heapAfterGC()
	for _, c := range cs {
		c.quit(t)
	}
	if after < before {
		return 0
	}
	return (after - before) / uint64(n)
}

// waitGoroutines waits up to 2 s for the goroutines to come down to at
// most n.
func waitGoroutines(n int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHeap waits up to 2 s for the live heap to come down to at most n
// bytes (runs cancelled may finish a step first).
func waitHeap(n uint64) uint64 {
	deadline := time.Now().Add(2 * time.Second)
	for {
		h := heapAfterGC()
		if h <= n || time.Now().After(deadline) {
			return h
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keysForLoad are explorer keys and bytes that are no keys (never q or
// ctrl+c).
var keysForLoad = []string{
	"\x1b[C", "\x1b[D", "[", "]", "\x1b[5~", "\x1b[6~", "\x1b[H", "\x1b[F", " ", "+", "-", "m", "s", "S",
	"r", "R", "a", "z", "Z", "o", "n", "p", "e", "c", "l", "g", "?", "\x1b", "\x1b[", "\x1b[99;", "\xff\xfe", "x",
}

// Sessions hammered with keys and window changes, then left (some with q,
// some by dropping the connection), leave no goroutine and no memory
// behind.
func TestServeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test of several seconds")
	}
	if raceEnabled {
		t.Skip("under the race detector the explorer is too slow for this load: its backlog outlasts the test's waits")
	}
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key)})
	warm := ts.loadClient(t, key, 80, 24) // package-level caches fill
	warm.waitDrawn(t)
	warm.quit(t)
	waitGoroutines(0)
	g0, h0 := runtime.NumGoroutine(), heapAfterGC()

	small := perSession(t, ts, key, 3, 80, 24)
	large := perSession(t, ts, key, 2, MaxWidth, MaxHeight)

	const n, runFor = 5, 3 * time.Second
	cs := make([]*loadClient, n)
	for i := range cs {
		cs[i] = ts.loadClient(t, key, 80+20*i, 24+6*i)
	}
	var wg sync.WaitGroup
	stop := time.Now().Add(runFor)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for time.Now().Before(stop) {
				if r.IntN(8) == 0 {
					c.sess.WindowChange(1+r.IntN(2*MaxHeight), 1+r.IntN(2*MaxWidth))
				} else {
					io.WriteString(c.stdin, keysForLoad[r.IntN(len(keysForLoad))])
				}
				time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond)
			}
		}()
	}
	var peak uint64
	for time.Now().Before(stop) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	for _, c := range cs {
		c.waitQuiet(t) // the backlog of keys is worked off
	}
	for i, c := range cs {
		if i%2 == 0 {
			c.conn.Close() // gone without a word
		} else {
			c.quit(t)
		}
	}
	const heapSlack = 8 << 20
	g := waitGoroutines(g0 + 2)
	h := waitHeap(h0 + heapSlack)
	t.Logf("live heap: baseline %s; a session adds %s at 80×24, %s at %d×%d; peak under load (%d sessions) %s; after they left %s",
		mb(h0), mb(small), mb(large), MaxWidth, MaxHeight, n, mb(peak), mb(h))
	t.Logf("goroutines: baseline %d, after the sessions left %d", g0, g)
	if g > g0+2 {
		n, stacks := explorerGoroutines()
		t.Errorf("%d goroutines after the sessions left, baseline %d (%d of explorers):\n%s", g, g0, n, stacks)
	}
	if h > h0+heapSlack {
		_, stacks := explorerGoroutines()
		t.Errorf("live heap %s after the sessions left, baseline %s; goroutines:\n%s", mb(h), mb(h0), stacks)
	}
}
