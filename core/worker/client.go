package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tweedie/core/budget"
	"tweedie/core/denoiser"
)

// Options configure a worker process.
type Options struct {
	// Start bounds the time to the handshake (loading a model, an SSH
	// login); Call bounds each request. Zero means the defaults.
	Start, Call time.Duration
	// Queue bounds the requests in flight (default 64): further callers wait.
	Queue int
	// Log, when not nil, receives the worker's stderr line by line.
	Log io.Writer
	// MaxNumbers, when positive, is the most numbers (H·W·C) the image a
	// worker declares may have: what the memory budget holds a run of
	// (below the protocol's MaxPixels).
	MaxNumbers int
	// Budget, when not nil, is where the worker's frame buffers are
	// reserved (FrameBytes and two rows of the image at most, each way).
	Budget *budget.Budget
}

// Defaults.
const (
	DefaultStart = 120 * time.Second
	DefaultCall  = 60 * time.Second
	DefaultQueue = 64
	stderrLines  = 2
)

// EnvWorkerID is the environment variable that holds a worker's id in
// its environment and so in its descendants': what finds a process the
// worker started once it has left the worker's process group and tree
// (tree_linux.go).
const EnvWorkerID = "TWEEDIE_WORKER_ID"

// workerCount numbers the workers of the process, for their ids.
var workerCount atomic.Uint64

// Client is one worker process. Its methods are safe for concurrent use:
// requests are multiplexed by id.
type Client struct {
	command string
	id      string // EnvWorkerID's value
	opts    Options
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	stderr  *tail
	hello   *Header
	d       int
	frames  *budget.Reservation // the frame buffers' share of Options.Budget

	wmu  sync.Mutex // serialises frames on stdin
	wbuf []byte

	mu      sync.Mutex
	pending map[uint64]*call

	nextID atomic.Uint64
	// compute sums the model's time the worker reported (nanoseconds).
	compute atomic.Int64
	queue   chan struct{}

	dead     chan struct{} // closed by fail
	failOnce sync.Once
	err      error
	exited   chan struct{} // closed when the process has been waited for
	waitErr  error
	// stderrDone is closed when the worker's stderr is closed.
	stderrDone chan struct{}
}

// call is a request waiting for its reply.
type call struct {
	op      string
	rows    int
	tensors int
	// dst or dst32 (a Denoise32 call) receives the result.
	dst   [][]float64
	dst32 [][]float32
	done  chan error // buffered: the reader never blocks
}

// Start runs command with `sh -c` and performs the handshake within
// opts.Start. The child gets its own process group, killed by Close, by a
// fatal error or (on Linux) when tweedie dies. On Linux every process the
// worker started ends with it, whatever its session (tree_linux.go).
func Start(ctx context.Context, command string, opts Options) (*Client, error) {
	if strings.TrimSpace(command) == "" {
		return nil, errors.New("remote worker: empty command")
	}
	if opts.Start <= 0 {
		opts.Start = DefaultStart
	}
	if opts.Call <= 0 {
		opts.Call = DefaultCall
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	c := &Client{
		command: command, opts: opts,
		stderr:  &tail{log: opts.Log},
		pending: map[uint64]*call{},
		queue:   make(chan struct{}, opts.Queue),
		dead:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	startSetup()
	c.id = fmt.Sprintf("%d.%d", os.Getpid(), workerCount.Add(1))
	c.cmd = exec.Command("/bin/sh", "-c", shellScript(command))
	c.cmd.SysProcAttr = sysProcAttr()
	c.cmd.Env = append(os.Environ(), EnvWorkerID+"="+c.id)
	// Our own pipes for stdout and stderr, so that the process's exit is
	// seen at once even when something it started holds them open.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return nil, err
	}
	growPipe(inW)
	growPipe(outW)
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, errW
	c.stdin, c.stdout = inW, outR
	err = c.cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, &Error{Command: command, Msg: "could not start: " + err.Error(), Err: err}
	}
	c.stderrDone = make(chan struct{})
	go func() {
		_, _ = io.Copy(c.stderr, errR)
		errR.Close()
		close(c.stderrDone)
	}()
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
		c.fail(errors.New(c.exitMsg()))
		outR.Close()
	}()
	ready := make(chan error, 1)
	go c.read(ready)

	tctx, cancel := context.WithTimeout(ctx, opts.Start)
	defer cancel()
	h := &Header{Op: OpHello, ID: c.nextID.Add(1), Version: Version}
	if err := c.write(h); err != nil {
		c.sendFailed("the handshake", err)
		return nil, c.err
	}
	select {
	case err := <-ready:
		if err != nil {
			c.fail(err)
			return nil, c.err
		}
	case <-c.dead:
		return nil, c.err
	case <-tctx.Done():
		if ctx.Err() != nil {
			c.fail(ctx.Err())
		} else {
			c.fail(fmt.Errorf("gave no handshake within %v", opts.Start))
		}
		return nil, c.err
	}
	return c, nil
}

