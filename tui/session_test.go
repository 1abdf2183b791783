package tui

import (
	"bytes"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tweedie/tui/termcaps"
)

// keysAfterQ is an input of q and then arrow keys without end, until
// closed.
type keysAfterQ struct {
	sent   atomic.Bool
	closed chan struct{}
}

func (k *keysAfterQ) Read(p []byte) (int, error) {
	select {
	case <-k.closed:
		return 0, io.EOF
	default:
	}
	if !k.sent.Swap(true) {
		return copy(p, "q"), nil
	}
	time.Sleep(time.Millisecond)
	return copy(p, strings.Repeat("\x1b[C", len(p)/3)), nil
}

// teaGoroutines counts the goroutines running bubbletea's or
// ultraviolet's code.
func teaGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "charm.land/bubbletea") || strings.Contains(g, "charmbracelet/ultraviolet") {
			n++
		}
	}
	return n
}

// Input that keeps coming as the explorer quits leaves no reader behind
// once the input ends (bubbletea's own reader blocked for good, holding
// the session).
func TestSessionInputAfterQuit(t *testing.T) {
	base := teaGoroutines()
	in := &keysAfterQ{closed: make(chan struct{})}
	s, err := NewSession(testOptions(), Terminal{
		Input: in, Output: io.Discard, Environ: []string{"TERM=xterm-256color"}, Width: 80, Height: 24,
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run() }()
	select {
	case <-ran:
	case <-time.After(maxWait(t)):
		t.Fatal("Run did not return after q")
	}
	close(in.closed)
	deadline := time.Now().Add(2 * time.Second)
	for teaGoroutines() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of bubbletea or ultraviolet left, %d before", teaGoroutines(), base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is an output a test reads while the session writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The terminal's CSI 16 t reply reaches a session through its input and
// sizes its sixel images, over the cell size the client reported.
func TestSessionCellSizeReply(t *testing.T) {
	opts := testOptions()
	opts.Graphics = termcaps.Sixel
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &lockedBuffer{}
	s, err := NewSession(opts, Terminal{
		Input: pr, Output: out, Environ: []string{"TERM=xterm-256color"}, Width: 100, Height: 30,
		Cell: termcaps.Size{W: 10, H: 20},
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run() }()
	go io.WriteString(pw, "\x1b[6;17;8t") // cells of 8×17 pixels
	raster := regexp.MustCompile(`\x1bP0;1;0q"1;1;(\d+);(\d+)`)
	deadline := time.Now().Add(maxWait(t))
	for {
		ok, n := true, 0
		for _, m := range raster.FindAllStringSubmatch(out.String(), -1) {
			w, _ := strconv.Atoi(m[1])
			h, _ := strconv.Atoi(m[2])
			ok = ok && w%8 == 0 && h%17 == 0
			n++
		}
		if ok && n >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sixel images not sized for 8×17-pixel cells after %v: %q", maxWait(t), raster.FindAllString(out.String(), -1))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Quit()
	<-ran
}
