// Package digitfile is the on-disk format of tweedie's embedded test
// digits (assets/mnist_test_digits.bin): a few MNIST test-split images
// kept as raw bytes with their labels and test-split indices.
//
// All numbers are little-endian. The layout is
//
//	magic    [4]byte  "TWDG"
//	version  uint16   1
//	reserved uint16   0
//	H, W, C  uint32   image shape, d = H·W·C
//	N        uint32   number of digits
//	then for each digit:
//	  label  uint8
//	  index  uint32   position in the MNIST test split
//	  pixels [d]uint8 intensities 0..255 (x = p/127.5 − 1 in tweedie's units)
//	crc      uint32   CRC-32 (IEEE) of every preceding byte
package digitfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Magic opens every digit file.
const Magic = "TWDG"

// Version is the only format version this package reads and writes.
const Version = 1

// maxSide bounds the height, width and channels of a digit file.
const maxSide = 1 << 14

// ErrCorrupt is wrapped by every error Decode returns for malformed input.
var ErrCorrupt = errors.New("digitfile: corrupt digit file")

// Digit is one stored image.
type Digit struct {
	Label uint8
	Index uint32
	Pix   []uint8
}

// File is the decoded content: a shape and the digits of that shape.
type File struct {
	H, W, C int
	Digits  []Digit
}

// Encode writes f.
func Encode(w io.Writer, f *File) error {
	if f.H <= 0 || f.W <= 0 || f.C <= 0 || f.H > maxSide || f.W > maxSide || f.C > maxSide || len(f.Digits) > math.MaxUint32 {
		return fmt.Errorf("digitfile: bad shape %d×%d×%d or %d digits", f.H, f.W, f.C, len(f.Digits))
	}
	d := f.H * f.W * f.C
	le := binary.LittleEndian
	buf := []byte(Magic)
	buf = le.AppendUint16(buf, Version)
	buf = le.AppendUint16(buf, 0)
	for _, v := range []int{f.H, f.W, f.C, len(f.Digits)} {
		buf = le.AppendUint32(buf, uint32(v))
	}
	for i, g := range f.Digits {
		if len(g.Pix) != d {
			return fmt.Errorf("digitfile: digit %d has %d pixels, want %d", i, len(g.Pix), d)
		}
		buf = append(buf, g.Label)
		buf = le.AppendUint32(buf, g.Index)
		buf = append(buf, g.Pix...)
	}
	buf = le.AppendUint32(buf, crc32.ChecksumIEEE(buf))
	_, err := w.Write(buf)
	return err
}

// Decode parses data written by Encode; it never panics.
func Decode(data []byte) (*File, error) {
	const hdr = 4 + 2 + 2 + 4*4
	if len(data) < hdr+4 {
		return nil, fmt.Errorf("%w: %d bytes: %w", ErrCorrupt, len(data), io.ErrUnexpectedEOF)
	}
	if !bytes.Equal(data[:4], []byte(Magic)) {
		return nil, fmt.Errorf("%w: bad magic %q", ErrCorrupt, data[:4])
	}
	le := binary.LittleEndian
	if v := le.Uint16(data[4:]); v != Version {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, v)
	}
	if r := le.Uint16(data[6:]); r != 0 {
		return nil, fmt.Errorf("%w: reserved field %d, want 0", ErrCorrupt, r)
	}
	h, w, c, n := le.Uint32(data[8:]), le.Uint32(data[12:]), le.Uint32(data[16:]), le.Uint32(data[20:])
	if h == 0 || w == 0 || c == 0 || h > maxSide || w > maxSide || c > maxSide {
		return nil, fmt.Errorf("%w: bad shape %d×%d×%d", ErrCorrupt, h, w, c)
	}
	d := int64(h) * int64(w) * int64(c) // ≤ 2^42
	// n·(5+d) can pass 2^63: compare with the length before multiplying.
	if body := int64(len(data)) - hdr - 4; d > body || int64(n) > body/(5+d) {
		return nil, fmt.Errorf("%w: %d digits of %d pixels cannot fit in %d bytes", ErrCorrupt, n, d, len(data))
	}
	want := int64(hdr) + int64(n)*(5+d) + 4
	if int64(len(data)) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupt, len(data), want)
	}
	if got, sum := crc32.ChecksumIEEE(data[:len(data)-4]), le.Uint32(data[len(data)-4:]); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, sum)
	}
	f := &File{H: int(h), W: int(w), C: int(c), Digits: make([]Digit, n)}
	off := int64(hdr)
	for i := range f.Digits {
		g := &f.Digits[i]
		g.Label = data[off]
		g.Index = le.Uint32(data[off+1:])
		g.Pix = bytes.Clone(data[off+5 : off+5+d])
		off += 5 + d
	}
	return f, nil
}
