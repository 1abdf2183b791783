package run

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/operator"
	"tweedie/core/schedule"
)

// shrink is a cheap prior of any shape: x̂0 = √ᾱ·x_t, clipped to [−1, 1]
// (not a posterior mean of anything; a stand-in network). wobble, when set,
// adds an offset that depends on the prior's calls so far, as a model that
// is not deterministic would.
type shrink struct {
	shape  img.Shape
	wobble bool
	calls  *int
}

func (s *shrink) NewDenoiser() denoiser.Denoiser { return &shrinkDen{wobble: s.wobble, calls: s.calls} }
func (s *shrink) ImageShape() img.Shape          { return s.shape }
func (s *shrink) Schedule() *schedule.Schedule   { return schedule.Default() }

type shrinkDen struct {
	wobble bool
	calls  *int
}

func (s *shrinkDen) Denoise(_ context.Context, dst, xt []float64, ab float64) error {
	*s.calls++
	off := 0.0
	if s.wobble {
		off = 1e-3 * float64(*s.calls%7)
	}
	for j, v := range xt {
		dst[j] = math.Max(-1, math.Min(1, math.Sqrt(ab)*v+off))
	}
	return nil
}

func shrinkProblem(t testing.TB, shape img.Shape, wobble bool) *Problem {
	t.Helper()
	op, err := operator.Parse("inpaint-box:size=4", shape)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float64, shape.Len())
	for j := range truth {
		truth[j] = math.Sin(float64(j))
	}
	prob, err := NewProblem(&shrink{shape: shape, wobble: wobble, calls: new(int)}, op, truth, 0.05, 5)
	if err != nil {
		t.Fatal(err)
	}
	return prob
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestTrajectoryMemoryBound: a 1000-step run of a 256×256×3 model keeps its
// trajectory within DefaultKeepBytes by the store's own accounting, and the
// heap grows by no more than that and the Runner's scratch vectors (7
// float64 vectors of d) — far below the 1 GiB, where keeping every
// step would take 16·d·1000 = 3.1 GB.
func TestTrajectoryMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 steps at 256×256×3: not in -short")
	}
	shape := img.Shape{H: 256, W: 256, C: 3}
	d := shape.Len()
	prob := shrinkProblem(t, shape, false)
	cfg := pigConfig(prob, 1000)
	cfg.Method = mustMethod(t, "none")
	before := heapAlloc()
	r, err := New(prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := r.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	grown := int64(heapAlloc()) - int64(before)
	runtime.KeepAlive(r)
	full := int64(16 * d * 1000)
	scratch := int64(7*8*d + 8*d) // the Runner's vectors and Final
	t.Logf("store %.1f MB (every step: %.1f MB), heap grew %.1f MB; every %d-th step kept",
		float64(tr.Bytes())/1e6, float64(full)/1e6, float64(grown)/1e6, tr.every)
	if tr.Bytes() > DefaultKeepBytes+1<<20 {
		t.Errorf("store holds %d bytes, bound %d", tr.Bytes(), DefaultKeepBytes)
	}
	if tr.KeptAll() {
		t.Error("every step kept at 256×256×3")
	}
	if bound := int64(DefaultKeepBytes) + 1<<20 + scratch + 8<<20; grown > bound {
		t.Errorf("heap grew by %d bytes, bound %d", grown, bound)
	}
	if grown > 1<<30 {
		t.Errorf("heap grew by %d bytes: over 1 GiB", grown)
	}
	// Every kept step and the last are there; the others are not.
	kept := 0
	for i := range tr.Done {
		_, ok := tr.Rows(i)
		if ok != tr.Kept(i) || ok != (i%tr.every == 0 || i == 999) {
			t.Fatalf("step %d: kept %v, Kept says %v", i, ok, tr.Kept(i))
		}
		if ok {
			kept++
		}
	}
	if rows := int64(kept)*24*int64(d) + 16*int64(d); rows > DefaultKeepBytes {
		t.Errorf("%d kept rows and keyframes and the latest take %d bytes", kept, rows)
	}
}

// TestSmallTrajectoryKeepsEveryStep: MNIST's size keeps every step, in
// full: the bound changes nothing there.
func TestSmallTrajectoryKeepsEveryStep(t *testing.T) {
	shape := img.Shape{H: 28, W: 28, C: 1}
	tr := newTrajectory(shape, make([]int, 1000), 0, 0, false)
	if !tr.KeptAll() {
		t.Fatalf("28×28, 1000 steps: every %d-th step kept", tr.every)
	}
	if got := keepEvery(1000, 256*256*3, 0, -1); got != 1 {
		t.Errorf("no bound: every %d-th step", got)
	}
}

