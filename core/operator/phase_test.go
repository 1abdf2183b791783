package operator

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPhaseDelta(t *testing.T) {
	// x = δ at (0, 0) of channel 1 has |X| = 1 at every frequency of channel 1, 0 of channel 0.
	op := mustParse(t, testCase{"phase:pad=2", shape5x7})
	x := make([]float64, shape5x7.Len())
	x[1] = 1
	y := op.Apply(nanVec(op.OutLen()), x)
	if op.OutLen() != 10*14*2 {
		t.Fatalf("OutLen = %d, want %d", op.OutLen(), 10*14*2)
	}
	for k, v := range y {
		want := float64(k % 2)
		if math.Abs(v-want) > 1e-14 {
			t.Fatalf("y[%d] = %v, want %v", k, v, want)
		}
	}
	// VJP at x = 0 (every X = 0) is 0 and finite.
	g := op.VJP(nanVec(len(x)), make([]float64, len(x)), randVec(rand.New(rand.NewPCG(1, 1)), op.OutLen()))
	for _, v := range g {
		if v != 0 {
			t.Fatalf("VJP at X = 0 is %v, want 0", v)
		}
	}
}

func TestPhaseShiftInvariance(t *testing.T) {
	// |FFT| of a zero-padded image does not change when the image content is
	// translated inside the padded frame; check via a one-pixel shift of an
	// image whose last row is zero.
	s := shape6
	op := mustParse(t, testCase{"phase:pad=2", s})
	rng := rand.New(rand.NewPCG(2, 2))
	x := randVec(rng, s.Len())
	for j := range s.W {
		x[s.Index(s.H-1, j, 0)] = 0
	}
	shifted := make([]float64, s.Len())
	for i := 0; i < s.H-1; i++ {
		for j := range s.W {
			shifted[s.Index(i+1, j, 0)] = x[s.Index(i, j, 0)]
		}
	}
	a := op.Apply(make([]float64, op.OutLen()), x)
	b := op.Apply(make([]float64, op.OutLen()), shifted)
	if e := relErr(b, a); e > 1e-13 {
		t.Errorf("|FFT| changed under translation: rel err %.3g", e)
	}
}

func TestPhaseDisplay(t *testing.T) {
	// For a positive image the DC term is the largest magnitude; fftshift
	// puts it in the centre, scaled to 1.
	op := mustParse(t, testCase{"phase", shape6})
	x := make([]float64, shape6.Len())
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range x {
		x[i] = 0.1 + 0.9*rng.Float64()
	}
	im := op.Display(op.Apply(make([]float64, op.OutLen()), x))
	if got := im.Pix[im.Shape.Index(6, 6, 0)]; got != 1 {
		t.Errorf("centre of the display = %v, want 1", got)
	}
	lo := slicesMin(im.Pix)
	if lo != -1 {
		t.Errorf("display minimum %v, want −1", lo)
	}
}

func slicesMin(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}