// shellScript is command for sh -c, prefixed with exec when it is one
// simple command: the worker is then sh's own process, which the kernel
// kills should tweedie die (Linux), rather than a child of a shell.
func shellScript(command string) string {
	f := strings.Fields(command)
	if strings.ContainsAny(command, ";&|<>()$`\\\n{}*?!#~") || len(f) == 0 || strings.Contains(f[0], "=") {
		return command
	}
	switch f[0] {
	case "exec", "cd", "time", "ulimit", "umask", "export", "set", "source", ".", "eval", "if", "while", "for", "case", "until", "command":
		return command
	}
	return "exec " + command
}

// Hello returns the worker's handshake.
func (c *Client) Hello() *Header { return c.hello }

// Err returns the error that ended the worker, or nil while it runs.
func (c *Client) Err() error {
	select {
	case <-c.dead:
		return c.err
	default:
		return nil
	}
}

// Close asks the worker to shut down, and kills its process group if it
// has not exited within a second. It is safe to call more than once.
func (c *Client) Close() error {
	select {
	case <-c.dead:
	default:
		go func() {
			_ = c.write(&Header{Op: OpShutdown, ID: c.nextID.Add(1)})
			_ = c.stdin.Close()
		}()
		select {
		case <-c.exited:
		case <-time.After(time.Second):
		}
	}
	c.fail(errors.New("was closed"))
	<-c.exited
	return nil
}

// fail ends the worker with err (the first error wins): every waiting call
// gets it, and the worker and what it started are killed.
func (c *Client) fail(err error) {
	c.failOnce.Do(func() {
		c.err = c.describe(err)
		close(c.dead)
		exited := false
		select {
		case <-c.exited:
			exited = true
		default:
		}
		endProcesses(c.cmd, c.id, exited)
		c.frames.Release()
		_ = c.stdin.Close()
		c.mu.Lock()
		for id, cl := range c.pending {
			cl.done <- c.err
			delete(c.pending, id)
		}
		c.mu.Unlock()
	})
}

// describe makes err one line: what happened to the worker first (the
// exit status when it has exited, its last lines of stderr), its command
// last, so that a notice cut to the width of a terminal keeps the cause.
func (c *Client) describe(err error) error {
	msg := err.Error()
	if last := c.stderr.last(); last != "" {
		msg += "; its stderr: " + last
	}
	return &Error{Command: c.command, Msg: msg, Err: err}
}

// Error is a worker's failure: Msg what happened ("exited (exit status
// 1); its stderr: …"), read after "the worker".
type Error struct {
	Command, Msg string
	Err          error
}

func (e *Error) Error() string {
	return fmt.Sprintf("the worker %s (remote worker `%s`)", e.Msg, e.Command)
}
func (e *Error) Unwrap() error { return e.Err }

func (c *Client) write(h *Header, tensors ...[]float64) error {
	return writeFrame(c, h, tensors...)
}

func writeFrame[T Float](c *Client, h *Header, tensors ...[]T) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	payload := 0
	for _, t := range tensors {
		payload += 4 * len(t)
	}
	// One allocation of the frame's size (the header is well below 4 KiB),
	// not the doublings of append.
	c.wbuf = slices.Grow(c.wbuf[:0], 4<<10+payload)
	var err error
	c.wbuf, err = appendFrame(c.wbuf, h, tensors...)
	if err != nil {
		return err
	}
	_, err = c.stdin.Write(c.wbuf)
	if cap(c.wbuf) > 1<<22 {
		c.wbuf = nil // keep no large buffer between calls
	}
	return err
}

