package worker_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"tweedie/core/denoiser"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

// benchRoundTrip times Denoise of b rows, and Linearize with a VJP.
func benchRoundTrip(bm *testing.B, r *worker.Remote, b int) {
	d := r.ImageShape().Len()
	dn := r.NewDenoiser().(denoiser.Differentiable)
	x, dst := make([]float64, b*d), make([]float64, b*d)
	ctx := context.Background()
	bm.Run(fmt.Sprintf("denoise/B=%d", b), func(bm *testing.B) {
		bm.SetBytes(int64(8 * b * d))
		m0 := r.ModelTime()
		for bm.Loop() {
			if err := dn.Denoise(ctx, dst, x, 0.5); err != nil {
				bm.Fatal(err)
			}
		}
		modelTime(bm, r, m0)
	})
	x32, dst32 := make([]float32, b*d), make([]float32, b*d)
	bm.Run(fmt.Sprintf("denoise32/B=%d", b), func(bm *testing.B) {
		bm.SetBytes(int64(4 * b * d))
		m0 := r.ModelTime()
		for bm.Loop() {
			if err := denoiser.Denoise32(ctx, dn, dst32, x32, 0.5); err != nil {
				bm.Fatal(err)
			}
		}
		modelTime(bm, r, m0)
	})
	bm.Run(fmt.Sprintf("linearize+vjp/B=%d", b), func(bm *testing.B) {
		m0 := r.ModelTime()
		defer modelTime(bm, r, m0)
		for bm.Loop() {
			pt, err := dn.Linearize(ctx, dst, x, 0.5)
			if err == nil {
				err = pt.VJP(ctx, dst, x)
			}
			if err != nil {
				bm.Fatal(err)
			}
		}
	})
}

// modelTime reports the model's own time per operation, as the worker
// measured it: the rest of ns/op is the protocol's overhead.
func modelTime(bm *testing.B, r *worker.Remote, m0 time.Duration) {
	if bm.N > 0 {
		bm.ReportMetric(float64(r.ModelTime()-m0)/float64(bm.N), "model-ns/op")
	}
}

// BenchmarkRoundTripGo: the protocol's cost at 28×28 against the Go fake
// worker (its model costs nothing): tweedie's side and the pipes.
func BenchmarkRoundTripGo(bm *testing.B) {
	os.Setenv(workertest.EnvShape, "28x28x1")
	defer os.Unsetenv(workertest.EnvShape)
	r, err := worker.StartRemote(context.Background(), fakeCommand(bm, workertest.OK), 1, worker.Options{})
	if err != nil {
		bm.Fatal(err)
	}
	defer r.Close()
	for _, b := range []int{1, 3} {
		benchRoundTrip(bm, r, b)
	}
}

// BenchmarkRoundTripPython: the same through the Python worker with the
// identity model (x̂0 = x_t through torch), at 28×28 and 256×256×3, and
// with the random UNet at 256×256×3.
func BenchmarkRoundTripPython(bm *testing.B) {
	for _, c := range []struct {
		shape string
		b     []int
		model string
	}{{"28x28x1", []int{1, 16}, "identity"}, {"256x256x3", []int{1, 8}, "identity"}, {"256x256x3", []int{1, 4}, "unet"}} {
		bm.Run(c.model+"/"+c.shape, func(bm *testing.B) {
			r := pythonWorker(bm, "--max-batch 64 --model "+c.model+":"+c.shape)
			for _, b := range c.b {
				benchRoundTrip(bm, r, b)
			}
		})
	}
}
