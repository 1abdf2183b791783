package denoiser_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
)

// native32 is a denoiser that takes float32 itself (as a remote model
// does): it records that Denoise32 used its own path.
type native32 struct {
	denoiser.Denoiser
	used bool
}

func (n *native32) Denoise32(ctx context.Context, dst, xt []float32, ab float64) error {
	n.used = true
	x := make([]float64, len(xt))
	for i, v := range xt {
		x[i] = float64(v)
	}
	out := make([]float64, len(xt))
	err := n.Denoiser.Denoise(ctx, out, x, ab)
	for i, v := range out {
		dst[i] = float32(v)
	}
	return err
}

// TestDenoise32: a float32 batch gives the float64 path's x̂0 rounded to
// float32, through a denoiser's own float32 path when it has one.
func TestDenoise32(t *testing.T) {
	mix := gmm.Random(img.Shape{H: 4, W: 4, C: 1}, 3, 2, 1)
	d, B := mix.Dim(), 3
	rng := rand.New(rand.NewPCG(1, 2))
	x32 := make([]float32, B*d)
	x64 := make([]float64, B*d)
	for i := range x32 {
		x32[i] = float32(rng.NormFloat64())
		x64[i] = float64(x32[i])
	}
	ctx := context.Background()
	want := make([]float64, B*d)
	if err := mix.NewDenoiser().Denoise(ctx, want, x64, 0.4); err != nil {
		t.Fatal(err)
	}
	for _, den := range []denoiser.Denoiser{mix.NewDenoiser(), &native32{Denoiser: mix.NewDenoiser()}} {
		got := make([]float32, B*d)
		if err := denoiser.Denoise32(ctx, den, got, x32, 0.4); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(float64(got[i])-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("%T: x̂0[%d] = %v, float64 path %v", den, i, got[i], want[i])
			}
		}
		if n, ok := den.(*native32); ok && !n.used {
			t.Error("Denoise32 did not use the denoiser's own float32 path")
		}
	}
	if err := denoiser.Denoise32(ctx, mix.NewDenoiser(), make([]float32, d), x32, 0.4); err == nil {
		t.Error("lengths that differ accepted")
	}
}
