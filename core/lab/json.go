package lab

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// marshalFinite encodes a struct's exported fields by their json tags, as
// encoding/json does, but writes NaN and ±Inf float64 fields as null (JSON
// has no NaN; the lab uses it for "no figure yet").
func marshalFinite(v any) ([]byte, error) {
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
			x := fv.Float()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				b.WriteString("null")
			} else {
				b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			}
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

// MarshalJSON writes NaN bounds as null.
func (iv Interval) MarshalJSON() ([]byte, error) { return marshalFinite(iv) }

// MarshalJSON writes NaN figures as null.
func (b Band) MarshalJSON() ([]byte, error) {
	return marshalFinite(struct {
		Median float64 `json:"median"`
		Lo     float64 `json:"lo"`
		Hi     float64 `json:"hi"`
	}{b.Median, b.Lo, b.Hi})
}

// MarshalJSON writes NaN figures as null.
func (c ComponentCalibration) MarshalJSON() ([]byte, error) { return marshalFinite(c) }

// MarshalJSON writes NaN figures as null.
func (p TimePoint) MarshalJSON() ([]byte, error) { return marshalFinite(p) }
