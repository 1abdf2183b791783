package imgio

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"tweedie/core/img"
)

// seeds are small valid images of each format, and their corruptions.
func seeds(f *testing.F) {
	src := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 37)
	}
	var p, j, g bytes.Buffer
	png.Encode(&p, src)
	jpeg.Encode(&j, src, nil)
	pal := image.NewPaletted(src.Bounds(), []color.Color{color.Black, color.White})
	gif.Encode(&g, pal, nil)
	for _, b := range [][]byte{p.Bytes(), j.Bytes(), g.Bytes()} {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	// A PNG header claiming 1×67,000,000 pixels.
	huge := append([]byte(nil), p.Bytes()[:33]...)
	copy(huge[16:24], []byte{0, 0, 0, 1, 3, 255, 255, 255})
	f.Add(huge)
	f.Add([]byte("not an image"))
}

// FuzzRead: any bytes either give an error or a ground truth of the asked
// shape with every pixel in [-1, 1]; nothing panics or allocates past the
// size bounds.
func FuzzRead(f *testing.F) {
	seeds(f)
	shapes := []img.Shape{{H: 28, W: 28, C: 1}, {H: 8, W: 6, C: 3}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, shape := range shapes {
			im, err := Read(bytes.NewReader(data), "fuzz", shape)
			if err != nil {
				continue
			}
			if im.Shape != shape || len(im.Pix) != shape.Len() {
				t.Fatalf("shape %v, %d values; want %v", im.Shape, len(im.Pix), shape)
			}
			for _, v := range im.Pix {
				if !(v >= -1-1e-9 && v <= 1+1e-9) || math.IsNaN(v) {
					t.Fatalf("pixel %v outside [-1, 1]", v)
				}
			}
		}
	})
}

// FuzzDecode: render's decoding gives an error or a non-empty image within
// the size bounds.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		b := im.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxSide || b.Dy() > MaxSide || b.Dx()*b.Dy() > MaxPixels {
			t.Fatalf("decoded %v", b)
		}
	})
}
