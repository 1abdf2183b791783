package worker_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
)

// TestDenoise32: the remote denoiser takes float32 rows natively
// (denoiser.Float32), sending and receiving them as they are: 7 rows (3
// chunks at the fake's max batch of 3) give bit for bit the float32 of the
// fake model's x̂0, which is also what the float64 path gives for the same
// inputs; a NaN answer is the same error as on the float64 path.
func TestDenoise32(t *testing.T) {
	r := start(t, workertest.OK, worker.Options{})
	den := r.NewDenoiser()
	f32, ok := den.(denoiser.Float32)
	if !ok {
		t.Fatalf("%T is not a denoiser.Float32", den)
	}
	d := r.ImageShape().Len()
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 7
	xt := make([]float32, rows*d)
	for i := range xt {
		xt[i] = float32(rng.NormFloat64())
	}
	got := make([]float32, len(xt))
	if err := f32.Denoise32(context.Background(), got, xt, 0.3); err != nil {
		t.Fatal(err)
	}
	x64 := make([]float64, len(xt))
	for i, v := range xt {
		x64[i] = float64(v)
	}
	via64 := make([]float64, len(xt))
	if err := den.Denoise(context.Background(), via64, x64, 0.3); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, d)
	for b := range rows {
		workertest.Fake(want, x64[b*d:(b+1)*d], 0.3, false)
		for j, w := range want {
			i := b*d + j
			if math.Float32bits(got[i]) != math.Float32bits(float32(w)) || got[i] != float32(via64[i]) {
				t.Fatalf("row %d pixel %d: Denoise32 %v, the fake model %v, the float64 path %v", b, j, got[i], float32(w), via64[i])
			}
		}
	}
	if err := f32.Denoise32(context.Background(), got[:3], xt[:5], 0.3); err == nil {
		t.Error("rows of different lengths accepted")
	}

	bad := start(t, workertest.NaN, worker.Options{}).NewDenoiser()
	err := bad.(denoiser.Float32).Denoise32(context.Background(), got[:d], xt[:d], 0.3)
	var re *worker.RequestError
	if !errors.As(err, &re) {
		t.Errorf("a NaN answer: %v, want a RequestError", err)
	}
}
