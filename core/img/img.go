// Package img holds the image shape shared by every part of tweedie's core.
//
// Images are flattened to vectors of d = H·W·C float64 values in [-1, 1],
// stored row-major with channels innermost:
//
//	index(y, x, c) = (y·W + x)·C + c
package img

import "fmt"

// Shape is the size of an image: height, width and channels.
type Shape struct {
	H, W, C int
}

// Len returns d = H·W·C, the length of a flattened image.
func (s Shape) Len() int { return s.H * s.W * s.C }

// Index returns the position of pixel (y, x) channel c in a flattened image.
func (s Shape) Index(y, x, c int) int { return (y*s.W+x)*s.C + c }

// Valid reports whether every dimension is positive.
func (s Shape) Valid() bool { return s.H > 0 && s.W > 0 && s.C > 0 }

func (s Shape) String() string { return fmt.Sprintf("%d×%d×%d", s.H, s.W, s.C) }

// Image is a flattened image with its shape. Pix values are in [-1, 1] for
// natural images; a NaN marks a pixel with no value (an unobserved pixel
// of an inpainting measurement), which renderers draw as a hatch.
type Image struct {
	Shape Shape
	Pix   []float64
}