// read is the reader goroutine: it decodes every frame from the worker and
// hands each result to its call. Any malformed frame ends the worker.
func (c *Client) read(ready chan<- error) {
	r := bufio.NewReaderSize(c.stdout, 1<<16)
	var hbuf, pbuf []byte
	var h *Header
	var err error
	// The handshake.
	if h, hbuf, err = ReadHeader(r, hbuf); err != nil {
		ready <- c.readErr("before the handshake", err)
		return
	}
	if err := CheckHello(h); err != nil {
		ready <- err
		return
	}
	if _, err := h.PayloadLen(0, 0); err != nil {
		ready <- fmt.Errorf("handshake with a payload: %v", err)
		return
	}
	d := h.Image[0] * h.Image[1] * h.Image[2]
	if most := c.opts.MaxNumbers; most > 0 && d > most {
		ready <- fmt.Errorf("declared an image of %d×%d×%d = %d numbers; tweedie's memory budget holds a run on at most %d (docs/worker.md)",
			h.Image[0], h.Image[1], h.Image[2], d, most)
		return
	}
	h.MaxBatch = min(h.MaxBatch, denoiser.MaxBatch, FrameRows(d))
	frames, err := c.opts.Budget.Reserve("the frames of a worker", FrameBufferBytes(d, h.MaxBatch))
	if err != nil {
		ready <- err
		return
	}
	c.frames = frames
	c.hello = h
	c.d = d
	ready <- nil
	for {
		if h, hbuf, err = ReadHeader(r, hbuf); err != nil {
			c.fail(c.readErr("", err))
			return
		}
		n, err := h.PayloadLen(c.hello.MaxBatch, c.d)
		if err != nil {
			c.fail(fmt.Errorf("broke the protocol: reply to request %d (%s): %v", h.ID, h.Op, err))
			return
		}
		c.mu.Lock()
		cl := c.pending[h.ID]
		delete(c.pending, h.ID)
		c.mu.Unlock()
		if cl == nil { // cancelled, or a stray
			if err := Discard(r, n); err != nil {
				c.fail(c.readErr("", err))
				return
			}
			continue
		}
		switch h.Op {
		case OpError:
			var e error = &RequestError{Command: c.command, Op: cl.op, Msg: "the worker's error: " + h.Error, Code: h.Code}
			if h.Code == CodeStale {
				e = errStale
			}
			if err := Discard(r, n); err != nil {
				c.failCall(cl, c.readErr("", err))
				return
			}
			cl.done <- e
		case OpResult:
			if h.Tensors != cl.tensors || h.Shape[0] != cl.rows {
				err := fmt.Errorf("answered %s of %d rows with %d tensor(s) of shape %v, want %d of [%d, %d]",
					cl.op, cl.rows, h.Tensors, h.Shape, cl.tensors, cl.rows, c.d)
				c.failCall(cl, err)
				return
			}
			if h.Seconds > 0 && h.Seconds < 1e6 {
				c.compute.Add(int64(h.Seconds * 1e9))
			}
			var bad *RequestError
			if cl.dst32 != nil {
				pbuf, err = readTensors(r, pbuf, cl.dst32...)
				bad = checkFinite(cl.op, cl.dst32)
			} else {
				pbuf, err = readTensors(r, pbuf, cl.dst...)
				bad = checkFinite(cl.op, cl.dst)
			}
			if cap(pbuf) > 1<<22 {
				pbuf = nil
			}
			if err != nil {
				c.failCall(cl, c.readErr("", err))
				return
			}
			if err := bad; err != nil {
				err.Command = c.command
				cl.done <- err
			} else {
				cl.done <- nil
			}
		default:
			c.failCall(cl, fmt.Errorf("answered request %d with op %q", h.ID, h.Op))
			return
		}
	}
}

// failCall ends the worker with err, and gives the call the reader had
// taken the same error.
func (c *Client) failCall(cl *call, err error) {
	c.fail(err)
	cl.done <- c.err
}

func (c *Client) readErr(when string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
		// The worker closed its stdout: give it a moment to exit by itself,
		// for its status.
		select {
		case <-c.exited:
		case <-time.After(300 * time.Millisecond):
			return errors.New("closed its stdout " + when)
		}
		msg := c.exitMsg()
		if when != "" {
			msg += " " + when
		}
		return errors.New(msg)
	}
	return fmt.Errorf("broke the protocol: %v", err)
}

// exitMsg describes the exit of the worker, once it has exited, after
// waiting briefly for the last of its stderr.
func (c *Client) exitMsg() string {
	select {
	case <-c.stderrDone:
	case <-time.After(200 * time.Millisecond):
	}
	if c.waitErr != nil {
		return fmt.Sprintf("exited (%v)", c.waitErr)
	}
	return "exited"
}

// checkFinite refuses NaN and infinities in a reply.
func checkFinite[T Float](op string, ts [][]T) *RequestError {
	for _, t := range ts {
		for i, v := range t {
			if x := float64(v); math.IsNaN(x) || math.IsInf(x, 0) {
				return &RequestError{Op: op, Msg: fmt.Sprintf("the worker returned %v at index %d", v, i)}
			}
		}
	}
	return nil
}

