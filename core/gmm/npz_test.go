package gmm

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"tweedie/core/img"
	"tweedie/core/npz"
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

	// Shapes and layout as documented, read as arrays rather than as a
	// mixture (TestNPZNumPy reads them with NumPy).
	zr, err := npz.NewReader(r, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{
		"weights":           {K},
		"means":             {K, d},
		"bases":             {K, d, q},
		"eigenvalues":       {K, q},
		"residual_variance": {K},
		"height":            {},
		"width":             {},
		"channels":          {},
	}
	if len(zr.Names()) != len(shapes) {
		t.Errorf("arrays %v, want %d", zr.Names(), len(shapes))
	}
	for name, s := range shapes {
		h, err := zr.Header(name)
		if err != nil {
			t.Error(err)
			continue
		}
		if !reflect.DeepEqual(h.Shape, s) {
			t.Errorf("%s: shape %v, want %v", name, h.Shape, s)
		}
		if wantType := npz.Float64; len(s) > 0 && h.DType != wantType {
			t.Errorf("%s: dtype %s, want %s", name, h.DType, wantType)
		}
	}
	a, err := zr.Read("bases", K*d*q)
	if err != nil {
		t.Fatal(err)
	}
	bases := a.Data
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
	if h, err := zr.Read("height", 1); err != nil || h.DType != npz.Int64 || h.Data[0] != float64(shape.H) {
		t.Errorf("height = %+v, %v; want %d", h, err, shape.H)
	}
}

// TestNPZRankZero: a mixture of rank q = 0 (every gmm25 prior) declares
// bases (K, d, 0) and eigenvalues (K, 0), and round-trips.
func TestNPZRankZero(t *testing.T) {
	mix, err := ParseSynthetic("gmm25:d=8")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, mix); err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(buf.Bytes())
	zr, err := npz.NewReader(r, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]int{"bases": {25, 8, 0}, "eigenvalues": {25, 0}, "means": {25, 8}} {
		if h, err := zr.Header(name); err != nil || !reflect.DeepEqual(h.Shape, want) {
			t.Errorf("%s: header %+v (%v), want shape %v", name, h, err, want)
		}
	}
	got, err := ReadNPZ(r, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Components) != 25 || got.Components[7].Rank() != 0 || got.Components[7].Mean[3] != mix.Components[7].Mean[3] {
		t.Errorf("round trip of a rank-0 mixture: %+v", got.Components[7])
	}
}

// TestNPZNumPy loads the archive with NumPy, as a user would, and checks
// the shapes and the covariance formula of WriteNPZ's doc (it skips where
// python3 or NumPy is missing; CI installs python3-numpy).
func TestNPZNumPy(t *testing.T) {
	py := pythonWithNumPy()
	if py == "" {
		t.Skip("no python3 with NumPy here (apt-get install python3-numpy)")
	}
	dir := t.TempDir()
	for name, m := range map[string]*Mixture{
		"rank2": npzMixture(1, img.Shape{H: 2, W: 3, C: 2}, 3, 2),
		"rank0": func() *Mixture { m, _ := ParseSynthetic("gmm25:d=8"); return m }(),
	} {
		path := filepath.Join(dir, name+".npz")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteNPZ(f, m); err != nil {
			t.Fatal(err)
		}
		f.Close()
		// Σ_0 from the arrays, printed with the shapes.
		script := `
import sys, numpy as np
f = np.load(sys.argv[1])
U, lam, s2 = f['bases'][0], f['eigenvalues'][0], f['residual_variance'][0]
S = U @ np.diag(lam) @ U.T + s2 * (np.eye(U.shape[0]) - U @ U.T)
print(f['weights'].shape, f['means'].shape, f['bases'].shape, f['eigenvalues'].shape, int(f['height']), int(f['width']), int(f['channels']))
print(' '.join(repr(float(x)) for x in S.ravel()))
`
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: numpy: %v\n%s", name, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		K, d, q := len(m.Components), m.Dim(), m.Components[0].Rank()
		wantShapes := fmt.Sprintf("(%d,) (%d, %d) (%d, %d, %d) (%d, %d) %d %d %d", K, K, d, K, d, q, K, q, m.Shape.H, m.Shape.W, m.Shape.C)
		if lines[0] != wantShapes {
			t.Errorf("%s: numpy sees %q, want %q", name, lines[0], wantShapes)
		}
		// Σ_0 against ours: apply it to each basis vector e_i.
		c := &m.Components[0]
		fields := strings.Fields(lines[1])
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				want := 0.0
				if i == j {
					want = c.Resid
				}
				for n, l := range c.Eigen {
					want += (l - c.Resid) * c.Basis[n*d+i] * c.Basis[n*d+j]
				}
				got, _ := strconv.ParseFloat(fields[i*d+j], 64)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("%s: Σ_0[%d,%d] = %v from NumPy, want %v", name, i, j, got, want)
				}
			}
		}
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

// pythonWithNumPy is a Python 3 that imports NumPy: $PYTHON, python3 on
// PATH, or Debian's /usr/bin/python3 (where python3-numpy installs when
// another python3 comes first on PATH); "" when there is none.
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
