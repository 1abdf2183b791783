package worker_test

// The protocol of the Python worker with its NumPy stand-in model
// (--model numpy-linear): it needs Python 3 with NumPy alone, runs wherever
// NumPy does (PyTorch, installed or not, is kept out of reach: importing it
// fails) and skips with a message without NumPy.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"tweedie/assets"
	"tweedie/core/denoiser"
	"tweedie/core/run"
	"tweedie/core/schedule"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

// numpyPython is the interpreter, when it has NumPy.
var numpyPython = sync.OnceValues(func() (string, error) { return findPython("numpy") })

// numpyWorker starts the worker serving numpy-linear of shape (HxWxC) with
// PyTorch out of reach; its stderr goes to log when not nil.
func numpyWorker(t *testing.T, shape string, log *strings.Builder) *worker.Remote {
	t.Helper()
	py, err := numpyPython()
	if err != nil {
		t.Skip("skipping the NumPy worker's smoke test: ", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tweedie_worker.py"), []byte(assets.WorkerPy), 0o644); err != nil {
		t.Fatal(err)
	}
	noTorch := filepath.Join(dir, "notorch", "torch")
	if err := os.MkdirAll(noTorch, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noTorch, "__init__.py"), []byte("raise ImportError('the NumPy model imported torch')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("cd %q && PYTHONPATH=%q exec %q tweedie_worker.py --model numpy-linear:%s --max-batch 4", dir, filepath.Dir(noTorch), py, shape)
	opts := worker.Options{}
	if log != nil {
		opts.Log = &lockedWriter{b: log}
	}
	r, err := worker.StartRemote(context.Background(), cmd, 1, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// fakeRows applies workertest.Fake (or its transpose) to each row of x,
// in float64 from the float32 the worker receives, rounded to float32.
func fakeRows(x []float64, d int, ab float64, transpose bool) []float64 {
	out := make([]float64, len(x))
	for i := 0; i < len(x); i += d {
		workertest.Fake(out[i:i+d], x[i:i+d], ab, transpose)
	}
	round32(out)
	return out
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestPythonNumpyProtocol: every request of the protocol through the
// Python worker with the NumPy model (no PyTorch): the handshake, denoise,
// linearize and vjp (in chunks of max_batch rows), denoise_vjp, requests
// of several callers sharing a forward pass, and a model error — the
// worker logs its traceback, answers that request with the exception and
// serves the next one. x̂0 and Jᵀv are those of the Go fake's formula,
// computed the same way, bit for bit.
func TestPythonNumpyProtocol(t *testing.T) {
	var log strings.Builder
	r := numpyWorker(t, "4x4x1", &log)
	h := r.Hello()
	if h.Prediction != "x0" || !h.VJP || fmt.Sprint(h.Image) != "[4 4 1]" || h.MaxBatch != 4 || !strings.Contains(h.Model, "numpy-linear") {
		t.Fatalf("handshake %+v", h)
	}
	want := schedule.Default().AlphaBar
	for i, a := range r.Schedule().AlphaBar {
		if math.Abs(a-want[i]) > 1e-15 {
			t.Fatalf("ᾱ_%d = %v, want %v", i, a, want[i])
		}
	}
	const d, b = 16, 7 // two chunks of at most 4 rows
	rng := rand.New(rand.NewPCG(1, 1))
	x, v := make([]float64, b*d), make([]float64, b*d)
	for i := range x {
		x[i], v[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	round32(x)
	round32(v)
	ctx := context.Background()
	dn := r.NewDenoiser().(worker.DiffDenoiser)
	const ab = 0.3
	got, gotV := make([]float64, b*d), make([]float64, b*d)
	if err := dn.Denoise(ctx, got, x, ab); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "denoise", got, fakeRows(x, d, ab, false))
	pt, err := dn.Linearize(ctx, got, x, ab)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "linearize", got, fakeRows(x, d, ab, false))
	if err := pt.VJP(ctx, gotV, v); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "vjp", gotV, fakeRows(v, d, ab, true))
	if err := dn.DenoiseVJP(ctx, got, gotV, x, v, ab); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "denoise_vjp x̂0", got, fakeRows(x, d, ab, false))
	sameBits(t, "denoise_vjp Jᵀv", gotV, fakeRows(v, d, ab, true))

	// Callers at the same noise level share forward passes; each gets its
	// own rows and VJPs.
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dn := r.NewDenoiser().(denoiser.Differentiable)
			xg, vg := make([]float64, d), make([]float64, d)
			for i := range xg {
				xg[i], vg[i] = float64(g+1)*0.1+float64(i%5), float64((i+g)%3)-1
			}
			round32(xg)
			out, outV := make([]float64, d), make([]float64, d)
			for range 5 {
				pt, err := dn.Linearize(ctx, out, xg, ab)
				if err == nil {
					err = pt.VJP(ctx, outV, vg)
				}
				if err != nil {
					errs <- err
					return
				}
				wx, wv := fakeRows(xg, d, ab, false), fakeRows(vg, d, ab, true)
				for i := range wx {
					if out[i] != wx[i] || outV[i] != wv[i] {
						errs <- fmt.Errorf("caller %d: x̂0 or Jᵀv [%d] = %v, %v; want %v, %v", g, i, out[i], outV[i], wx[i], wv[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A model error: that request's, with the exception; the traceback in
	// the worker's log; the next request served.
	bad := make([]float64, d)
	bad[3] = math.Inf(1)
	err = dn.Denoise(ctx, make([]float64, d), bad, ab)
	if err == nil || !strings.Contains(err.Error(), "denoise: the worker's error: ValueError: the input is not finite") {
		t.Errorf("a model error: %v", err)
	}
	if err := dn.Denoise(ctx, got[:d], x[:d], ab); err != nil {
		t.Errorf("after a model error: %v", err)
	}
	r.Close()
	lg := log.String()
	if !strings.Contains(lg, "Traceback (most recent call last):") || !strings.Contains(lg, "raise ValueError(\"the input is not finite\")") {
		t.Errorf("the worker's log lacks the traceback:\n%s", lg)
	}
	if strings.Contains(lg, "imported torch") {
		t.Errorf("the NumPy model imported torch:\n%s", lg)
	}
}

// TestPythonNumpyRunMatchesGoFake: a DPS run through the Python worker's
// NumPy model and one through the Go fake worker (the same formula, the
// same floating-point operations) give the same trajectory bit for bit.
func TestPythonNumpyRunMatchesGoFake(t *testing.T) {
	py := numpyWorker(t, "8x8x1", nil)
	cmd, err := workertest.Command(workertest.OK, workertest.EnvShape+"=8x8x1")
	if err != nil {
		t.Fatal(err)
	}
	gofake, err := worker.StartRemote(context.Background(), cmd, 1, worker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer gofake.Close()
	truth := make([]float64, 64)
	for i := range truth {
		truth[i] = math.Sin(float64(i) / 5)
	}
	s := run.DefaultSettings()
	s.Method, s.Steps, s.Op, s.Sigma = "dps", 30, "inpaint-box:size=4", 0.1
	trajs := make([]*run.Trajectory, 2)
	for i, p := range []denoiser.Prior{py, gofake} {
		prob, cfg, err := s.Build(p, truth)
		if err != nil {
			t.Fatal(err)
		}
		rn, err := run.New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if trajs[i], err = rn.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range s.Steps {
		if trajs[0].Sum(i) != trajs[1].Sum(i) {
			t.Fatalf("step %d differs between the NumPy worker and the Go fake", i)
		}
	}
	sameBits(t, "final", trajs[0].Final, trajs[1].Final)
}
