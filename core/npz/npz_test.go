package npz

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// values of every dtype that the dtype represents exactly.
var samples = map[DType][]float64{
	Float64: {0, -1.5, math.Pi, math.Inf(-1), 1e-300, math.MaxFloat64},
	Float32: {0, -1.5, float64(float32(math.Pi)), math.Inf(1), float64(math.SmallestNonzeroFloat32), float64(float32(3e38))},
	Int64:   {0, -1, 1 << 53, -(1 << 40), 7, 12},
	Int32:   {0, -1, math.MaxInt32, math.MinInt32, 7, 12},
	Uint8:   {0, 1, 255, 128, 7, 12},
}

func TestRoundTrip(t *testing.T) {
	for dt, v := range samples {
		for _, shape := range [][]int{{6}, {2, 3}, {3, 1, 2}} {
			var buf bytes.Buffer
			if err := WriteNPY(&buf, dt, shape, v); err != nil {
				t.Fatal(err)
			}
			if (buf.Len()-len(v)*dt.Size())%64 != 0 {
				t.Errorf("%s %v: header not padded to 64 bytes", dt, shape)
			}
			a, err := ReadNPY(&buf, 100)
			if err != nil {
				t.Fatalf("%s %v: %v", dt, shape, err)
			}
			if a.DType != dt || !reflect.DeepEqual(a.Shape, shape) || !reflect.DeepEqual(a.Data, v) {
				t.Errorf("%s %v: read %v %v %v", dt, shape, a.DType, a.Shape, a.Data)
			}
		}
	}
}

func TestArchive(t *testing.T) {
	var buf bytes.Buffer
	z := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(z.Write("a", Float32, []int{2, 2}, []float64{1, 2, 3, 4}))
	must(z.Write("empty", Float64, []int{3, 0}, nil))
	must(z.Write("n", Int64, nil, []float64{28}))
	if err := z.Write("bad", Float64, []int{3}, []float64{1}); err == nil {
		t.Fatal("3 values promised, 1 given: no error")
	}
	if err := z.Close(); err == nil {
		t.Fatal("Close after a failed Write: no error")
	}
	buf.Reset()
	z = NewWriter(&buf)
	must(z.Write("a", Float32, []int{2, 2}, []float64{1, 2, 3, 4}))
	must(z.Write("empty", Float64, []int{3, 0}, nil))
	must(z.Write("n", Int64, nil, []float64{28}))
	must(z.Close())

	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	must(err)
	if got := r.Names(); !reflect.DeepEqual(got, []string{"a", "empty", "n"}) {
		t.Errorf("names %v", got)
	}
	a, err := r.Read("a", 4)
	must(err)
	if !reflect.DeepEqual(a, Array{DType: Float32, Shape: []int{2, 2}, Data: []float64{1, 2, 3, 4}}) {
		t.Errorf("a = %+v", a)
	}
	if _, err := r.Read("a", 3); err == nil || !strings.Contains(err.Error(), "more than 3 values") {
		t.Errorf("limit 3 on 4 values: %v", err)
	}
	e, err := r.Read("empty", 0)
	must(err)
	if !reflect.DeepEqual(e.Shape, []int{3, 0}) || len(e.Data) != 0 {
		t.Errorf("empty = %+v", e)
	}
	h, err := r.Header("n")
	must(err)
	if h.DType != Int64 || len(h.Shape) != 0 {
		t.Errorf("n's header %+v", h)
	}
	if _, err := r.Read("missing", 1); err == nil {
		t.Error("missing array: no error")
	}
}

// raw is a .npy array with a version-1 header dict and data bytes.
func raw(dict string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint16([]byte(magic+"\x01\x00"), uint16(len(dict)))
	return append(append(b, dict...), data...)
}

