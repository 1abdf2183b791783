package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
)

func randImage(rng *rand.Rand, s img.Shape) []float64 {
	v := make([]float64, s.Len())
	for i := range v {
		v[i] = 2*rng.Float64() - 1
	}
	return v
}

// smoothImage is a structured image (a few blobs) in [−1, 1], more like a
// digit than white noise.
func smoothImage(s img.Shape) []float64 {
	v := make([]float64, s.Len())
	for y := range s.H {
		for x := range s.W {
			for c := range s.C {
				fy, fx := float64(y)/float64(s.H), float64(x)/float64(s.W)
				v[s.Index(y, x, c)] = 0.8*math.Sin(6*fy+float64(c))*math.Cos(5*fx) - 0.1
			}
		}
	}
	return v
}

func TestPSNR(t *testing.T) {
	x := []float64{0, 0, 0, 0}
	ref := []float64{0.1, -0.1, 0.2, 0}
	// MSE = (0.01 + 0.01 + 0.04)/4 = 0.015; PSNR = 10·log10(4/0.015).
	if got, want := PSNR(x, ref), 24.25968732272281; math.Abs(got-want) > 1e-12 {
		t.Errorf("PSNR = %.15g, want %.15g", got, want)
	}
	if got := MSE(x, ref); math.Abs(got-0.015) > 1e-17 {
		t.Errorf("MSE = %v, want 0.015", got)
	}
	// Maximal error: x = −1 everywhere, ref = 1: MSE = 4, PSNR = 0.
	if got := PSNR([]float64{-1, -1}, []float64{1, 1}); got != 0 {
		t.Errorf("PSNR of opposite extremes = %v, want 0", got)
	}
	if got := PSNR(ref, ref); !math.IsInf(got, 1) {
		t.Errorf("PSNR(x, x) = %v, want +Inf", got)
	}
	if PSNR(x, ref) != PSNR(ref, x) {
		t.Error("PSNR not symmetric")
	}
	// Halving the error adds 10·log10(4) dB.
	half := []float64{0.05, -0.05, 0.1, 0}
	if d := PSNR(half, ref) - PSNR(x, ref); math.Abs(d-10*math.Log10(4)) > 1e-12 {
		t.Errorf("halving the error changes PSNR by %v dB", d)
	}
	for _, f := range []func(){
		func() { PSNR([]float64{1}, []float64{1, 2}) },
		func() { PSNR(nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on bad lengths")
				}
			}()
			f()
		}()
	}
}

func TestSSIMIdentical(t *testing.T) {
	for _, s := range []img.Shape{{H: 28, W: 28, C: 1}, {H: 11, W: 13, C: 3}} {
		x := randImage(rand.New(rand.NewPCG(1, 2)), s)
		x0 := append([]float64(nil), x...)
		if got := SSIM(x, x, s); math.Abs(got-1) > 1e-12 {
			t.Errorf("%v: SSIM(x, x) = %v, want 1", s, got)
		}
		for i := range x {
			if x[i] != x0[i] {
				t.Fatal("SSIM modified its input")
			}
		}
	}
}

// TestSSIMConstant: for constant images a and b every local variance is 0,
// so SSIM = (2ab + C1)/(a² + b² + C1), C1 = (0.01·2)² = 0.0004.
// With a = 0.5, b = 0.25: 0.2504/0.3129.
func TestSSIMConstant(t *testing.T) {
	s := img.Shape{H: 12, W: 15, C: 2}
	x, ref := make([]float64, s.Len()), make([]float64, s.Len())
	for i := range x {
		x[i], ref[i] = 0.5, 0.25
	}
	if got, want := SSIM(x, ref, s), 0.2504/0.3129; math.Abs(got-want) > 1e-12 {
		t.Errorf("SSIM of constants = %.15g, want %.15g", got, want)
	}
}

func TestSSIMSymmetricAndBounded(t *testing.T) {
	s := img.Shape{H: 28, W: 28, C: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := randImage(rng, s), randImage(rng, s)
	a, b := SSIM(x, y, s), SSIM(y, x, s)
	if math.Abs(a-b) > 1e-14 {
		t.Errorf("SSIM not symmetric: %v vs %v", a, b)
	}
	if !(a > -1 && a < 1) {
		t.Errorf("SSIM of unrelated noise = %v, want in (−1, 1)", a)
	}
	// Reflecting the texture about a common mean keeps the luminance term
	// near 1 and makes the structure term near −1: SSIM < 0.
	up, down := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		up[i], down[i] = 0.5+0.3*x[i], 0.5-0.3*x[i]
	}
	if got := SSIM(up, down, s); got >= -0.5 {
		t.Errorf("SSIM of reflected textures = %v, want below −0.5", got)
	}
}

