package operator

import (
	"testing"

	"tweedie/core/img"
)

func TestMaskLayout(t *testing.T) {
	box := mustParse(t, testCase{"inpaint-box:size=14", shape28}).(Masker)
	m := box.Mask()
	for y := range 28 {
		for x := range 28 {
			missing := y >= 7 && y < 21 && x >= 7 && x < 21
			if (m[shape28.Index(y, x, 0)] == 0) != missing {
				t.Fatalf("box mask at (%d, %d) = %v", y, x, m[shape28.Index(y, x, 0)])
			}
		}
	}
	if n := box.(Operator).OutLen(); n != 784-196 {
		t.Errorf("box OutLen = %d, want 588", n)
	}

	half := mustParse(t, testCase{"inpaint-half", shape5x7})
	for y := range 5 {
		for x := range 7 {
			for c := range 2 {
				if got, want := half.(Masker).Mask()[shape5x7.Index(y, x, c)], y < 3; (got == 1) != want {
					t.Fatalf("half mask at (%d, %d, %d) = %v", y, x, c, got)
				}
			}
		}
	}
	if n := mustParse(t, testCase{"inpaint-half", shape28}).OutLen(); n != 392 {
		t.Errorf("half OutLen at 28×28 = %d, want 392", n)
	}
}

// TestMaskMatchesMatrix checks Mask() against the dense matrix: column i of
// A is nonzero exactly where Mask()[i] = 1, and rows of A select entries in
// ascending order.
func TestMaskMatchesMatrix(t *testing.T) {
	for _, c := range testCases() {
		op := mustParse(t, c)
		mk, ok := op.(Masker)
		if !ok {
			continue
		}
		a := denseMatrix(op)
		m := mk.Mask()
		row := 0
		for i, v := range m {
			if v != 0 && v != 1 {
				t.Fatalf("%v: Mask()[%d] = %v", c, i, v)
			}
			nz := 0
			for r := range op.OutLen() {
				if a.At(r, i) != 0 {
					nz++
					if r != row || a.At(r, i) != 1 {
						t.Fatalf("%v: entry %d maps to row %d with weight %v, want row %d", c, i, r, a.At(r, i), row)
					}
				}
			}
			if (nz == 1) != (v == 1) || nz > 1 {
				t.Fatalf("%v: column %d has %d nonzeros, mask %v", c, i, nz, v)
			}
			if v == 1 {
				row++
			}
		}
		// Every channel of a pixel is observed or missing together.
		s := op.InShape()
		for p := 0; p < s.H*s.W; p++ {
			for ch := 1; ch < s.C; ch++ {
				if m[p*s.C+ch] != m[p*s.C] {
					t.Fatalf("%v: pixel %d channels disagree", c, p)
				}
			}
		}
	}
}

func TestRandomMaskDeterministic(t *testing.T) {
	get := func(spec string, s img.Shape) []float64 {
		return clone(mustParse(t, testCase{spec, s}).(Masker).Mask())
	}
	a := get("inpaint-random:p=0.5,seed=1", shape28)
	if !same(a, get("inpaint-random:p=0.5,seed=1", shape28)) {
		t.Error("same seed gives different masks")
	}
	if same(a, get("inpaint-random:p=0.5,seed=2", shape28)) {
		t.Error("different seeds give the same mask")
	}
	for _, tc := range []struct {
		p       string
		missing int
	}{{"0", 0}, {"0.5", 392}, {"0.25", 196}, {"0.999", 783}} {
		m := get("inpaint-random:p="+tc.p+",seed=4", shape28)
		missing := 0
		for _, v := range m {
			if v == 0 {
				missing++
			}
		}
		if missing != tc.missing {
			t.Errorf("p=%s: %d missing, want %d", tc.p, missing, tc.missing)
		}
	}
	// The mask is the documented PCG permutation: pin the first missing
	// pixels so a change of generator (which would change saved runs) is noticed.
	var first []int
	for i, v := range get("inpaint-random:p=0.5,seed=1", shape28) {
		if v == 0 && len(first) < 8 {
			first = append(first, i)
		}
	}
	want := []int{1, 3, 5, 6, 10, 11, 13, 14}
	for i := range want {
		if first[i] != want[i] {
			t.Fatalf("first missing pixels of seed 1: %v, want %v", first, want)
		}
	}
}
