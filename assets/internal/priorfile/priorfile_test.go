package priorfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"strings"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

func encode(t testing.TB, m *gmm.Mixture) []byte {
	var buf bytes.Buffer
	if err := Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resum replaces the checksum of data after an edit.
func resum(data []byte) []byte {
	n := len(data) - 4
	binary.LittleEndian.PutUint32(data[n:], crc32.ChecksumIEEE(data[:n]))
	return data
}

func TestRoundTrip(t *testing.T) {
	want := gmm.Random(img.Shape{H: 2, W: 3, C: 1}, 3, 2, 1)
	got, err := DecodeBytes(encode(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if got.Shape != want.Shape || len(got.Components) != 3 {
		t.Fatalf("shape %v, %d components", got.Shape, len(got.Components))
	}
	for k, c := range got.Components {
		if w := want.Components[k]; math.Abs(c.Weight-w.Weight) > 1e-6 || math.Abs(c.Mean[0]-w.Mean[0]) > 1e-6 {
			t.Errorf("component %d: weight %v mean %v, want %v %v", k, c.Weight, c.Mean[0], w.Weight, w.Mean[0])
		}
	}
}

// TestNonFiniteScalars: a weight or residual variance of ±Inf or NaN is
// corrupt (an infinite weight used to pass as positive and normalise the
// weights to NaN).
func TestNonFiniteScalars(t *testing.T) {
	m := gmm.Random(img.Shape{H: 1, W: 2, C: 1}, 2, 1, 2)
	off := 4 + 2 + 2 + 4*4 + 4*2 // first component's weight
	for name, c := range map[string]struct {
		off  int
		bits uint32
	}{
		"+Inf weight":   {off, math.Float32bits(float32(math.Inf(1)))},
		"NaN weight":    {off, math.Float32bits(float32(math.NaN()))},
		"-Inf resid":    {off + 4, math.Float32bits(float32(math.Inf(-1)))},
		"+Inf eigen":    {off + 8, math.Float32bits(float32(math.Inf(1)))},
		"+Inf weight 2": {off + 4*(2+1+2+2), math.Float32bits(float32(math.Inf(1)))},
	} {
		data := encode(t, m)
		binary.LittleEndian.PutUint32(data[c.off:], c.bits)
		got, err := DecodeBytes(resum(data))
		if err == nil {
			t.Errorf("%s: accepted (weights %v, %v)", name, got.Components[0].Weight, got.Components[1].Weight)
			continue
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "non-finite") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// FuzzDecode checks that DecodeBytes never panics and that every prior it
// accepts validates and encodes again to a file that decodes to the same
// shape, ranks and (to float32 precision) weights.
func FuzzDecode(f *testing.F) {
	for _, m := range []*gmm.Mixture{
		gmm.Random(img.Shape{H: 1, W: 2, C: 1}, 2, 1, 1),
		gmm.Random(img.Shape{H: 2, W: 2, C: 1}, 1, 0, 2),
	} {
		data := encode(f, m)
		f.Add(data)
		f.Add(data[:len(data)-1])
		inf := bytes.Clone(data)
		binary.LittleEndian.PutUint32(inf[4+2+2+4*4+4*len(m.Components):], math.Float32bits(float32(math.Inf(1))))
		f.Add(resum(inf))
	}
	f.Add([]byte(Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeBytes(data)
		if err != nil {
			if m != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v (mixture %v): want ErrCorrupt alone", err, m != nil)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid prior: %v", err)
		}
		again, err := DecodeBytes(encode(t, m))
		if err != nil {
			t.Fatalf("accepted prior does not round-trip: %v", err)
		}
		if again.Shape != m.Shape || len(again.Components) != len(m.Components) {
			t.Fatalf("round trip: %v %d, want %v %d", again.Shape, len(again.Components), m.Shape, len(m.Components))
		}
		for k, c := range again.Components {
			if c.Rank() != m.Components[k].Rank() || math.Abs(c.Weight-m.Components[k].Weight) > 1e-6 {
				t.Fatalf("round trip: component %d changed", k)
			}
		}
	})
}
