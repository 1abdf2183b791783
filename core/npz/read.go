package npz

import (
	"archive/zip"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Array is an array read from a file: its dtype and shape as stored and
// its values in C order, as float64.
type Array struct {
	DType DType
	Shape []int
	Data  []float64
}

// ReadValues reads the n values that follow header h in r, converted to
// float64, and checks that the array ends there. The caller bounds n (with
// Header.Len); the data is read in chunks, so memory is the result's alone.
func ReadValues(r io.Reader, h Header, n int) ([]float64, error) {
	c := codecs[h.DType]
	if c.decode == nil {
		return nil, fmt.Errorf("npy data: dtype %q", h.DType)
	}
	out := make([]float64, n)
	var buf [8 << 10]byte
	per := len(buf) / c.size
	for i := 0; i < n; {
		k := min(n-i, per)
		if _, err := io.ReadFull(r, buf[:c.size*k]); err != nil {
			return nil, fmt.Errorf("npy data: %d of %d values: %w", i, n, err)
		}
		for j := range k {
			out[i+j] = c.decode(buf[c.size*j:])
		}
		i += k
	}
	switch _, err := io.ReadFull(r, buf[:1]); err {
	case io.EOF:
		return out, nil
	case nil:
		return nil, fmt.Errorf("npy data: trailing bytes after %d values", n)
	default:
		return nil, fmt.Errorf("npy data: %w", err)
	}
}

// ReadNPY reads a whole .npy array of at most limit values.
func ReadNPY(r io.Reader, limit int) (Array, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return Array{}, err
	}
	n, err := h.Len(limit)
	if err != nil {
		return Array{}, err
	}
	v, err := ReadValues(r, h, n)
	if err != nil {
		return Array{}, err
	}
	return Array{DType: h.DType, Shape: h.Shape, Data: v}, nil
}

// Reader reads the arrays of an .npz archive by name (with or without the
// ".npy" suffix of the entries; numpy.load names them without).
type Reader struct {
	files map[string]*zip.File
}

// NewReader opens the archive of size bytes that r holds.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		if files[name] != nil {
			return nil, fmt.Errorf("array %q stored twice", name)
		}
		files[name] = f
	}
	return &Reader{files: files}, nil
}

// Names lists the arrays, sorted.
func (z *Reader) Names() []string {
	names := make([]string, 0, len(z.files))
	for n := range z.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// open opens an array and reads its header.
func (z *Reader) open(name string) (io.ReadCloser, Header, error) {
	f := z.files[name]
	if f == nil {
		return nil, Header{}, fmt.Errorf("no array %q", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, Header{}, fmt.Errorf("array %q: %w", name, err)
	}
	h, err := ReadHeader(rc)
	if err != nil {
		rc.Close()
		return nil, Header{}, fmt.Errorf("array %q: %w", name, err)
	}
	return rc, h, nil
}

// Header reads the header of an array, without its data.
func (z *Reader) Header(name string) (Header, error) {
	rc, h, err := z.open(name)
	if err != nil {
		return Header{}, err
	}
	rc.Close()
	return h, nil
}

// Read reads an array of at most limit values.
func (z *Reader) Read(name string, limit int) (Array, error) {
	rc, h, err := z.open(name)
	if err != nil {
		return Array{}, err
	}
	defer rc.Close()
	n, err := h.Len(limit)
	if err == nil {
		var v []float64
		if v, err = ReadValues(rc, h, n); err == nil {
			return Array{DType: h.DType, Shape: h.Shape, Data: v}, nil
		}
	}
	return Array{}, fmt.Errorf("array %q: %w", name, err)
}
