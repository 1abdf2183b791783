package operator

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestQuantize(t *testing.T) {
	for _, levels := range []int{2, 3, 4, 7} {
		c := testCase{"quantize:levels=" + strconv.Itoa(levels), shape8x3}
		op := mustParse(t, c)
		pi, ok := op.(PseudoInverter)
		if !ok || op.Linear() {
			t.Fatalf("%v: want a nonlinear PseudoInverter", c)
		}
		rng := rand.New(rand.NewPCG(51, uint64(levels)))
		x := randVec(rng, op.InShape().Len())
		x[0], x[1], x[2] = -3, 3, math.Nextafter(-1, 0) // clamping
		y := op.Apply(nanVec(op.OutLen()), x)
		step := 2 / float64(levels-1)
		seen := map[float64]bool{}
		for i, v := range y {
			j := math.Round((v + 1) / step)
			if math.Abs(v-(-1+j*step)) > 1e-15 || j < 0 || j > float64(levels-1) {
				t.Fatalf("%v: y[%d] = %v is not a level", c, i, v)
			}
			xc := math.Min(math.Max(x[i], -1), 1)
			if math.Abs(v-xc) > step/2+1e-15 {
				t.Fatalf("%v: y[%d] = %v is not the nearest level to %v", c, i, v, x[i])
			}
			seen[v] = true
		}
		if y[0] != -1 || y[1] != 1 || y[2] != -1 {
			t.Errorf("%v: clamping gives %v", c, y[:3])
		}
		if len(seen) != levels {
			t.Errorf("%v: %d distinct levels in a random image, want %d", c, len(seen), levels)
		}
		// A(A†(A(x))) = A(x), bit for bit.
		z := op.Apply(make([]float64, len(y)), pi.PseudoInverse(nanVec(len(x)), y))
		if !same(z, y) {
			t.Errorf("%v: A(A†(A(x))) ≠ A(x)", c)
		}
	}
}