// TestKeepEvery checks the stride against counting the kept rows directly.
func TestKeepEvery(t *testing.T) {
	for _, c := range []struct {
		steps, d int
		bytes    int64
	}{{1000, 196608, DefaultKeepBytes}, {1000, 784, 1 << 20}, {50, 100, 16 * 100 * 10}, {7, 100, 16 * 100 * 3}, {5, 100, 1}} {
		k := keepEvery(c.steps, c.d, 0, c.bytes)
		tr := newTrajectory(img.Shape{H: 1, W: c.d, C: 1}, make([]int, c.steps), c.bytes, 0, false)
		n := 0
		for i := range c.steps {
			if tr.Kept(i) {
				n++
			}
		}
		fits := func(k int) bool {
			if k == 1 {
				return int64(c.steps*16*c.d) <= c.bytes
			}
			m := 0
			for i := range c.steps {
				if i%k == 0 || i == c.steps-1 {
					m++
				}
			}
			return int64(m*24*c.d+16*c.d) <= c.bytes
		}
		switch {
		case !fits(k) && k < c.steps:
			t.Errorf("%+v: k = %d does not fit (%d kept)", c, k, n)
		case k > 1 && fits(k-1):
			t.Errorf("%+v: k = %d, but %d fits", c, k, k-1)
		case !tr.Kept(c.steps - 1):
			t.Errorf("%+v: last step not kept", c)
		}
	}
}

func sameRecord(a, b Record) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return a.Index == b.Index && a.T == b.T && a.NFE == b.NFE && a.VJPs == b.VJPs && eq(a.AlphaBar, b.AlphaBar) &&
		eq(a.UpdateNorm, b.UpdateNorm) && eq(a.GNorm, b.GNorm) && eq(a.Residual, b.Residual) && eq(a.PSNR, b.PSNR) &&
		eq(a.GExactNorm, b.GExactNorm) && eq(a.GCos, b.GCos) && eq(a.GRatio, b.GRatio)
}

// TestReplayRefusesANondeterministicDenoiser: a denoiser that answers
// differently the second time makes Replay fail with the step, instead of
// returning rows that are not the run's.
func TestReplayRefusesANondeterministicDenoiser(t *testing.T) {
	prob := shrinkProblem(t, img.Shape{H: 8, W: 8, C: 1}, true)
	cfg := pigConfig(prob, 30)
	cfg.Method = mustMethod(t, "none")
	cfg.KeepBytes = 16 * 64 * 4
	tr, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Kept(3) {
		t.Fatal("step 3 kept")
	}
	_, err = Replay(context.Background(), prob, cfg, nil, 3, 3, []uint64{tr.Sum(3)})
	var re *ReplayError
	if !errors.As(err, &re) || re.Step != 3 {
		t.Fatalf("got %v, want a ReplayError at step 3", err)
	}
	// The same model made deterministic replays the step.
	prob.Prior.(*shrink).wobble = false
	tr, _ = runAll(t, prob, cfg)
	if rows, err := Replay(context.Background(), prob, cfg, tr, 3, 4, []uint64{tr.Sum(3), tr.Sum(4)}); err != nil || len(rows) != 2 {
		t.Fatalf("deterministic: %v", err)
	}
}

// TestReplayResumesAtKeyframe: a replay starts at the keyframe before the
// steps asked for — the denoiser is called for those steps only, not from
// x_T — and gives the rows of a run that kept every step, bit for bit.
func TestReplayResumesAtKeyframe(t *testing.T) {
	prob := shrinkProblem(t, img.Shape{H: 8, W: 8, C: 1}, false)
	cfg := pigConfig(prob, 40)
	cfg.Method = mustMethod(t, "none")
	all, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeepBytes = 16 * 64 * 10
	part, err := runAll(t, prob, cfg)
	if err != nil {
		t.Fatal(err)
	}
	k := part.keyBefore(13)
	if k == nil || k.step != 8 || part.every != 8 {
		t.Fatalf("keyframe before step 13: %+v (every %d)", k, part.every)
	}
	calls := prob.Prior.(*shrink).calls
	before := *calls
	rows, err := Replay(context.Background(), prob, cfg, part, 13, 15, []uint64{part.Sum(13), part.Sum(14), part.Sum(15)})
	if err != nil {
		t.Fatal(err)
	}
	if n := *calls - before; n != 15-8+1 {
		t.Errorf("%d denoiser calls, want %d (steps 8 to 15)", n, 15-8+1)
	}
	for j, got := range rows {
		want, _ := all.Rows(13 + j)
		if got.Sum() != want.Sum() {
			t.Errorf("step %d differs from the run that kept it", 13+j)
		}
	}
}
