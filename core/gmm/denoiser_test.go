package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/denoiser"
	"tweedie/core/img"
	"tweedie/core/schedule"
	"tweedie/internal/benchcpu"
)

func maxRelErr(got, want []float64) float64 {
	num, den := 0.0, 0.0
	for i := range got {
		num = math.Max(num, math.Abs(got[i]-want[i]))
		den = math.Max(den, math.Abs(want[i]))
	}
	return num / math.Max(den, 1e-300)
}

// noisyPoint draws x_t = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε with x0 near a mixture mean,
// so that several regimes of responsibilities are exercised.
func noisyPoint(mix *Mixture, alphaBar float64, rng *rand.Rand) []float64 {
	d := mix.Dim()
	c := &mix.Components[rng.IntN(len(mix.Components))]
	x := make([]float64, d)
	for i := range x {
		x0 := c.Mean[i] + 0.2*rng.NormFloat64()
		x[i] = math.Sqrt(alphaBar)*x0 + math.Sqrt(1-alphaBar)*rng.NormFloat64()
	}
	return x
}

// testAlphaBars are noise levels from t = 1 (ᾱ ≈ 1) to t = T (ᾱ ≈ 4e-5).
func testAlphaBars() []float64 {
	s := schedule.Default()
	return []float64{s.AlphaBar[1], s.AlphaBar[10], s.AlphaBar[200], s.AlphaBar[500], s.AlphaBar[900], s.AlphaBar[1000]}
}

// one evaluates the batched denoiser on one input, for tests: it returns
// x̂0 and keeps the point for vjp.
type one struct {
	dn *Denoiser
	pt denoiser.Point
}

func newOne(mix *Mixture) *one { return &one{dn: mix.NewDenoiser().(*Denoiser)} }

func (o *one) Denoise(dst, xt []float64, alphaBar float64) []float64 {
	pt, err := o.dn.Linearize(context.Background(), dst, xt, alphaBar)
	if err != nil {
		panic(err)
	}
	o.pt = pt
	return dst
}

func (o *one) VJP(dst, v []float64) []float64 {
	if err := o.pt.VJP(context.Background(), dst, v); err != nil {
		panic(err)
	}
	return dst
}

func (o *one) Responsibilities() []float64 { return o.dn.Responsibilities(0) }

func TestDenoiseMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ K, q int }{{1, 0}, {1, 3}, {4, 3}, {3, 5}} {
		mix := Random(img.Shape{H: 3, W: 4, C: 1}, tc.K, tc.q, uint64(tc.K*10+tc.q))
		dn := newOne(mix)
		for _, ab := range testAlphaBars() {
			for trial := 0; trial < 3; trial++ {
				xt := noisyPoint(mix, ab, rng)
				got := dn.Denoise(make([]float64, mix.Dim()), xt, ab)
				wWant, x0Want := denseDenoise(t, mix, xt, ab)
				if e := maxRelErr(got, x0Want); e > 1e-10 {
					t.Errorf("K=%d q=%d ᾱ=%.3g: x̂0 rel err %.2e", tc.K, tc.q, ab, e)
				}
				for k, w := range dn.Responsibilities() {
					if math.Abs(w-wWant[k]) > 1e-10 {
						t.Errorf("K=%d q=%d ᾱ=%.3g: w_%d = %v, dense %v", tc.K, tc.q, ab, k, w, wWant[k])
					}
				}
			}
		}
	}
}

// TestVJPFiniteDifference checks Jᵀv against central differences of vᵀ·x̂0(x_t):
// (vᵀx̂0(x + h·e_i) − vᵀx̂0(x − h·e_i)) / 2h = (Jᵀv)_i.
func TestVJPFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	mix := Random(img.Shape{H: 4, W: 4, C: 1}, 5, 4, 7)
	d := mix.Dim()
	dn := newOne(mix)
	fd := newOne(mix)
	for _, ab := range testAlphaBars() {
		for trial := 0; trial < 3; trial++ {
			xt := noisyPoint(mix, ab, rng)
			v := make([]float64, d)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			orig := append([]float64(nil), v...)
			x0 := make([]float64, d)
			dn.Denoise(x0, xt, ab)
			got := make([]float64, d)
			for i := range got {
				got[i] = math.NaN()
			}
			dn.VJP(got, v)
			if maxRelErr(v, orig) != 0 {
				t.Fatal("VJP modified v")
			}
			want := make([]float64, d)
			h := 1e-5 * math.Sqrt(1-ab)
			xp := append([]float64(nil), xt...)
			out := make([]float64, d)
			dot := func(a []float64) float64 {
				s := 0.0
				for i := range a {
					s += a[i] * v[i]
				}
				return s
			}
			for i := range xt {
				xp[i] = xt[i] + h
				fp := dot(fd.Denoise(out, xp, ab))
				xp[i] = xt[i] - h
				fm := dot(fd.Denoise(out, xp, ab))
				xp[i] = xt[i]
				want[i] = (fp - fm) / (2 * h)
			}
			if e := maxRelErr(got, want); e > 1e-6 {
				t.Errorf("ᾱ=%.4g trial %d: Jᵀv rel err %.2e", ab, trial, e)
			}
		}
	}
}

func TestDenoiseAllocs(t *testing.T) {
	mix := Random(img.Shape{H: 8, W: 8, C: 1}, 3, 4, 1)
	dn := newOne(mix)
	x := noisyPoint(mix, 0.5, rand.New(rand.NewPCG(1, 1)))
	dst := make([]float64, mix.Dim())
	v := make([]float64, mix.Dim())
	if n := testing.AllocsPerRun(10, func() {
		dn.Denoise(dst, x, 0.5)
		dn.VJP(v, x)
	}); n != 0 {
		t.Errorf("%v allocations per Denoise+VJP", n)
	}
}

