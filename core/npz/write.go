package npz

import (
	"archive/zip"
	"fmt"
	"io"
)

// WriteNPY writes one .npy array of dtype dt: the values, in C order, must
// fill shape (a scalar has shape nil). Float64 values are written exactly;
// for the other dtypes the caller gives values they represent.
func WriteNPY(w io.Writer, dt DType, shape []int, values []float64) error {
	c := codecs[dt]
	if c.encode == nil {
		return fmt.Errorf("npy: dtype %q", dt)
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	if n != len(values) {
		return fmt.Errorf("npy: %d values for shape %v", len(values), shape)
	}
	buf := formatHeader(dt, shape)
	buf = append(make([]byte, 0, len(buf)+c.size*n), buf...)
	for _, v := range values {
		buf = c.encode(buf, v)
	}
	_, err := w.Write(buf)
	return err
}

// Writer writes an .npz archive, one array at a time.
type Writer struct {
	zw  *zip.Writer
	err error
}

// NewWriter starts an archive on w.
func NewWriter(w io.Writer) *Writer { return &Writer{zw: zip.NewWriter(w)} }

// Write adds the array name (stored as "name.npy"). After an error every
// later Write and Close return it.
func (z *Writer) Write(name string, dt DType, shape []int, values []float64) error {
	if z.err != nil {
		return z.err
	}
	f, err := z.zw.Create(name + ".npy")
	if err == nil {
		err = WriteNPY(f, dt, shape, values)
	}
	if err != nil {
		z.err = fmt.Errorf("npz: array %q: %w", name, err)
	}
	return z.err
}

// Close finishes the archive (it does not close the underlying writer).
func (z *Writer) Close() error {
	if err := z.zw.Close(); z.err == nil && err != nil {
		z.err = fmt.Errorf("npz: %w", err)
	}
	return z.err
}