// RequestError is a request the worker answered with an error (or with
// numbers that are not finite); the worker itself goes on. Its message
// puts the request and the cause first, the worker's command last.
type RequestError struct {
	Command, Op, Msg, Code string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%s: %s (remote worker `%s`)", e.Op, e.Msg, e.Command)
}

var errStale = denoiser.ErrStale

// Do sends one request with its tensors and waits for its reply, which is
// decoded into dst (rows rows each). It returns ctx's error when cancelled
// (the worker is told), and the worker's error when it has failed; a call
// unanswered within Options.Call ends the worker.
func (c *Client) Do(ctx context.Context, h *Header, rows int, dst [][]float64, tensors ...[]float64) error {
	cl := &call{op: h.Op, rows: rows, tensors: len(dst), dst: dst}
	return c.do(ctx, h, cl, func() error { return c.write(h, tensors...) })
}

// Do32 is Do with float32 tensors, sent and received as they are.
func (c *Client) Do32(ctx context.Context, h *Header, rows int, dst [][]float32, tensors ...[]float32) error {
	cl := &call{op: h.Op, rows: rows, tensors: len(dst), dst32: dst}
	return c.do(ctx, h, cl, func() error { return writeFrame(c, h, tensors...) })
}

// do sends the request h by write and waits for its call cl.
func (c *Client) do(ctx context.Context, h *Header, cl *call, write func() error) error {
	if err := c.Err(); err != nil {
		return err
	}
	select {
	case c.queue <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.dead:
		return c.err
	}
	defer func() { <-c.queue }()
	h.ID = c.nextID.Add(1)
	cl.done = make(chan error, 1)
	c.mu.Lock()
	c.pending[h.ID] = cl
	c.mu.Unlock()
	timer := time.NewTimer(c.opts.Call)
	defer timer.Stop()
	if err := write(); err != nil {
		c.sendFailed(h.Op, err)
		return c.err
	}
	select {
	case err := <-cl.done:
		return err
	case <-ctx.Done():
	case <-timer.C:
		c.fail(fmt.Errorf("gave no answer to %s (%d rows) within %v", h.Op, cl.rows, c.opts.Call))
		return c.err
	case <-c.dead:
		return c.err
	}
	// Cancelled: withdraw the call unless the reader is already decoding it.
	c.mu.Lock()
	_, waiting := c.pending[h.ID]
	delete(c.pending, h.ID)
	c.mu.Unlock()
	if waiting {
		go c.write(&Header{Op: OpCancel, ID: c.nextID.Add(1), Point: h.ID})
		return ctx.Err()
	}
	select {
	case <-cl.done:
	case <-timer.C:
		c.fail(fmt.Errorf("gave no answer to %s (%d rows) within %v", h.Op, cl.rows, c.opts.Call))
	case <-c.dead:
	}
	return ctx.Err()
}

// Send sends a request that has no reply (release, cancel).
func (c *Client) Send(h *Header) {
	if c.Err() != nil {
		return
	}
	h.ID = c.nextID.Add(1)
	if err := c.write(h); err != nil {
		c.sendFailed(h.Op, err)
	}
}

// sendFailed ends the worker after a failed write: most often it has
// exited, which its exit status says better than a broken pipe.
func (c *Client) sendFailed(op string, err error) {
	select {
	case <-c.dead:
	case <-time.After(300 * time.Millisecond):
	}
	c.fail(fmt.Errorf("could not send %s: %w", op, err))
}

// tail keeps the last lines a worker wrote to stderr and logs them all.
type tail struct {
	mu    sync.Mutex
	log   io.Writer
	lines []string
	part  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.log != nil {
		_, _ = t.log.Write(p)
	}
	t.part = append(t.part, p...)
	for {
		i := strings.IndexByte(string(t.part), '\n')
		if i < 0 {
			break
		}
		t.push(string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	if len(t.part) > 4096 { // a very long line: keep its end
		t.part = append(t.part[:0], t.part[len(t.part)-1024:]...)
	}
	return len(p), nil
}

func (t *tail) push(line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	if len(line) > 300 {
		line = "…" + line[len(line)-300:]
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > stderrLines {
		t.lines = t.lines[len(t.lines)-stderrLines:]
	}
}

// last returns the last lines joined by " | ".
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if p := strings.TrimSpace(string(t.part)); p != "" {
		lines = append(lines[:len(lines):len(lines)], p)
	}
	return strings.Join(lines, " | ")
}
