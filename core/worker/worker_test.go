package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"tweedie/core/budget"
	"tweedie/core/denoiser"
	"tweedie/core/run"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

func TestMain(m *testing.M) {
	workertest.Main()
	code := m.Run()
	if workerFilesMade { // the Python tests' files
		dir, _ := workerFiles()
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// fakeCommand is the command that runs this test binary as a fake worker.
func fakeCommand(t testing.TB, mode string) string {
	t.Helper()
	cmd, err := workertest.Command(mode)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// groupGone waits until the process group of pid has no process left.
func groupGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if err := syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still has processes", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func start(t *testing.T, mode string, opts worker.Options) *worker.Remote {
	t.Helper()
	r, err := worker.StartRemote(context.Background(), fakeCommand(t, mode), 1, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRoundTrip(t *testing.T) {
	r := start(t, workertest.OK, worker.Options{})
	if s := r.ImageShape(); s.Len() != 16 {
		t.Fatalf("shape %v", s)
	}
	if T := r.Schedule().T(); T != 1000 || r.Schedule().AlphaBar[0] != 1 {
		t.Fatalf("schedule T = %d", T)
	}
	dn, ok := r.NewDenoiser().(denoiser.Differentiable)
	if !ok {
		t.Fatal("not differentiable")
	}
	ctx := context.Background()
	const b, d = 7, 16 // more rows than the worker's max batch of 3
	xt, v := make([]float64, b*d), make([]float64, b*d)
	for i := range xt {
		xt[i], v[i] = math.Sin(float64(i)), math.Cos(float64(3*i))
	}
	ab := 0.3
	got, want := make([]float64, b*d), make([]float64, b*d)
	pt, err := dn.Linearize(ctx, got, xt, ab)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < b; i++ {
		workertest.Fake(want[i*d:(i+1)*d], xt[i*d:(i+1)*d], ab, false)
	}
	close32(t, "x̂0", got, want)
	if err := pt.VJP(ctx, got, v); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < b; i++ {
		workertest.Fake(want[i*d:(i+1)*d], v[i*d:(i+1)*d], ab, true)
	}
	close32(t, "Jᵀv", got, want)
	// A second VJP at the same point, then the point goes stale.
	if err := pt.VJP(ctx, got, v); err != nil {
		t.Fatal(err)
	}
	if err := dn.Denoise(ctx, got, xt, ab); err != nil {
		t.Fatal(err)
	}
	if err := pt.VJP(ctx, got, v); !errors.Is(err, denoiser.ErrStale) {
		t.Fatalf("VJP at an old point: %v, want ErrStale", err)
	}
	// One forward pass for both.
	g2 := make([]float64, b*d)
	if err := dn.(worker.DiffDenoiser).DenoiseVJP(ctx, got, g2, xt, v, ab); err != nil {
		t.Fatal(err)
	}
	close32(t, "Jᵀv of denoise_vjp", g2, want)
}

func close32(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestFaults: each failure gives one line with the command and the
// worker's last stderr, and leaves no process behind.
func TestFaults(t *testing.T) {
	defer func(d time.Duration) { worker.RestartEvery = d }(worker.RestartEvery)
	worker.RestartEvery = time.Hour // see the failure again, not a new worker
	short := worker.Options{Start: 5 * time.Second, Call: 500 * time.Millisecond}
	for _, c := range []struct {
		mode    string
		atStart bool
		want    []string
	}{
		{workertest.Exit, true, []string{"exited (exit status 3)", "model.pt not found"}},
		{workertest.HangHello, true, []string{"gave no handshake within"}},
		{workertest.Garbage, true, []string{"header of", "something else to stdout"}},
		{workertest.ExitLater, false, []string{"exit status 1", "CUDA out of memory"}},
		{workertest.SSHLost, false, []string{"exit status 255", "Broken pipe"}},
		{workertest.Hang, false, []string{"gave no answer to denoise (1 rows) within 500ms"}},
		{workertest.Shape, false, []string{"answered denoise of 1 rows with 1 tensor(s) of shape [2 16]"}},
		{workertest.NaN, false, []string{"NaN at index 0"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			opts := short
			if c.mode == workertest.HangHello {
				opts.Start = 500 * time.Millisecond
			}
			// sleep in the background: a grandchild that must go too.
			cmd := "sleep 60 & " + fakeCommand(t, c.mode)
			r, err := worker.StartRemote(context.Background(), cmd, 1, opts)
			if c.atStart {
				if err == nil {
					r.Close()
					t.Fatal("started")
				}
				checkMsg(t, err, cmd, c.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			pid := worker.PID(r, 0)
			dn := r.NewDenoiser()
			x := make([]float64, 16)
			start := time.Now()
			err = dn.Denoise(context.Background(), make([]float64, 16), x, 0.5)
			if err == nil {
				t.Fatal("no error")
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			checkMsg(t, err, "", c.want)
			if c.mode != workertest.NaN {
				groupGone(t, pid)
				// Later calls fail at once with the same error.
				if err2 := dn.Denoise(context.Background(), make([]float64, 16), x, 0.5); err2 == nil || err2.Error() != err.Error() {
					t.Errorf("second call: %v", err2)
				}
			}
			r.Close()
			groupGone(t, pid)
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := worker.StartRemote(context.Background(), "/nonexistent/tweedie-worker --model x", 1, short)
		checkMsg(t, err, "/nonexistent/tweedie-worker", []string{"exit status 127", "not found"})
	})
}

func checkMsg(t *testing.T, err error, cmd string, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("message of more than one line: %q", msg)
	}
	// The cause first, the worker's command last: a notice cut to the
	// terminal's width keeps the cause.
	if i := strings.LastIndex(msg, " (remote worker `"); i < 0 || !strings.HasSuffix(msg, "`)") {
		t.Errorf("message %q does not end by naming the worker", msg)
	} else {
		for _, w := range want {
			if !strings.Contains(msg[:i], w) {
				t.Errorf("message %q lacks %q before the command", msg, w)
			}
		}
	}
	if cmd != "" && !strings.Contains(msg, cmd) {
		t.Errorf("message %q does not name the command", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
}

// TestCancel: a cancelled call returns at once and the worker goes on.
func TestCancel(t *testing.T) {
	r := start(t, workertest.Slow, worker.Options{})
	dn := r.NewDenoiser()
	x, dst := make([]float64, 16), make([]float64, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if err := dn.Denoise(ctx, dst, x, 0.5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled call: %v", err)
	}
	if el := time.Since(t0); el > time.Second { // the worker takes 1.5 s
		t.Errorf("cancel took %v", el)
	}
	if err := dn.Denoise(context.Background(), dst, x, 0.5); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
}

// TestClose: closing ends the worker and its group.
func TestClose(t *testing.T) {
	r, err := worker.StartRemote(context.Background(), "sleep 60 & "+fakeCommand(t, workertest.OK), 2, worker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{worker.PID(r, 0), worker.PID(r, 1)}
	r.Close()
	for _, p := range pids {
		groupGone(t, p)
	}
	if err := r.NewDenoiser().Denoise(context.Background(), make([]float64, 16), make([]float64, 16), 0.5); err == nil {
		t.Error("a closed worker answered")
	}
}

// TestConcurrent: denoisers on several goroutines share one worker.
func TestConcurrent(t *testing.T) {
	r := start(t, workertest.OK, worker.Options{Queue: 2})
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			dn := r.NewDenoiser().(denoiser.Differentiable)
			x := make([]float64, 16)
			for i := range x {
				x[i] = float64(g + i)
			}
			got, want := make([]float64, 16), make([]float64, 16)
			for k := 0; k < 20; k++ {
				pt, err := dn.Linearize(context.Background(), got, x, 0.5)
				if err == nil {
					err = pt.VJP(context.Background(), got, x)
				}
				if err != nil {
					errs <- err
					return
				}
				workertest.Fake(want, x, 0.5, true)
				if !bytes.Equal([]byte(fmt.Sprint(float32s(got))), []byte(fmt.Sprint(float32s(want)))) {
					errs <- fmt.Errorf("goroutine %d: got %v want %v", g, got, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func float32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestWorkersSameRun: a run is the same whatever the number of workers.
func TestWorkersSameRun(t *testing.T) {
	var finals [][]float64
	for _, n := range []int{1, 3} {
		r, err := worker.StartRemote(context.Background(), fakeCommand(t, workertest.OK), n, worker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s := run.DefaultSettings()
		s.Op, s.Steps, s.Method = "inpaint-box:size=2", 20, "dps"
		truth := make([]float64, 16)
		for i := range truth {
			truth[i] = math.Sin(float64(i))
		}
		// Several runners, as the explorer and the particle methods make,
		// their denoisers spread over the workers.
		for k := 0; k < 3; k++ {
			prob, cfg, err := s.Build(r, truth)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Seed = uint64(k)
			rn, err := run.New(prob, cfg)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := rn.Run(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			finals = append(finals, tr.Final)
		}
	}
	for k := 0; k < 3; k++ {
		if fmt.Sprint(finals[k]) != fmt.Sprint(finals[3+k]) {
			t.Errorf("seed %d: the run on 3 workers differs from the run on 1", k)
		}
	}
}

// TestRestart: a worker that died is started again by the next call.
func TestRestart(t *testing.T) {
	r := start(t, workertest.OK, worker.Options{})
	dn := r.NewDenoiser()
	x, dst := make([]float64, 16), make([]float64, 16)
	ctx := context.Background()
	if err := dn.Denoise(ctx, dst, x, 0.5); err != nil {
		t.Fatal(err)
	}
	pid := worker.PID(r, 0)
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for r.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "signal: killed") {
		t.Fatalf("after the kill: %v", err)
	}
	if err := dn.Denoise(ctx, dst, x, 0.5); err != nil {
		t.Fatalf("no restart: %v", err)
	}
	if p := worker.PID(r, 0); p == pid {
		t.Fatal("the same process")
	}
	groupGone(t, pid)
	p2 := worker.PID(r, 0)
	r.Close()
	groupGone(t, p2)
}

// TestFramesWithinBudget: a worker of a large image gets requests of at
// most FrameRows rows (the fake declares max_batch 3), its frame buffers
// are reserved from the budget while it runs and given back when it ends,
// and an image beyond Options.MaxNumbers is refused at the handshake.
func TestFramesWithinBudget(t *testing.T) {
	cmd, err := workertest.Command(workertest.OK, workertest.EnvShape+"=1024x1024x1")
	if err != nil {
		t.Fatal(err)
	}
	b := budget.New(1 << 30)
	r, err := worker.StartRemote(context.Background(), cmd, 1, worker.Options{Budget: b, MaxNumbers: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	d := 1 << 20
	if rows := r.Hello().MaxBatch; rows != worker.FrameRows(d) || rows != 2 {
		t.Errorf("max_batch %d, want FrameRows = 2", rows)
	}
	if used := b.Limit() - b.Free(); used != worker.FrameBufferBytes(d, 2) {
		t.Errorf("%d bytes reserved, want %d", used, worker.FrameBufferBytes(d, 2))
	}
	x, dst := make([]float64, 5*d), make([]float64, 5*d) // 5 rows: 3 requests
	if err := r.NewDenoiser().Denoise(context.Background(), dst, x, 0.5); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if b.Free() != b.Limit() {
		t.Errorf("%d bytes still reserved after Close", b.Limit()-b.Free())
	}
	_, err = worker.StartRemote(context.Background(), cmd, 1, worker.Options{Budget: b, MaxNumbers: d - 1})
	if err == nil || !strings.Contains(err.Error(), "declared an image of 1024×1024×1 = 1048576 numbers") {
		t.Errorf("an image beyond MaxNumbers: %v", err)
	}
	_, err = worker.StartRemote(context.Background(), cmd, 1, worker.Options{Budget: budget.New(1 << 20)})
	var be *budget.Error
	if !errors.As(err, &be) {
		t.Errorf("frames beyond the budget: %v", err)
	}
}
