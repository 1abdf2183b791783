package run

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/schedule"
)

// scale is a differentiable prior of any shape that allocates nothing:
// x̂0 = √ᾱ·x_t (a stand-in network), Jᵀv = √ᾱ·v.
type scale struct{ shape img.Shape }

func (s *scale) NewDenoiser() denoiser.Denoiser { return &scaleDen{} }
func (s *scale) ImageShape() img.Shape          { return s.shape }
func (s *scale) Schedule() *schedule.Schedule   { return schedule.Default() }

type scaleDen struct {
	gen uint64
	ab  float64
}

func (l *scaleDen) Denoise(_ context.Context, dst, xt []float64, ab float64) error {
	s := math.Sqrt(ab)
	for j, v := range xt {
		dst[j] = s * v
	}
	return nil
}

func (l *scaleDen) Linearize(ctx context.Context, dst, xt []float64, ab float64) (denoiser.Point, error) {
	l.gen++
	l.ab = ab
	return denoiser.NewPoint(l, l.gen), l.Denoise(ctx, dst, xt, ab)
}

func (l *scaleDen) VJPAt(ctx context.Context, _ uint64, dst, v []float64) error {
	return l.Denoise(ctx, dst, v, l.ab)
}

// TestFootprintCoversEveryMethod: for every registered method on each
// kind of operator, what a run keeps on the heap — its problem, its
// vectors, its method's scratch and its trajectory — is within Footprint,
// so that the memory budget counts it.
func TestFootprintCoversEveryMethod(t *testing.T) {
	if testing.Short() {
		t.Skip("every method on five operators: not in -short")
	}
	shape := img.Shape{H: 96, W: 96, C: 1}
	d := shape.Len()
	truth := make([]float64, d)
	for j := range truth {
		truth[j] = math.Sin(float64(j))
	}
	ran := 0
	for _, opName := range []string{"inpaint-box:size=32", "inpaint-random:p=0.3,seed=7", "sr:factor=4", "blur-gauss:std=2", "phase:pad=2", "svd:dy=4,seed=2"} {
		for _, m := range method.All() {
			before := heapAlloc()
			op, err := operator.Parse(opName, shape)
			if err != nil {
				t.Fatal(err)
			}
			prob, err := NewProblem(&scale{shape: shape}, op, truth, 0.05, 5)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Method: m, Steps: 12, Seed: 1, KeepBytes: 1}
			r, err := New(prob, cfg)
			if err != nil {
				continue // the method does not serve this problem
			}
			var de *DivergedError
			if _, err := r.Run(context.Background(), nil); err != nil && !errors.As(err, &de) {
				t.Errorf("%s on %s: %v", m.Name, opName, err)
			}
			kept := int64(heapAlloc()) - int64(before)
			runtime.KeepAlive(r)
			runtime.KeepAlive(prob)
			want, err := Footprint(prob, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-8s %-20s keeps %5.1f vectors of d, Footprint %5.1f", m.Name, opName, float64(kept)/float64(8*d), float64(want)/float64(8*d))
			if kept > want {
				t.Errorf("%s on %s keeps %d bytes, more than its Footprint %d: raise RunVectors or ParticleBuffers", m.Name, opName, kept, want)
			}
			ran++
		}
	}
	if ran < 30 {
		t.Errorf("only %d runs measured", ran)
	}
}

// TestFitKeepBytes: the trajectory's bound comes down to what the budget
// leaves after the vectors, never below the least a trajectory keeps; a
// budget below that least is refused.
func TestFitKeepBytes(t *testing.T) {
	shape := img.Shape{H: 64, W: 64, C: 1}
	op, _ := operator.Parse("inpaint-box:size=16", shape)
	prob, err := NewProblem(&scale{shape: shape}, op, make([]float64, shape.Len()), 0.05, 5)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Method: mustMethod(t, "dps"), Steps: 1000}
	d := int64(shape.Len())
	vectors := RunVectors * 8 * d
	state := stateBound(int(d), 0)
	least := vectors + TrajectoryBytes(int(d), 1000, state, 1)
	if least != vectors+2*(24*d+int64(state))+16*d+1000*(int64(112)+8) || least != LeastFootprint(int(d), 1000) {
		t.Errorf("least footprint %d", least)
	}
	if _, ok := FitKeepBytes(prob, cfg, least-1); ok {
		t.Error("a budget below the least run fits")
	}
	for _, free := range []int64{least, least + 10<<20, 1 << 40} {
		keep, ok := FitKeepBytes(prob, cfg, free)
		cfg.KeepBytes = keep
		got, _ := Footprint(prob, cfg)
		if !ok || got > free || keep > DefaultKeepBytes {
			t.Errorf("free %d: KeepBytes %d (%v), footprint %d", free, keep, ok, got)
		}
		cfg.KeepBytes = 0
	}
}
