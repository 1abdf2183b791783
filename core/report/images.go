package report

import (
	"io"

	"tweedie/core/export"
	"tweedie/core/img"
	"tweedie/core/imgio"
)

// namedImage is an image file of a report.
type namedImage struct {
	name string
	im   img.Image
}

// writeImages writes each image as an 8-bit PNG at its view scale.
func writeImages(od *export.Dir, ims []namedImage) error {
	for _, p := range ims {
		if err := od.Write(p.name, func(w io.Writer) error {
			return imgio.WritePNG(w, imgio.RGBA(p.im, imgio.ViewScale(p.im.Shape)))
		}); err != nil {
			return err
		}
	}
	return nil
}
