package worker_test

// Conformance of the Python worker embedded in assets/: it needs Python 3
// with NumPy and PyTorch (Debian's python3-numpy and python3-torch, for
// /usr/bin/python3, or $PYTHON) and skips with a message without them.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"tweedie/assets"
	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/lab"
	"tweedie/core/run"
	"tweedie/core/worker"
)

var pythonOnce = sync.OnceValues(func() (string, error) { return findPython("numpy", "torch") })

// findPython returns $PYTHON, or /usr/bin/python3, when it imports the
// modules, and else an error that says what to install.
func findPython(modules ...string) (string, error) {
	py := os.Getenv("PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	out, err := exec.Command(py, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		pkgs := make([]string, len(modules))
		for i, m := range modules {
			pkgs[i] = "python3-" + m
		}
		return "", fmt.Errorf("%s cannot import %s (install %s, or set $PYTHON): %v: %s",
			py, strings.Join(modules, " and "), strings.Join(pkgs, " and "), err, out)
	}
	return py, nil
}

// workerFilesMade is set once workerFiles has made its directory, which
// TestMain removes.
var workerFilesMade bool

// workerFiles writes the worker script and the exported MNIST mixture into
// a temporary directory, once per test binary.
var workerFiles = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tweedie-worker-test-")
	if err != nil {
		return "", err
	}
	workerFilesMade = true
	if err := os.WriteFile(filepath.Join(dir, "tweedie_worker.py"), []byte(assets.WorkerPy), 0o644); err != nil {
		return "", err
	}
	mix, err := assets.MNISTPrior()
	if err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(dir, "mnist.npz"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	return dir, gmm.WriteNPZ(f, mix)
})

// pythonReady returns the Python interpreter and the directory holding the
// worker's files, skipping the test under -short or when Python lacks
// NumPy or PyTorch.
func pythonReady(t testing.TB) (py, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("the Python worker's tests start PyTorch (seconds each): skipped under -short")
	}
	py, err := pythonOnce()
	if err != nil {
		t.Skip("skipping the Python worker's tests: ", err)
	}
	if dir, err = workerFiles(); err != nil {
		t.Fatal(err)
	}
	return py, dir
}

// pythonWorker starts the embedded worker with args, skipping the test
// when Python lacks NumPy or PyTorch.
func pythonWorker(t testing.TB, args string) *worker.Remote {
	t.Helper()
	py, dir := pythonReady(t)
	cmd := fmt.Sprintf("cd %q && exec %q tweedie_worker.py --threads 1 %s", dir, py, args)
	lg := &testLog{t: t}
	r, err := worker.StartRemote(context.Background(), cmd, 1, worker.Options{Log: lg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		lg.mu.Lock()
		lg.t = nil // the test is ending: drop what comes later
		lg.mu.Unlock()
	})
	return r
}

