// Package imgio reads image files as ground truths and draws images as PNG
// and GIF: the image files tweedie reads and writes, with every size
// bounded before anything is decoded.
package imgio

import (
	"fmt"
	"image"
	_ "image/gif"  // decoders for Load and Decode
	_ "image/jpeg" //
	_ "image/png"  //
	"io"

	"golang.org/x/image/draw"

	"tweedie/core/img"
	"tweedie/internal/safefile"
)

// Bounds of an image file Load or Decode reads, each side and the
// pixel count, checked from its header before the pixels are decoded: a
// small file can claim 1×67,000,000 pixels, and resizing allocates in
// proportion to the source's height.
const (
	MaxSide   = 8192
	MaxPixels = 32 << 20
)

// checkSize refuses an image too large to decode (see MaxSide).
func checkSize(path string, cfg image.Config) error {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide ||
		cfg.Width*cfg.Height > MaxPixels {
		return fmt.Errorf("image file %s: %d×%d pixels: want a non-empty image at most %d pixels on a side and %d in all",
			path, cfg.Width, cfg.Height, MaxSide, MaxPixels)
	}
	return nil
}

// Load reads an image file as a ground truth of the given shape: it is
// resized (stretched, Catmull–Rom) to the shape's H×W when its size differs,
// converted to grayscale (1 channel) or RGB (3 channels), composited over
// black where transparent, and mapped to [-1, 1].
func Load(path string, shape img.Shape) (img.Image, error) {
	f, _, err := safefile.OpenRegular(path)
	if err != nil {
		return img.Image{}, fmt.Errorf("image file: %w", err)
	}
	defer f.Close()
	return Read(f, path, shape)
}

// Read is Load of an image file's bytes; path names it in errors.
func Read(f io.ReadSeeker, path string, shape img.Shape) (img.Image, error) {
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return img.Image{}, fmt.Errorf("image file %s: unreadable image (want PNG, JPEG or GIF): %w", path, err)
	}
	if err := checkSize(path, cfg); err != nil {
		return img.Image{}, err
	}
	if shape.C != 1 && shape.C != 3 {
		return img.Image{}, fmt.Errorf("image file %s: the prior's images have %d channels; only 1 (gray) or 3 (RGB) can be made from an image file", path, shape.C)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return img.Image{}, fmt.Errorf("image file: %w", err)
	}
	im, _, err := image.Decode(f)
	if err != nil {
		return img.Image{}, fmt.Errorf("image file %s: unreadable image: %w", path, err)
	}
	b := im.Bounds()
	if b.Dx() != shape.W || b.Dy() != shape.H {
		dst := image.NewRGBA64(image.Rect(0, 0, shape.W, shape.H))
		draw.CatmullRom.Scale(dst, dst.Bounds(), im, b, draw.Src, nil)
		im, b = dst, dst.Bounds()
	}
	out := img.Image{Shape: shape, Pix: make([]float64, shape.Len())}
	for y := 0; y < shape.H; y++ {
		for x := 0; x < shape.W; x++ {
			// RGBA is alpha-premultiplied: transparent pixels come out black.
			r, g, bl, _ := im.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if shape.C == 1 {
				l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
				out.Pix[shape.Index(y, x, 0)] = 2*l - 1
				continue
			}
			for c, v := range [3]uint32{r, g, bl} {
				out.Pix[shape.Index(y, x, c)] = 2*float64(v)/65535 - 1
			}
		}
	}
	return out, nil
}

func Decode(path string) (image.Image, error) {
	f, _, err := safefile.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decode(f, path)
}

// decode is Decode of an image file's bytes.
func decode(f io.ReadSeeker, path string) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: unreadable image: %w", path, err)
	}
	if err := checkSize(path, cfg); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	im, _, err := image.Decode(f) // a GIF's first frame
	if err != nil {
		return nil, fmt.Errorf("%s: unreadable image: %w", path, err)
	}
	if b := im.Bounds(); b.Dx() == 0 || b.Dy() == 0 {
		return nil, fmt.Errorf("%s: empty image", path)
	}
	return im, nil
}
