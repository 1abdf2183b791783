package operator

import (
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/img"
)

// TestConvolverTransfer checks k̂ against Apply: F⁻¹·(k̂ ⊙ F·x)/(H·W) on
// each channel, by a plain O(d²) DFT (not fft2), equals A·x.
func TestConvolverTransfer(t *testing.T) {
	shape := img.Shape{H: 5, W: 6, C: 2}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, spec := range []string{"identity", "blur-gauss:size=3,std=0.8", "blur-motion:size=5,seed=3", "blur-gauss:size=9,std=2"} {
		op, err := Parse(spec, shape)
		if err != nil {
			t.Fatal(err)
		}
		cv, ok := op.(Convolver)
		if !ok {
			t.Fatalf("%s is not a Convolver", spec)
		}
		khat := cv.Transfer()
		x := make([]float64, shape.Len())
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		want := op.Apply(make([]float64, shape.Len()), x)
		H, W, C := shape.H, shape.W, shape.C
		for c := 0; c < C; c++ {
			for y := 0; y < H; y++ {
				for xx := 0; xx < W; xx++ {
					var got complex128
					for u := 0; u < H; u++ {
						for v := 0; v < W; v++ {
							var X complex128 // F·x at (u, v)
							for a := 0; a < H; a++ {
								for b := 0; b < W; b++ {
									X += complex(x[shape.Index(a, b, c)], 0) * cis(-2*math.Pi*(float64(u*a)/float64(H)+float64(v*b)/float64(W)))
								}
							}
							got += khat[u*W+v] * X * cis(2*math.Pi*(float64(u*y)/float64(H)+float64(v*xx)/float64(W)))
						}
					}
					g := real(got) / float64(H*W)
					if w := want[shape.Index(y, xx, c)]; math.Abs(g-w) > 1e-12 || math.Abs(imag(got))/float64(H*W) > 1e-12 {
						t.Fatalf("%s: pixel (%d, %d, %d): F⁻¹(k̂·F·x) = %v, A·x = %v", spec, y, xx, c, got/complex(float64(H*W), 0), w)
					}
				}
			}
		}
	}
	if _, ok := WithCG(mustParse(t, testCase{"blur-gauss", shape}).(Linear), 0, 0).(Convolver); ok {
		t.Error("an operator wrapped by WithCG claims to be a Convolver")
	}
}

func cis(a float64) complex128 { return complex(math.Cos(a), math.Sin(a)) }