// testLog logs a worker's stderr in the test's log (seen with -v).
type testLog struct {
	mu sync.Mutex
	t  testing.TB
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.t != nil {
		l.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func relErr(got, want []float64) float64 {
	var num, den float64
	for i := range got {
		num += (got[i] - want[i]) * (got[i] - want[i])
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}

func round32(x []float64) {
	for i := range x {
		x[i] = float64(float32(x[i]))
	}
}

// TestPythonMixture: the worker serving the exported MNIST mixture gives
// the in-process exact x̂0 and Jᵀv at the same inputs within 1e-5
// (relative, float32 on the wire), and the same schedule.
func TestPythonMixture(t *testing.T) {
	r := pythonWorker(t, "--model mixture:mnist.npz")
	mix, _ := assets.MNISTPrior()
	if h := r.Hello(); h.Prediction != "x0" || !h.VJP {
		t.Fatalf("handshake %+v", h)
	}
	want := mix.Schedule().AlphaBar
	for i, a := range r.Schedule().AlphaBar {
		if math.Abs(a-want[i]) > 1e-15 {
			t.Fatalf("ᾱ_%d = %v, want %v", i, a, want[i])
		}
	}
	remote := r.NewDenoiser().(denoiser.Differentiable)
	exact := mix.NewDenoiser().(denoiser.Differentiable)
	digits := assets.TestDigits()
	rng := rand.New(rand.NewPCG(1, 2))
	const b, d = 4, 784
	ctx := context.Background()
	for _, ab := range []float64{0.9999, 0.99, 0.9, 0.5, 0.1, 0.01, 4.04e-5} {
		xt, v := make([]float64, b*d), make([]float64, b*d)
		for i := range xt {
			x0 := digits[(i/d)%len(digits)].Image.Pix[i%d]
			xt[i] = math.Sqrt(ab)*x0 + math.Sqrt(1-ab)*rng.NormFloat64()
			v[i] = rng.NormFloat64()
		}
		round32(xt) // the worker sees float32
		round32(v)
		got, ref := make([]float64, b*d), make([]float64, b*d)
		pg, err := remote.Linearize(ctx, got, xt, ab)
		if err != nil {
			t.Fatal(err)
		}
		pe, _ := exact.Linearize(ctx, ref, xt, ab)
		e0 := relErr(got, ref)
		if err := pg.VJP(ctx, got, v); err != nil {
			t.Fatal(err)
		}
		_ = pe.VJP(ctx, ref, v)
		e1 := relErr(got, ref)
		// x̂0 and Jᵀv from one forward pass (denoise_vjp).
		got2, gotV := make([]float64, b*d), make([]float64, b*d)
		if err := remote.(worker.DiffDenoiser).DenoiseVJP(ctx, got2, gotV, xt, v, ab); err != nil {
			t.Fatal(err)
		}
		e2 := relErr(gotV, ref)
		t.Logf("ᾱ = %-8g relative error of x̂0 %.2e, of Jᵀv %.2e (one pass: %.2e)", ab, e0, e1, e2)
		if e0 > 1e-5 || e1 > 1e-5 || e2 > 1e-5 {
			t.Errorf("ᾱ = %g: relative error of x̂0 %.2e, of Jᵀv %.2e and %.2e: want ≤ 1e-5", ab, e0, e1, e2)
		}
	}
}

// TestPythonRunConformance: a ΠG run (x̂0 and a VJP at each step) through
// the worker serving the exported mixture follows the in-process exact
// run: x̂0 at every step within 1e-5 relative.
func TestPythonRunConformance(t *testing.T) {
	r := pythonWorker(t, "--model mixture:mnist.npz")
	mix, _ := assets.MNISTPrior()
	truth := assets.TestDigits()[0].Image.Pix
	s := run.DefaultSettings()
	s.Steps = 50
	trajs := make([]*run.Trajectory, 2)
	for i, p := range []denoiser.Prior{mix, r} {
		prob, cfg, err := s.Build(p, truth)
		if err != nil {
			t.Fatal(err)
		}
		cfg.NoExact = true
		rn, err := run.New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if trajs[i], err = rn.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	worst := 0.0
	for i := 0; i < s.Steps; i++ {
		e := relErr(trajs[1].X0Hat(nil, i), trajs[0].X0Hat(nil, i))
		worst = max(worst, e)
	}
	ef := relErr(trajs[1].Final, trajs[0].Final)
	t.Logf("worst relative error of x̂0 over %d steps %.2e; of the final image %.2e", s.Steps, worst, ef)
	if worst > 1e-5 || ef > 1e-5 {
		t.Errorf("the run through the worker departs from the exact one: x̂0 %.2e, final %.2e (want ≤ 1e-5)", worst, ef)
	}
}

// checkVJPByDifferences checks uᵀ(Jᵀv) against vᵀ(f(x+hu) − f(x−hu))/2h.
func checkVJPByDifferences(t *testing.T, r *worker.Remote, ab, h, tol float64) {
	t.Helper()
	dn := r.NewDenoiser().(denoiser.Differentiable)
	d := r.ImageShape().Len()
	rng := rand.New(rand.NewPCG(3, 4))
	x, u, v := make([]float64, d), make([]float64, d), make([]float64, d)
	for i := range x {
		x[i], u[i], v[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
	}
	ctx := context.Background()
	g, f := make([]float64, d), make([]float64, d)
	pt, err := dn.Linearize(ctx, f, x, ab)
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.VJP(ctx, g, v); err != nil {
		t.Fatal(err)
	}
	lhs := dot(u, g)
	xp, xm, fp, fm := make([]float64, d), make([]float64, d), make([]float64, d), make([]float64, d)
	for i := range x {
		xp[i], xm[i] = x[i]+h*u[i], x[i]-h*u[i]
	}
	if err := dn.Denoise(ctx, fp, xp, ab); err != nil {
		t.Fatal(err)
	}
	if err := dn.Denoise(ctx, fm, xm, ab); err != nil {
		t.Fatal(err)
	}
	for i := range fp {
		fp[i] -= fm[i]
	}
	rhs := dot(v, fp) / (2 * h)
	t.Logf("ᾱ = %g: uᵀJᵀv = %.6g, by differences %.6g", ab, lhs, rhs)
	if math.Abs(lhs-rhs) > tol*math.Abs(rhs) {
		t.Errorf("ᾱ = %g: uᵀJᵀv = %v, central differences give %v", ab, lhs, rhs)
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestPythonVJPByDifferences: the worker's VJPs (torch.autograd) against
// finite differences of its own x̂0, for the random UNet (float32) and the
// mixture (float64 inside).
func TestPythonVJPByDifferences(t *testing.T) {
	t.Run("unet", func(t *testing.T) {
		r := pythonWorker(t, "--model unet:28x28x1 --seed 3")
		for _, ab := range []float64{0.9, 0.2} {
			checkVJPByDifferences(t, r, ab, 1e-2, 2e-3)
		}
	})
	t.Run("mixture", func(t *testing.T) {
		r := pythonWorker(t, "--model mixture:mnist.npz")
		for _, ab := range []float64{0.5, 0.05} {
			checkVJPByDifferences(t, r, ab, 1e-3, 1e-3)
		}
	})
}

// TestPythonUNetMethods: the random UNet through DPS and ΠG.
func TestPythonUNetMethods(t *testing.T) {
	r := pythonWorker(t, "--model unet:28x28x1")
	truth := assets.TestDigits()[1].Image.Pix
	for _, m := range []string{"dps", "pig"} {
		s := run.DefaultSettings()
		s.Steps, s.Method = 10, m
		prob, cfg, err := s.Build(r, truth)
		if err != nil {
			t.Fatal(err)
		}
		rn, err := run.New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := rn.Run(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		for _, v := range tr.Final {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: final image not finite", m)
			}
		}
		t.Logf("%s on the random UNet: 10 steps, final PSNR %.2f dB", m, tr.Records[len(tr.Records)-1].PSNR)
	}
}

// A stand-in for a diffusers UNet2DModel and its scheduler: the exact
// ε-, v- or x0-prediction of the Gaussian prior x0 ~ N(0, σ0²·I), for
// which x̂0 = sqrt(ᾱ)·σ0²/(ᾱ·σ0² + 1 − ᾱ)·x_t.
const standIn = `
import types, torch

SIGMA0 = 0.5

class Output:
    def __init__(self, sample):
        self.sample = sample

class StandIn(torch.nn.Module):
    def __init__(self, ab, kind):
        super().__init__()
        self.ab, self.kind = ab, kind
        self.config = types.SimpleNamespace(sample_size=8, in_channels=3)
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, sample, timestep, return_dict=True):
        assert sample.dim() == 4 and sample.shape[1:] == (3, 8, 8), sample.shape
        t = timestep.double()
        lo = t.round().long().clamp(0, len(self.ab) - 1)
        ab = self.ab[lo].to(sample.dtype)[:, None, None, None]  # tweedie asks at grid points
        x0 = ab.sqrt() * SIGMA0**2 / (ab * SIGMA0**2 + 1 - ab) * sample * self.scale
        eps = (sample - ab.sqrt() * x0) / (1 - ab).sqrt()
        out = {"epsilon": eps, "v_prediction": ab.sqrt() * eps - (1 - ab).sqrt() * x0, "sample": x0}[self.kind]
        return Output(out)

def scheduler(kind):
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    ab = torch.cumprod(1 - betas, 0)
    return types.SimpleNamespace(alphas_cumprod=ab.float(), config=types.SimpleNamespace(prediction_type=kind)), ab

def load_eps():
    s, ab = scheduler("epsilon")
    return StandIn(ab, "epsilon"), s

def load_v():
    s, ab = scheduler("v_prediction")
    return StandIn(ab, "v_prediction"), s

def load_user():
    s, ab = scheduler("sample")
    return StandIn(ab, "sample"), s.alphas_cumprod, "x0", (8, 8, 3)
`

// userModel wraps the stand-in for --model FILE.py:F (which calls
// module(x, t) and takes the tensor itself).
const userModel = `
import torch
from standin import load_user as _load

class Plain(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
    def forward(self, x, t):
        return self.m(x, t).sample

def load():
    m, ab, pred, image = _load()
    return {"module": Plain(m), "alphas_cumprod": ab, "prediction": pred, "image": image}
`

// TestPythonDiffusersAdapter: the diffusers adapter (ε and v) and a user's
// factory (x0) give the exact x̂0 of the stand-in's Gaussian prior.
func TestPythonDiffusersAdapter(t *testing.T) {
	_, dir := pythonReady(t)
	if err := os.WriteFile(filepath.Join(dir, "standin.py"), []byte(standIn), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "user_model.py"), []byte(userModel), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ model, pred string }{
		{"diffusers:standin.py:load_eps", "eps"},
		{"diffusers:standin.py:load_v", "v"},
		{"user_model.py:load", "x0"},
	} {
		t.Run(c.pred, func(t *testing.T) {
			r := pythonWorker(t, "--model "+c.model)
			if h := r.Hello(); h.Prediction != c.pred || fmt.Sprint(h.Image) != "[8 8 3]" || len(h.AlphaBars) != 1000 {
				t.Fatalf("handshake: prediction %q, image %v, %d steps", h.Prediction, h.Image, len(h.AlphaBars))
			}
			sched := r.Schedule()
			dn := r.NewDenoiser()
			d := 8 * 8 * 3
			rng := rand.New(rand.NewPCG(5, 6))
			for _, tt := range []int{1, 10, 500, 1000} {
				ab := sched.AlphaBar[tt]
				x := make([]float64, 2*d)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				round32(x)
				got := make([]float64, 2*d)
				if err := dn.Denoise(context.Background(), got, x, ab); err != nil {
					t.Fatal(err)
				}
				const s2 = 0.25
				want := make([]float64, 2*d)
				for i := range x {
					want[i] = math.Sqrt(ab) * s2 / (ab*s2 + 1 - ab) * x[i]
				}
				e := relErr(got, want)
				// float32 arithmetic; from ε, x̂0 = (x − sqrt(1−ᾱ)·ε)/sqrt(ᾱ)
				// cancels nearly all of x at t = T (x̂0 ≈ 0.0016·x there): the
				// float32 ε of any model loses three digits in it.
				tol := 1e-4
				if c.pred == "eps" && ab < 1e-3 {
					tol = 1e-2
				}
				t.Logf("t = %d: relative error of x̂0 %.2e", tt, e)
				if e > tol {
					t.Errorf("t = %d: relative error of x̂0 %.2e", tt, e)
				}
			}
		})
	}
}

// A model that fails at low noise: the worker answers with the error and
// goes on.
const failingModel = `
import torch

class M(torch.nn.Module):
    def forward(self, x, t):
        if float(t[0]) < 10:
            raise RuntimeError("boom at t=%g" % float(t[0]))
        return x * 0.5

def load():
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    return M(), torch.cumprod(1 - betas, 0), "x0", (4, 4, 1)
`

// TestPythonModelError: an exception in the model is that request's error,
// with its message; the worker serves the next one.
func TestPythonModelError(t *testing.T) {
	_, dir := pythonReady(t)
	if err := os.WriteFile(filepath.Join(dir, "failing_model.py"), []byte(failingModel), 0o644); err != nil {
		t.Fatal(err)
	}
	r := pythonWorker(t, "--model failing_model.py:load")
	dn := r.NewDenoiser()
	x, dst := make([]float64, 16), make([]float64, 16)
	ctx := context.Background()
	err := dn.Denoise(ctx, dst, x, r.Schedule().AlphaBar[1])
	var re *worker.RequestError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "boom at t=0") {
		t.Fatalf("the model's exception: %v", err)
	}
	for i := range x {
		x[i] = 1
	}
	if err := dn.Denoise(ctx, dst, x, r.Schedule().AlphaBar[500]); err != nil || dst[0] != 0.5 {
		t.Fatalf("after the error: %v, x̂0[0] = %v", err, dst[0])
	}
}

// TestPythonSharedBatches: denoisers on several goroutines share one
// worker, which runs their requests at one noise level in one forward
// pass; each still gets its own x̂0 and Jᵀv.
func TestPythonSharedBatches(t *testing.T) {
	r := pythonWorker(t, "--model mixture:mnist.npz")
	mix, _ := assets.MNISTPrior()
	digits := assets.TestDigits()
	const d, goroutines, calls = 784, 6, 5
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		go func() {
			remote := r.NewDenoiser().(denoiser.Differentiable)
			exact := mix.NewDenoiser().(denoiser.Differentiable)
			ctx := context.Background()
			x, v := make([]float64, d), make([]float64, d)
			for i := range x {
				x[i] = 0.7*digits[g%len(digits)].Image.Pix[i] + 0.1*float64(i%7)
				v[i] = float64((i+g)%5) - 2
			}
			round32(x)
			got, ref := make([]float64, d), make([]float64, d)
			for k := 0; k < calls; k++ {
				pt, err := remote.Linearize(ctx, got, x, 0.5)
				if err != nil {
					errs <- err
					return
				}
				pe, _ := exact.Linearize(ctx, ref, x, 0.5)
				if e := relErr(got, ref); e > 1e-5 {
					errs <- fmt.Errorf("goroutine %d: x̂0 off by %.2e", g, e)
					return
				}
				if err := pt.VJP(ctx, got, v); err != nil {
					errs <- err
					return
				}
				_ = pe.VJP(ctx, ref, v)
				if e := relErr(got, ref); e > 1e-5 {
					errs <- fmt.Errorf("goroutine %d: Jᵀv off by %.2e", g, e)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < goroutines; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPythonTrainSmoke: --train-mnist trains on an idx3 file and saves a
// model that --model learned:FILE serves (a few seconds on 50 images: the
// plumbing, not the quality).
func TestPythonTrainSmoke(t *testing.T) {
	py, dir := pythonReady(t)
	idx := []byte{0, 0, 8, 3, 0, 0, 0, 50, 0, 0, 0, 28, 0, 0, 0, 28}
	for i := 0; i < 50*784; i++ {
		idx = append(idx, byte(i*7))
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny-idx3-ubyte"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join(dir, "tweedie_worker.py"), "--threads", "1", "--train-mnist", filepath.Join(dir, "tiny-idx3-ubyte"),
		"--minutes", "0.03", "--width", "8", "--batch", "4", "--out", filepath.Join(dir, "tiny.pt")).CombinedOutput()
	if err != nil {
		t.Fatalf("training: %v: %s", err, out)
	}
	t.Logf("%s", out)
	r := pythonWorker(t, "--model learned:tiny.pt")
	if h := r.Hello(); h.Prediction != "eps" || fmt.Sprint(h.Image) != "[28 28 1]" {
		t.Fatalf("handshake %+v", h)
	}
	x, dst := make([]float64, 784), make([]float64, 784)
	if err := r.NewDenoiser().Denoise(context.Background(), dst, x, 0.5); err != nil {
		t.Fatal(err)
	}
}

// TestPythonLabNoExact: the lab without the exact posterior through the
// worker serving the exported mixture reports what the in-process mixture
// gives: PSNR, residual and spread within 1e-4
// relative (the protocol is float32), the NFE exactly.
func TestPythonLabNoExact(t *testing.T) {
	r := pythonWorker(t, "--model mixture:mnist.npz")
	mix, _ := assets.MNISTPrior()
	truth := assets.TestDigits()[0].Image.Pix
	var es []lab.Entry
	for _, m := range []string{"pig", "dps"} {
		s := run.DefaultSettings()
		s.Method, s.Steps = m, 20
		es = append(es, lab.Entry{Label: m, Settings: s})
	}
	reps := make([]*lab.NoExactReport, 2)
	for i, p := range []denoiser.Prior{mix, r} {
		var err error
		if reps[i], err = lab.RunNoExact(context.Background(), lab.NoExactConfig{Prior: p, Truth: truth, Entries: es, Seeds: 3, Workers: 2}); err != nil {
			t.Fatal(err)
		}
	}
	for e := range es {
		a, b := reps[0].Results[e], reps[1].Results[e]
		t.Logf("%s: in process %+v\n through the worker %+v", es[e].Label, a, b)
		for _, c := range [][2]float64{{a.PSNR, b.PSNR}, {a.Residual, b.Residual}, {a.Spread, b.Spread}} {
			if math.Abs(c[0]-c[1]) > 1e-4*math.Abs(c[0]) {
				t.Errorf("%s: %v in process, %v through the worker", es[e].Label, c[0], c[1])
			}
		}
		if a.NFE != b.NFE || a.Diverged != b.Diverged {
			t.Errorf("%s: NFE %v/%v, diverged %v/%v", es[e].Label, a.NFE, b.NFE, a.Diverged, b.Diverged)
		}
	}
}
