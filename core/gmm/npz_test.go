package gmm

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"tweedie/core/img"
)

// npzMixture is a valid mixture with orthonormal bases of rank q.
func npzMixture(seed uint64, shape img.Shape, K, q int) *Mixture {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := shape.Len()
	m := &Mixture{Shape: shape}
	for k := 0; k < K; k++ {
		c := Component{
			Weight: 1 / float64(K),
			Mean:   make([]float64, d),
			Basis:  make([]float64, q*d),
			Eigen:  make([]float64, q),
			Resid:  0.01 + rng.Float64(),
		}
		for i := range c.Mean {
			c.Mean[i] = rng.NormFloat64()
		}
		for j := range c.Eigen {
			c.Eigen[j] = 1 + rng.Float64()
		}
		for i := range c.Basis {
			c.Basis[i] = rng.NormFloat64()
		}
		if err := Orthonormalize(c.Basis, q, d, math.Inf(1)); err != nil {
			panic(err)
		}
		m.Components = append(m.Components, c)
	}
	return m
}

func TestNPZRoundTrip(t *testing.T) {
	const K, q = 3, 2
	shape := img.Shape{H: 2, W: 3, C: 2}
	d := shape.Len()
	want := npzMixture(1, shape, K, q)
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, want); err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(buf.Bytes())
	got, err := ReadNPZ(r, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, want)
	}

	// Shapes and layout as documented, read independently of ReadNPZ.
	zr, err := npz.NewReader(r, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{
		"weights.npy":           {K},
		"means.npy":             {K, d},
		"bases.npy":             {K, d, q},
		"eigenvalues.npy":       {K, q},
		"residual_variance.npy": {K},
		"height.npy":            nil,
		"width.npy":             nil,
		"channels.npy":          nil,
	}
	if len(zr.Keys()) != len(shapes) {
		t.Errorf("keys %v, want %d", zr.Keys(), len(shapes))
	}
	for name, s := range shapes {
		h := zr.Header(name)
		if h == nil {
			t.Errorf("no array %q", name)
			continue
		}
		if len(h.Descr.Shape) != len(s) || (len(s) > 0 && !reflect.DeepEqual(h.Descr.Shape, s)) {
			t.Errorf("%s: shape %v, want %v", name, h.Descr.Shape, s)
		}
		if wantType := "'<f8'"; s != nil && h.Descr.Type != wantType {
			t.Errorf("%s: dtype %s, want %s", name, h.Descr.Type, wantType)
		}
	}
	var bases []float64
	if err := zr.Read("bases.npy", &bases); err != nil {
		t.Fatal(err)
	}
	// bases[k, i, j] is component k's u_j at pixel i.
	for k := 0; k < K; k++ {
		for i := 0; i < d; i++ {
			for j := 0; j < q; j++ {
				if g, w := bases[(k*d+i)*q+j], want.Components[k].Basis[j*d+i]; g != w {
					t.Fatalf("bases[%d,%d,%d] = %v, want %v", k, i, j, g, w)
				}
			}
		}
	}
	var h int64
	if err := zr.Read("height.npy", &h); err != nil || h != int64(shape.H) {
		t.Errorf("height = %d, %v; want %d", h, err, shape.H)
	}
}

func TestNPZErrors(t *testing.T) {
	m := npzMixture(2, img.Shape{H: 2, W: 2, C: 1}, 2, 2)
	m.Components[1].Eigen = m.Components[1].Eigen[:1]
	m.Components[1].Basis = m.Components[1].Basis[:4]
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, m); err == nil {
		t.Error("mixed ranks: no error")
	}
	m = npzMixture(3, img.Shape{H: 2, W: 2, C: 1}, 2, 1)
	buf.Reset()
	if err := WriteNPZ(&buf, m); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for _, n := range []int{0, 10, len(data) / 2, len(data) - 1} {
		if _, err := ReadNPZ(bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

func TestValidateRejectsNonFinite(t *testing.T) {
	for name, spoil := range map[string]func(m *Mixture){
		"NaN mean":      func(m *Mixture) { m.Components[0].Mean[1] = math.NaN() },
		"infinite mean": func(m *Mixture) { m.Components[1].Mean[0] = math.Inf(-1) },
		"NaN basis":     func(m *Mixture) { m.Components[0].Basis[2] = math.NaN() },
		"NaN weight":    func(m *Mixture) { m.Components[2].Weight = math.NaN() },
	} {
		m := npzMixture(3, img.Shape{H: 2, W: 2, C: 1}, 3, 2)
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		spoil(m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: Validate accepts it", name)
		}
	}
}

// FuzzReadNPZ checks that ReadNPZ never panics and that every mixture it
// accepts validates and survives WriteNPZ and ReadNPZ unchanged.
func FuzzReadNPZ(f *testing.F) {
	for _, m := range []*Mixture{
		npzMixture(1, img.Shape{H: 1, W: 2, C: 1}, 1, 1),
		npzMixture(2, img.Shape{H: 2, W: 1, C: 2}, 2, 0),
	} {
		var buf bytes.Buffer
		if err := WriteNPZ(&buf, m); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
	}
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if m != nil {
				t.Fatal("a mixture and an error")
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid mixture: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteNPZ(&buf, m); err != nil {
			t.Fatalf("accepted mixture does not write: %v", err)
		}
		again, err := ReadNPZ(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// rawNPZ is an npz archive of .npy entries with version-1 headers:
// name → header dictionary, then data.
func rawNPZ(t *testing.T, entries map[string][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, e := range entries {
		w, err := zw.Create(name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		h := binary.LittleEndian.AppendUint16([]byte("\x93NUMPY\x01\x00"), uint16(len(e[0])))
		if _, err := w.Write(append(append(h, e[0]...), e[1]...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadNPZBounds: sizes are checked from the headers, before the data
// is read or allocated.
func TestReadNPZBounds(t *testing.T) {
	one := [2]string{"{'descr': '<i8', 'fortran_order': False, 'shape': (), }", "\x01\x00\x00\x00\x00\x00\x00\x00"}
	arr := func(shape string) [2]string {
		return [2]string{"{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }", ""}
	}
	for name, c := range map[string]struct{ weights, eigen, frag string }{
		"huge K":     {"(100000000,)", "(100000000, 1)", "more than 67108864 values"},
		"huge q":     {"(1,)", "(1, 2000000000)", "exceeds dimension"},
		"bad shape":  {"(1, -1)", "(1, 1)", "shape is not a tuple"},
		"no data":    {"(1,)", "(1, 1)", "npy data"},
		"wide shape": {"(99999999999,)", "(1, 1)", "shape is not a tuple"},
	} {
		data := rawNPZ(t, map[string][2]string{
			"height": one, "width": one, "channels": one,
			"weights": arr(c.weights), "eigenvalues": arr(c.eigen),
		})
		_, err := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if err == nil || !strings.Contains(err.Error(), c.frag) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.frag)
		}
	}
}