// TestBatchMatchesRows: a batch gives what each row gives alone, bit for
// bit, and its VJP likewise. A stale point and bad lengths are errors.
func TestBatchMatchesRows(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct {
		K, q, B int
		f32     bool // float32 bases: the batch's rows share basis passes four at a time
		// B ≥ 16: the batch is split over cores (partsFor) where there are two
	}{{4, 3, 5, false}, {3, 0, 6, false}, {5, 4, 2, false}, {1, 2, 4, false}, {4, 3, 5, true}, {3, 9, 9, true}, {2, 8, 4, true}, {3, 5, 17, false}, {2, 8, 21, true}} {
		mix := Random(img.Shape{H: 4, W: 5, C: 1}, tc.K, tc.q, uint64(5+tc.K))
		if tc.f32 {
			mix = float32Twin(mix)
		}
		d, B := mix.Dim(), tc.B
		dn := mix.NewDenoiser().(*Denoiser)
		single := newOne(mix)
		for _, ab := range testAlphaBars() {
			xt, v := make([]float64, B*d), make([]float64, B*d)
			for i := 0; i < B; i++ {
				copy(xt[i*d:], noisyPoint(mix, ab, rng))
			}
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			x0, jv := make([]float64, B*d), make([]float64, B*d)
			pt, err := dn.Linearize(ctx, x0, xt, ab)
			if err != nil {
				t.Fatal(err)
			}
			if err := pt.VJP(ctx, jv, v); err != nil {
				t.Fatal(err)
			}
			const tol = 0
			for i := 0; i < B; i++ {
				want := single.Denoise(make([]float64, d), xt[i*d:(i+1)*d], ab)
				wantJv := single.VJP(make([]float64, d), v[i*d:(i+1)*d])
				if e := maxRelErr(x0[i*d:(i+1)*d], want); e > tol {
					t.Errorf("K=%d q=%d B=%d ᾱ=%.3g row %d: x̂0 rel err %.2e", tc.K, tc.q, B, ab, i, e)
				}
				if e := maxRelErr(jv[i*d:(i+1)*d], wantJv); e > tol {
					t.Errorf("K=%d q=%d B=%d ᾱ=%.3g row %d: Jᵀv rel err %.2e", tc.K, tc.q, B, ab, i, e)
				}
				for k, w := range dn.Responsibilities(i) {
					if math.Abs(w-single.Responsibilities()[k]) > 1e-12 {
						t.Errorf("row %d: w_%d = %v, alone %v", i, k, w, single.Responsibilities()[k])
					}
				}
			}
		}
	}
	mix := Random(img.Shape{H: 4, W: 4, C: 1}, 2, 2, 1)
	d := mix.Dim()
	dn := mix.NewDenoiser().(*Denoiser)
	x0, xt := make([]float64, 4*d), make([]float64, 4*d)
	pt, _ := dn.Linearize(ctx, x0, xt, 0.3)
	if err := dn.Denoise(ctx, x0[:d], xt[:d], 0.3); err != nil {
		t.Fatal(err)
	}
	if err := pt.VJP(ctx, x0, xt); !errors.Is(err, denoiser.ErrStale) {
		t.Errorf("VJP at a stale point: %v", err)
	}
	for _, bad := range [][2][]float64{{x0[:d], xt[:d+1]}, {x0[:2*d], xt[:d]}, {nil, nil}} {
		if err := dn.Denoise(ctx, bad[0], bad[1], 0.3); err == nil {
			t.Errorf("lengths %d, %d accepted", len(bad[0]), len(bad[1]))
		}
	}
	if err := dn.Denoise(ctx, x0, xt, 0); err == nil {
		t.Error("ᾱ = 0 accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := dn.Denoise(cancelled, x0, xt, 0.3); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// BenchmarkBatch32 evaluates x̂0 and Jᵀv for 32 inputs at once on an
// MNIST-sized mixture (K = 10, d = 784, q = 120) at three noise levels
// (all components reached at ᾱ = 0.01, few at 0.9), with float64 bases
// and with float32 ones (Mixture.Float32Bases, as the embedded prior).
func BenchmarkBatch32(b *testing.B) {
	wide := Random(img.Shape{H: 28, W: 28, C: 1}, 10, 120, 1)
	for _, mix := range []*Mixture{wide, float32Twin(wide)} {
		b.Run(map[bool]string{false: "f64", true: "f32"}[mix.Float32Bases], func(b *testing.B) { benchmarkBatch32(b, mix) })
	}
}

func benchmarkBatch32(b *testing.B, mix *Mixture) {
	d, B := mix.Dim(), 32
	for _, ab := range []float64{0.01, 0.3, 0.9} {
		rng := rand.New(rand.NewPCG(1, 1))
		xt := make([]float64, B*d)
		for i := 0; i < B; i++ {
			copy(xt[i*d:], noisyPoint(mix, ab, rng))
		}
		x0, jv := make([]float64, B*d), make([]float64, B*d)
		b.Run(fmt.Sprintf("ab=%g", ab), func(b *testing.B) {
			ctx := context.Background()
			dn := mix.NewDenoiser().(*Denoiser)
			b.ReportAllocs()
			cpu := benchcpu.Start()
			for b.Loop() {
				pt, _ := dn.Linearize(ctx, x0, xt, ab)
				pt.VJP(ctx, jv, x0)
			}
			benchcpu.Report(b, cpu)
		})
	}
}
