package digitfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"
)

func sample() *File {
	return &File{H: 2, W: 3, C: 1, Digits: []Digit{
		{Label: 7, Index: 0, Pix: []uint8{0, 1, 2, 3, 4, 255}},
		{Label: 2, Index: 1234, Pix: []uint8{9, 8, 7, 6, 5, 4}},
	}}
}

func encode(t testing.TB, f *File) []byte {
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// header is a digit file header of the given shape and count followed by
// the checksum alone.
func header(h, w, c, n uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(le.AppendUint16([]byte(Magic), Version), 0)
	for _, v := range []uint32{h, w, c, n} {
		b = le.AppendUint32(b, v)
	}
	return le.AppendUint32(b, crc32.ChecksumIEEE(b))
}

func TestRoundTrip(t *testing.T) {
	want := sample()
	got, err := Decode(encode(t, want))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
}

// TestSizeOverflow: n·(5+d) = 2^29·(237·10077·14387 + 5) = 2^64 wraps to 0,
// so a 28-byte file used to pass the length check and then allocate 2^29
// digits and read past the end.
func TestSizeOverflow(t *testing.T) {
	data := header(237, 10077, 14387, 1<<29)
	if _, err := Decode(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
}

// TestReserved: a file with the reserved field set would not encode back
// to itself, so it is corrupt.
func TestReserved(t *testing.T) {
	data := encode(t, sample())
	data[6] = 1
	n := len(data) - 4
	binary.LittleEndian.PutUint32(data[n:], crc32.ChecksumIEEE(data[:n]))
	if _, err := Decode(data); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("reserved = 1: error %v, want ErrCorrupt", err)
	}
}

// FuzzDecode checks that Decode never panics and that every file it
// accepts encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	data := encode(f, sample())
	f.Add(data)
	f.Add(data[:len(data)-1])
	f.Add(header(1, 1, 1, 0))
	f.Add(header(237, 10077, 14387, 1<<29))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			if file != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v (file %v): want ErrCorrupt alone", err, file != nil)
			}
			return
		}
		if again := encode(t, file); !bytes.Equal(again, data) {
			t.Fatalf("accepted file encodes to different bytes")
		}
	})
}