func TestReadErrors(t *testing.T) {
	eight := make([]byte, 8)
	for name, c := range map[string]struct {
		file []byte
		frag string
	}{
		"magic":       {[]byte("PK\x03\x04not npy"), "not a .npy array"},
		"version":     {[]byte(magic + "\x04\x00"), "unsupported npy version"},
		"big endian":  {raw("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", eight), `dtype ">f8"`},
		"complex":     {raw("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", eight), "is not one of"},
		"fortran":     {raw("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }", eight), "Fortran order"},
		"no shape":    {raw("{'descr': '<f8', 'fortran_order': False, }", eight), "want descr, fortran_order and shape"},
		"twice":       {raw("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight), "given twice"},
		"negative":    {raw("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", eight), "shape is not a tuple"},
		"huge":        {raw("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", eight), "more than 1000 values"},
		"short":       {raw("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", eight), "of 2 values"},
		"trailing":    {raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", eight), "trailing bytes"},
		"unknown key": {raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", eight), "unknown key"},
	} {
		_, err := ReadNPY(bytes.NewReader(c.file), 1000)
		if err == nil || !strings.Contains(err.Error(), c.frag) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.frag)
		}
	}
}

// TestNumPy: NumPy reads what we write and we read what NumPy writes, in
// every dtype (skipped without python3 and NumPy; CI installs python3-numpy).
func TestNumPy(t *testing.T) {
	py := pythonWithNumPy()
	if py == "" {
		t.Skip("no python3 with NumPy here (apt-get install python3-numpy)")
	}
	dir := t.TempDir()
	var buf bytes.Buffer
	z := NewWriter(&buf)
	for dt, v := range samples {
		if err := z.Write(strings.Trim(string(dt), "<|"), dt, []int{2, 3}, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	ours := filepath.Join(dir, "ours.npz")
	if err := os.WriteFile(ours, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(dir, "theirs.npz")
	script := `
import sys, numpy as np
f = np.load(sys.argv[1])
for k in sorted(f.files):
    a = f[k]
    print(k, a.dtype.str, a.shape, ' '.join(repr(float(x)) for x in a.ravel()))
    assert a.flags['C_CONTIGUOUS']
np.savez(sys.argv[2], **{k: f[k] for k in f.files}, scalar=np.int64(5), empty=np.zeros((0, 4), '<f4'))
`
	out, err := exec.Command(py, "-c", script, ours, theirs).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		dt := map[string]DType{"f8": Float64, "f4": Float32, "i8": Int64, "i4": Int32, "u1": Uint8}[name]
		want := fmt.Sprintf("%s (2, 3)", dt)
		if !strings.HasPrefix(rest, want) {
			t.Errorf("numpy reads %s as %q, want %q…", name, rest, want)
		}
	}
	data, err := os.ReadFile(theirs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for dt, v := range samples {
		a, err := r.Read(strings.Trim(string(dt), "<|"), 6)
		if err != nil {
			t.Fatal(err)
		}
		if a.DType != dt || !reflect.DeepEqual(a.Shape, []int{2, 3}) || !reflect.DeepEqual(a.Data, v) {
			t.Errorf("%s from numpy: %+v", dt, a)
		}
	}
	if s, err := r.Read("scalar", 1); err != nil || len(s.Shape) != 0 || s.Data[0] != 5 {
		t.Errorf("scalar from numpy: %+v %v", s, err)
	}
	if e, err := r.Read("empty", 0); err != nil || !reflect.DeepEqual(e.Shape, []int{0, 4}) {
		t.Errorf("empty from numpy: %+v %v", e, err)
	}
}

// FuzzReadNPY: any bytes give an array or an error, never a panic, and an
// array read survives writing and reading unchanged.
func FuzzReadNPY(f *testing.F) {
	for dt, v := range samples {
		var buf bytes.Buffer
		if err := WriteNPY(&buf, dt, []int{3, 2}, v); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()-3])
	}
	f.Add(raw("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", make([]byte, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadNPY(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		if n, err := (Header{Shape: a.Shape}).Len(1 << 16); err != nil || n != len(a.Data) {
			t.Fatalf("shape %v with %d values", a.Shape, len(a.Data))
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, a.DType, a.Shape, a.Data); err != nil {
			t.Fatal(err)
		}
		again, err := ReadNPY(&buf, 1<<16)
		if err != nil || !reflect.DeepEqual(again.Shape, a.Shape) || len(again.Data) != len(a.Data) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range a.Data {
			if math.Float64bits(again.Data[i]) != math.Float64bits(a.Data[i]) {
				t.Fatalf("value %d: %v then %v", i, a.Data[i], again.Data[i])
			}
		}
	})
}

// FuzzReader: an archive reader over any bytes never panics and reads
// each array within its limit.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	z := NewWriter(&buf)
	_ = z.Write("x", Float32, []int{2}, []float64{1, 2})
	_ = z.Write("n", Int64, nil, []float64{3})
	_ = z.Close()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, name := range r.Names() {
			if a, err := r.Read(name, 1<<12); err == nil && len(a.Data) > 1<<12 {
				t.Fatalf("%s: %d values over the limit", name, len(a.Data))
			}
		}
	})
}

// pythonWithNumPy is a Python 3 that imports NumPy: $PYTHON, python3 on
// PATH, or Debian's /usr/bin/python3; "" when there is none.
func pythonWithNumPy() string {
	for _, py := range []string{os.Getenv("PYTHON"), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import numpy").Run() == nil {
			return path
		}
	}
	return ""
}
