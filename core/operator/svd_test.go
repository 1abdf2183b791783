package operator

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"tweedie/core/img"
)

// TestSVDSingularValues: A·Aᵀ has eigenvalues s_i² with s_i in (0, 1), and
// the seed fixes A.
func TestSVDSingularValues(t *testing.T) {
	shape := img.Shape{H: 1, W: 8, C: 1}
	op, err := Parse("svd:dy=4,seed=3", shape)
	if err != nil {
		t.Fatal(err)
	}
	a := op.(*svd)
	A := mat.NewDense(4, 8, a.a)
	var g mat.SymDense
	g.SymOuterK(1, A)
	var es mat.EigenSym
	es.Factorize(&g, false)
	for _, v := range es.Values(nil) {
		if !(v > 0 && v < 1) {
			t.Errorf("eigenvalue of A·Aᵀ %v outside (0, 1)", v)
		}
	}
	for i := 1; i < 4; i++ {
		if a.s2[i] > a.s2[i-1] {
			t.Errorf("singular values not sorted: %v", a.s2)
		}
	}
	b, _ := Parse("svd:dy=4,seed=3", shape)
	c, _ := Parse("svd:dy=4,seed=4", shape)
	same := true
	for i := range a.a {
		if a.a[i] != b.(*svd).a[i] {
			t.Fatal("same seed, different A")
		}
		same = same && a.a[i] == c.(*svd).a[i]
	}
	if same {
		t.Error("different seeds, same A")
	}
	if _, err := Parse("svd:dy=9", shape); err == nil {
		t.Error("dy > d accepted")
	}
}