func TestSSIMDecreasesWithNoise(t *testing.T) {
	s := img.Shape{H: 28, W: 28, C: 1}
	ref := smoothImage(s)
	noise := randImage(rand.New(rand.NewPCG(5, 6)), s)
	prev := 1.0
	for _, sigma := range []float64{0.01, 0.05, 0.1, 0.2, 0.5, 1} {
		x := make([]float64, len(ref))
		for i := range x {
			x[i] = ref[i] + sigma*noise[i]
		}
		got := SSIM(x, ref, s)
		if !(got < prev) {
			t.Errorf("noise %v: SSIM %v not below %v", sigma, got, prev)
		}
		prev = got
	}
	if prev > 0.5 {
		t.Errorf("SSIM at heavy noise = %v, want well below 1", prev)
	}
}

// TestSSIMBruteForce checks SSIM against a direct evaluation of the formula:
// a 2-D Gaussian window built and normalised on its own, moments as
// weighted sums of centred products.
func TestSSIMBruteForce(t *testing.T) {
	for _, s := range []img.Shape{{H: 13, W: 12, C: 1}, {H: 14, W: 11, C: 2}, {H: 28, W: 28, C: 1}} {
		rng := rand.New(rand.NewPCG(7, uint64(s.H)))
		ref := smoothImage(s)
		x := make([]float64, len(ref))
		for i, v := range randImage(rng, s) {
			x[i] = math.Max(-1, math.Min(1, ref[i]+0.3*v))
		}
		got := SSIM(x, ref, s)
		want := bruteSSIM(x, ref, s)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%v: SSIM = %.15g, brute force %.15g", s, got, want)
		}
	}
}

func bruteSSIM(x, y []float64, s img.Shape) float64 {
	const r, sigma = 5, 1.5
	var w [2*r + 1][2*r + 1]float64
	tot := 0.0
	for a := -r; a <= r; a++ {
		for b := -r; b <= r; b++ {
			w[a+r][b+r] = math.Exp(-float64(a*a+b*b) / (2 * sigma * sigma))
			tot += w[a+r][b+r]
		}
	}
	c1, c2 := 0.02*0.02, 0.06*0.06
	mean := 0.0
	for c := 0; c < s.C; c++ {
		sum, n := 0.0, 0
		for i := r; i < s.H-r; i++ {
			for j := r; j < s.W-r; j++ {
				var mx, my float64
				for a := -r; a <= r; a++ {
					for b := -r; b <= r; b++ {
						k := w[a+r][b+r] / tot
						mx += k * x[s.Index(i+a, j+b, c)]
						my += k * y[s.Index(i+a, j+b, c)]
					}
				}
				var vx, vy, vxy float64
				for a := -r; a <= r; a++ {
					for b := -r; b <= r; b++ {
						k := w[a+r][b+r] / tot
						dx, dy := x[s.Index(i+a, j+b, c)]-mx, y[s.Index(i+a, j+b, c)]-my
						vx += k * dx * dx
						vy += k * dy * dy
						vxy += k * dx * dy
					}
				}
				sum += (2*mx*my + c1) * (2*vxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				n++
			}
		}
		mean += sum / float64(n)
	}
	return mean / float64(s.C)
}

func TestSSIMSmallImage(t *testing.T) {
	s := img.Shape{H: 10, W: 28, C: 1}
	x := make([]float64, s.Len())
	if got := SSIM(x, x, s); !math.IsNaN(got) {
		t.Errorf("SSIM on a 10-row image = %v, want NaN", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on length mismatch")
		}
	}()
	SSIM(x, x[1:], s)
}

func BenchmarkSSIM28(b *testing.B) {
	s := img.Shape{H: 28, W: 28, C: 1}
	x, y := smoothImage(s), randImage(rand.New(rand.NewPCG(1, 1)), s)
	b.ReportAllocs()
	for b.Loop() {
		SSIM(x, y, s)
	}
}

func BenchmarkPSNR28(b *testing.B) {
	s := img.Shape{H: 28, W: 28, C: 1}
	x, y := smoothImage(s), randImage(rand.New(rand.NewPCG(1, 1)), s)
	b.ReportAllocs()
	for b.Loop() {
		PSNR(x, y)
	}
}
