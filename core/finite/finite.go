// Package finite writes JSON in which a figure may be missing: a number
// that is NaN or ±Inf is written as null (JSON has no NaN), any other as
// the shortest decimal that reads back to the same float64 ('g' format).
//
// Reports hold such numbers in two ways, both written by Float: fields of
// type Float (or []Float), and plain float64 fields of a struct whose
// MarshalJSON method returns Struct(v).
package finite

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Float is a float64 that marshals non-finite values (NaN, ±Inf) as
// null, so a diverged run still gives valid JSON.
type Float float64

// MarshalJSON writes f, or null when it is not finite.
func (f Float) MarshalJSON() ([]byte, error) { return f.append(nil), nil }

func (f Float) append(b []byte) []byte {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// Floats converts a slice to Floats.
func Floats(xs []float64) []Float {
	out := make([]Float, len(xs))
	for i, x := range xs {
		out[i] = Float(x)
	}
	return out
}

// Struct encodes a struct's exported fields by their json tags, as
// encoding/json does (names, "-", omitempty), but writes every float64
// field as a Float. It is for a MarshalJSON method of a struct whose
// figures stay float64 for arithmetic. v must be a struct.
func Struct(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(name)
		b.Write(key)
		b.WriteByte(':')
		if fv.Kind() == reflect.Float64 {
			b.Write(Float(fv.Float()).append(nil))
			continue
		}
		val, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
