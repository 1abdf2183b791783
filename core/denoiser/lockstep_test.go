package denoiser_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"tweedie/core/denoiser"
	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/operator"
)

// script is what member i does at step t: Linearize at x_t (at a noise
// level that members 0 and 3 take differently at odd steps), then a VJP
// unless it is member 4 at an odd step; member 5 stops after step 1.
func script(i, t int) (alphaBar float64, vjp, stop bool) {
	alphaBar = 0.9 - 0.1*float64(t)
	if (i == 0 || i == 3) && t%2 == 1 {
		alphaBar += 0.05
	}
	return alphaBar, !(i == 4 && t%2 == 1), i == 5 && t > 1
}

// TestLockstepMatchesAlone: six members, each on its own goroutine, get the
// bits a denoiser of their own gives for the same calls, whether their
// rounds share a noise level or not, mix VJPs with Linearize calls, or a
// member leaves early; and the exact guidance after a member's call reuses
// its row with the same numbers as from scratch.
func TestLockstepMatchesAlone(t *testing.T) {
	wide := gmm.Random(img.Shape{H: 4, W: 5, C: 1}, 3, 5, 2)
	mix := &gmm.Mixture{Shape: wide.Shape, Components: wide.Components, Float32Bases: true}
	d := mix.Dim()
	op, err := operator.Parse("inpaint-box:size=2", mix.Shape)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, op.OutLen())
	const n, steps = 6, 5
	members := denoiser.NewLockstep(mix.NewDenoiser().(denoiser.Differentiable), d, n)
	type result struct{ x0, jv, g []float64 }
	got := make([][]result, n)
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer m.Close()
			ex, _ := mix.NewExactGuidance(op.(operator.Linear), y, 0.1)
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for step := range steps {
				ab, vjp, stop := script(i, step)
				if stop {
					return
				}
				xt, v := randVec(rng, d), randVec(rng, d)
				var r result
				r.x0 = make([]float64, d)
				pt, err := m.Linearize(context.Background(), r.x0, xt, ab)
				if err != nil {
					t.Error(err)
					return
				}
				r.g = ex.(denoiser.SharedExact).GuidanceAfter(make([]float64, d), xt, ab, m)
				if vjp {
					r.jv = make([]float64, d)
					if err := pt.VJP(context.Background(), r.jv, v); err != nil {
						t.Error(err)
						return
					}
				}
				got[i] = append(got[i], r)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		alone := mix.NewDenoiser().(denoiser.Differentiable)
		ex, _ := mix.NewExactGuidance(op.(operator.Linear), y, 0.1)
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		want := 0
		for step := range steps {
			ab, vjp, stop := script(i, step)
			if stop {
				break
			}
			want++
			xt, v := randVec(rng, d), randVec(rng, d)
			x0 := make([]float64, d)
			pt, _ := alone.Linearize(context.Background(), x0, xt, ab)
			g := ex.Guidance(make([]float64, d), xt, ab)
			if step >= len(got[i]) {
				t.Fatalf("member %d: %d steps, want %d", i, len(got[i]), want)
			}
			r := got[i][step]
			same(t, i, step, "x̂0", r.x0, x0)
			same(t, i, step, "exact guidance", r.g, g)
			if vjp {
				jv := make([]float64, d)
				pt.VJP(context.Background(), jv, v)
				same(t, i, step, "Jᵀv", r.jv, jv)
			}
		}
		if len(got[i]) != want {
			t.Errorf("member %d: %d steps, want %d", i, len(got[i]), want)
		}
	}
}

func same(t *testing.T, i, step int, what string, got, want []float64) {
	t.Helper()
	for j := range want {
		if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
			t.Errorf("member %d step %d: %s differs from a lone denoiser's at %d: %v, want %v", i, step, what, j, got[j], want[j])
			return
		}
	}
}

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// TestLockstepCancel: a member waiting for the others returns its
// context's error when cancelled, and the others go on without it.
func TestLockstepCancel(t *testing.T) {
	mix := gmm.Random(img.Shape{H: 2, W: 2, C: 1}, 2, 1, 1)
	d := mix.Dim()
	ms := denoiser.NewLockstep(mix.NewDenoiser().(denoiser.Differentiable), d, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := ms[0].Linearize(ctx, make([]float64, d), make([]float64, d), 0.5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting alone: %v, want the deadline", err)
	}
	ms[0].Close()
	if _, err := ms[1].Linearize(context.Background(), make([]float64, d), make([]float64, d), 0.5); err != nil {
		t.Fatalf("the other member after the first left: %v", err)
	}
	if _, err := ms[0].Linearize(context.Background(), make([]float64, d), make([]float64, d), 0.5); err == nil {
		t.Error("a closed member's call went through")
	}
	if _, err := ms[1].Linearize(context.Background(), make([]float64, d), make([]float64, d+1), 0.5); err == nil {
		t.Error("mismatched lengths accepted")
	}
}
