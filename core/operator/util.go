package operator

import "tweedie/core/img"

// mustLen panics with a message naming the operator method if len(s) != n.
func mustLen(who, arg string, s []float64, n int) {
	if len(s) != n {
		panic("operator: " + who + ": len(" + arg + ") mismatch")
	}
}

// newImage returns a zeroed image of the given shape.
func newImage(s img.Shape) img.Image {
	return img.Image{Shape: s, Pix: make([]float64, s.Len())}
}
