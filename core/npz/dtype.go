package npz

import (
	"encoding/binary"
	"math"
)

// DType is a NumPy dtype string this package reads and writes.
type DType string

// The dtypes: little-endian floats and integers, and bytes.
const (
	Float64 DType = "<f8"
	Float32 DType = "<f4"
	Int64   DType = "<i8"
	Int32   DType = "<i4"
	Uint8   DType = "|u1"
)

// codecs decode one value of each dtype to float64 and encode one back.
var codecs = map[DType]struct {
	size   int
	decode func(b []byte) float64
	encode func(b []byte, v float64) []byte
}{
	Float64: {8,
		func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) },
		func(b []byte, v float64) []byte { return binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }},
	Float32: {4,
		func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) },
		func(b []byte, v float64) []byte {
			return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}},
	Int64: {8,
		func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) },
		func(b []byte, v float64) []byte { return binary.LittleEndian.AppendUint64(b, uint64(int64(v))) }},
	Int32: {4,
		func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) },
		func(b []byte, v float64) []byte { return binary.LittleEndian.AppendUint32(b, uint32(int32(v))) }},
	Uint8: {1,
		func(b []byte) float64 { return float64(b[0]) },
		func(b []byte, v float64) []byte { return append(b, uint8(v)) }},
}

// Size is the number of bytes of one value.
func (dt DType) Size() int { return codecs[dt].size }

// parseDType reads a descr.
func parseDType(descr string) (DType, bool) {
	_, ok := codecs[DType(descr)]
	return DType(descr), ok
}

func dtypeNames() string {
	return "'<f8', '<f4', '<i8', '<i4', '|u1' (little-endian)"
}
