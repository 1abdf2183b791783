package run

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"tweedie/assets"
	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/operator"
)

// torchPython is Debian's interpreter, which has python3-torch (a python3
// earlier on PATH may be another installation without it).
const torchPython = "/usr/bin/python3"

// TestTorchPeer runs the 1000-step DPS trajectory of the default explorer
// problem (MNIST prior, box inpainting, σ = 0.05) here and in PyTorch
// (testdata/dps_torch.py: the same math in float32 on one thread, analytic
// VJP) side by side, checks that the two compute the same x̂0 and Jᵀv at a
// point of the trajectory, and logs both times and their ratio. It runs
// only when asked, TWEEDIE_TORCH=1, and skips where torch is missing:
//
//	TWEEDIE_TORCH=1 go test -run TorchPeer -v ./core/run
func TestTorchPeer(t *testing.T) {
	if os.Getenv("TWEEDIE_TORCH") == "" {
		t.Skip("set TWEEDIE_TORCH=1 to run the PyTorch peer")
	}
	if err := exec.Command(torchPython, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("no torch for %s: %v", torchPython, err)
	}
	mix, err := assets.MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.Method = "dps"
	prob, cfg, err := s.Build(mix, assets.TestDigits()[0].Image.Pix)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NoExact = true
	dir := t.TempDir()
	priorPath, problemPath := filepath.Join(dir, "prior.npz"), filepath.Join(dir, "problem.json")
	f, err := os.Create(priorPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := gmm.WriteNPZ(f, mix); err != nil {
		t.Fatal(err)
	}
	f.Close()
	spec, err := torchProblem(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(problemPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	ours := time.Duration(1 << 62)
	for seed := uint64(0); seed < 3; seed++ {
		cfg.Seed = seed
		start := time.Now()
		r, err := New(prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		ours = min(ours, time.Since(start))
	}

	out, err := exec.Command(torchPython, filepath.Join("testdata", "dps_torch.py"), priorPath, problemPath).Output()
	if err != nil {
		t.Fatalf("dps_torch.py: %v\n%s", err, out)
	}
	var peer struct {
		Seconds       float64
		X0RelErr      float64 `json:"x0_rel_err"`
		JvRelErr      float64 `json:"jv_rel_err"`
		FinalResidual float64 `json:"final_residual"`
		Torch         string
		Threads       int
	}
	if err := json.Unmarshal(out, &peer); err != nil {
		t.Fatalf("dps_torch.py said %q: %v", out, err)
	}
	if peer.X0RelErr > 1e-4 || peer.JvRelErr > 1e-4 {
		t.Errorf("PyTorch computes other numbers: x̂0 rel err %.2g, Jᵀv rel err %.2g", peer.X0RelErr, peer.JvRelErr)
	}
	t.Logf("1000-step DPS: tweedie %v, PyTorch %s (%d thread, float32) %.3fs: %.1f× (x̂0 and Jᵀv agree to %.1g, %.1g; final residual %.3g)",
		ours.Round(time.Millisecond), peer.Torch, peer.Threads, peer.Seconds, peer.Seconds/ours.Seconds(), peer.X0RelErr, peer.JvRelErr, peer.FinalResidual)
}

// torchProblem is what dps_torch.py needs of a DPS run on a masking
// operator: the observed pixels, y, ζ, each step's ᾱ_t and DDPM
// coefficients, and x̂0 and Jᵀv at the x_t of step 500 of seed 0.
func torchProblem(prob *Problem, cfg Config) (map[string]any, error) {
	op := prob.Op.(operator.Linear)
	d := prob.Shape().Len()
	observed := make([]int, op.OutLen())
	e, col := make([]float64, d), make([]float64, op.OutLen())
	for i := range e {
		e[i] = 1
		op.Apply(col, e)
		e[i] = 0
		for j, v := range col {
			if v == 1 {
				observed[j] = i
			}
		}
	}
	cfg.Seed = 0
	r, err := New(prob, cfg)
	if err != nil {
		return nil, err
	}
	steps := make([][4]float64, len(r.traj.Grid))
	for i := range steps {
		abT, _, co := r.coeffs(i)
		steps[i] = [4]float64{abT, co.A, co.B, co.C}
	}
	const at = 500
	for i := 0; i < at; i++ {
		if err := r.Step(context.Background()); err != nil {
			return nil, err
		}
	}
	xt := append([]float64(nil), r.xt...)
	ab := steps[at][0]
	den := prob.Prior.NewDenoiser().(denoiser.Differentiable)
	x0, jv, back := make([]float64, d), make([]float64, d), make([]float64, d)
	pt, err := den.Linearize(context.Background(), x0, xt, ab)
	if err != nil {
		return nil, err
	}
	res := op.Apply(make([]float64, op.OutLen()), x0)
	for j := range res {
		res[j] = prob.Y[j] - res[j]
	}
	op.Adjoint(back, res)
	if err := pt.VJP(context.Background(), jv, back); err != nil {
		return nil, err
	}
	return map[string]any{
		"observed": observed, "y": prob.Y, "zeta": r.Values().Float("zeta"), "steps": steps, "repeats": 2,
		"check": map[string]any{"xt": xt, "alpha_bar": ab, "x0": x0, "v": back, "jv": jv},
	}, nil
}
