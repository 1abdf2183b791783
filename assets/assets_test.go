package assets

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

// maxPriorBytes is the hard limit on the embedded prior.
const maxPriorBytes = 4_000_000

// orthoTol is how orthonormal the decoded bases must be.
const orthoTol = 1e-12

func TestEmbeddedPriorSize(t *testing.T) {
	if n := len(priorBytes); n == 0 || n > maxPriorBytes {
		t.Fatalf("mnist_prior.bin is %d bytes, want 1..%d", n, maxPriorBytes)
	}
}

func TestMNISTPrior(t *testing.T) {
	m, err := MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(m.Components) < 10 {
		t.Errorf("%d components, want at least 10", len(m.Components))
	}
	if m.Shape != (img.Shape{H: 28, W: 28, C: 1}) || m.Shape != MNISTShape {
		t.Errorf("shape %v, want 28×28×1", m.Shape)
	}
	d := m.Dim()
	for k := range m.Components {
		c := &m.Components[k]
		if dev := orthoDeviation(c.Basis, c.Rank(), d); dev > orthoTol {
			t.Errorf("component %d: max |UᵀU − I| = %g, want ≤ %g", k, dev, orthoTol)
		}
	}
	sum := 0.0
	for k := range m.Components {
		sum += m.Components[k].Weight
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("weights sum to %v", sum)
	}
	m2, err := MNISTPrior()
	if err != nil || m2 != m {
		t.Errorf("second call returned %p, %v; want the cached %p", m2, err, m)
	}
}

func orthoDeviation(basis []float64, q, d int) float64 {
	worst := 0.0
	for i := 0; i < q; i++ {
		for j := 0; j <= i; j++ {
			dot := 0.0
			for n := 0; n < d; n++ {
				dot += basis[i*d+n] * basis[j*d+n]
			}
			if i == j {
				dot--
			}
			worst = math.Max(worst, math.Abs(dot))
		}
	}
	return worst
}

// randomMixture builds a valid mixture with orthonormal bases of mixed ranks.
func randomMixture(rng *rand.Rand, shape img.Shape, ranks []int) *gmm.Mixture {
	d := shape.Len()
	m := &gmm.Mixture{Shape: shape}
	total := 0.0
	for _, q := range ranks {
		c := gmm.Component{
			Weight: 0.5 + rng.Float64(),
			Mean:   make([]float64, d),
			Basis:  make([]float64, q*d),
			Eigen:  make([]float64, q),
			Resid:  0.01 + 0.1*rng.Float64(),
		}
		total += c.Weight
		for i := range c.Mean {
			c.Mean[i] = 2*rng.Float64() - 1
		}
		for j := range c.Eigen {
			c.Eigen[j] = 0.2 + rng.Float64()
		}
		for i := range c.Basis {
			c.Basis[i] = rng.NormFloat64()
		}
		if err := gmm.Orthonormalize(c.Basis, q, d, math.Inf(1)); err != nil {
			panic(err) // Gaussian rows are independent with probability 1
		}
		m.Components = append(m.Components, c)
	}
	for k := range m.Components {
		m.Components[k].Weight /= total
	}
	return m
}

func TestPriorRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := randomMixture(rng, img.Shape{H: 4, W: 3, C: 2}, []int{3, 0, 5, 1})
	var buf bytes.Buffer
	if err := EncodePrior(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := DecodePrior(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	compareMixtures(t, got, want, 1e-6)

	// The embedded prior survives a second round trip.
	m, err := MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := EncodePrior(&buf, m); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != len(priorBytes) {
		t.Errorf("re-encoded prior is %d bytes, embedded %d", buf.Len(), len(priorBytes))
	}
	again, err := DecodePrior(&buf)
	if err != nil {
		t.Fatal(err)
	}
	compareMixtures(t, again, m, 1e-6)
}

// compareMixtures compares to a float32-sized tolerance (relative to 1).
func compareMixtures(t *testing.T, got, want *gmm.Mixture, tol float64) {
	t.Helper()
	if got.Shape != want.Shape || len(got.Components) != len(want.Components) {
		t.Fatalf("got %v with %d components, want %v with %d", got.Shape, len(got.Components), want.Shape, len(want.Components))
	}
	close := func(what string, k int, a, b []float64) {
		if len(a) != len(b) {
			t.Errorf("component %d: %s has length %d, want %d", k, what, len(a), len(b))
			return
		}
		for i := range a {
			if math.Abs(a[i]-b[i]) > tol*math.Max(1, math.Abs(b[i])) {
				t.Errorf("component %d: %s[%d] = %v, want %v", k, what, i, a[i], b[i])
				return
			}
		}
	}
	for k := range want.Components {
		g, w := &got.Components[k], &want.Components[k]
		close("weight", k, []float64{g.Weight}, []float64{w.Weight})
		close("resid", k, []float64{g.Resid}, []float64{w.Resid})
		close("eigen", k, g.Eigen, w.Eigen)
		close("mean", k, g.Mean, w.Mean)
		close("basis", k, g.Basis, w.Basis)
		if dev := orthoDeviation(g.Basis, g.Rank(), got.Dim()); dev > orthoTol {
			t.Errorf("component %d: decoded basis off orthonormal by %g", k, dev)
		}
	}
}

func TestDecodePriorCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := randomMixture(rng, img.Shape{H: 3, W: 3, C: 1}, []int{2, 1})
	var buf bytes.Buffer
	if err := EncodePrior(&buf, m); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	decode := func(b []byte) (err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("DecodePrior panicked: %v", r)
			}
		}()
		_, err = DecodePrior(bytes.NewReader(b))
		return err
	}
	if err := decode(good); err != nil {
		t.Fatalf("good bytes: %v", err)
	}
	for n := 0; n < len(good); n++ {
		err := decode(good[:n])
		if err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(good))
		}
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated to %d bytes: error %v does not wrap ErrCorrupt and io.ErrUnexpectedEOF", n, err)
		}
	}
	if err := decode(append(bytes.Clone(good), 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing byte: error %v", err)
	}
	for i := range good {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(good)
			b[i] ^= flip
			if err := decode(b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^= %#x: error %v, want one wrapping ErrCorrupt", i, flip, err)
			}
		}
	}
	// Random garbage, including garbage behind a valid magic.
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%2 == 0 && len(b) >= 4 {
			copy(b, "TWPR")
		}
		if err := decode(b); err == nil {
			t.Fatalf("garbage %x decoded without error", b)
		}
	}
}

func TestEncodePriorRejectsInvalid(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := randomMixture(rng, img.Shape{H: 2, W: 2, C: 1}, []int{1})
	m.Components[0].Resid = 0
	if err := EncodePrior(io.Discard, m); err == nil {
		t.Error("encoding a mixture with s² = 0: no error")
	}
	m = randomMixture(rng, img.Shape{H: 2, W: 2, C: 1}, []int{1})
	m.Components[0].Mean[0] = 1e300
	if err := EncodePrior(io.Discard, m); err == nil {
		t.Error("encoding a value that overflows float32: no error")
	}
}

func TestTestDigits(t *testing.T) {
	ds := TestDigits()
	if len(ds) != 100 {
		t.Fatalf("%d digits, want 100", len(ds))
	}
	var count [10]int
	seen := map[int]bool{}
	for i, g := range ds {
		if g.Label < 0 || g.Label > 9 {
			t.Fatalf("digit %d: label %d", i, g.Label)
		}
		count[g.Label]++
		if g.Index < 0 || g.Index >= 10000 || seen[g.Index] {
			t.Errorf("digit %d: test index %d out of range or repeated", i, g.Index)
		}
		seen[g.Index] = true
		if g.Image.Shape != MNISTShape || len(g.Image.Pix) != MNISTShape.Len() {
			t.Fatalf("digit %d: shape %v with %d pixels", i, g.Image.Shape, len(g.Image.Pix))
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range g.Image.Pix {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo < -1 || hi > 1 || !(hi > lo) {
			t.Errorf("digit %d: pixels in [%v, %v], want a non-constant range inside [-1, 1]", i, lo, hi)
		}
	}
	for l, n := range count {
		if n != 10 {
			t.Errorf("label %d: %d digits, want 10", l, n)
		}
	}
	// Fresh copies: modifying one call's images does not affect the next.
	ds[0].Image.Pix[0] = 42
	if TestDigits()[0].Image.Pix[0] == 42 {
		t.Error("TestDigits returned shared pixel storage")
	}
}

// BenchmarkMNISTPrior decodes the embedded prior without the cache.
func BenchmarkMNISTPrior(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(priorBytes)))
	for b.Loop() {
		if _, err := DecodePrior(bytes.NewReader(priorBytes)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestComponentLabels: each component's mean is closest (among the class
// averages of the embedded test digits) to the class it is labelled with,
// for most components — the labels come from the fitting order, this checks
// them against the data.
func TestComponentLabels(t *testing.T) {
	mix, err := MNISTPrior()
	if err != nil {
		t.Fatal(err)
	}
	labels, err := MNISTComponentLabels()
	if err != nil {
		t.Fatal(err)
	}
	avg := make([][]float64, 10)
	for i := range avg {
		avg[i] = make([]float64, mix.Dim())
	}
	for _, d := range TestDigits() {
		for i, v := range d.Image.Pix {
			avg[d.Label][i] += v / 10
		}
	}
	right := 0
	for k, c := range mix.Components {
		best, bestD := -1, math.Inf(1)
		for l, a := range avg {
			s := 0.0
			for i := range a {
				s += (a[i] - c.Mean[i]) * (a[i] - c.Mean[i])
			}
			if s < bestD {
				best, bestD = l, s
			}
		}
		if best == labels[k] {
			right++
		}
	}
	if right < len(mix.Components)*9/10 {
		t.Errorf("only %d of %d components nearest their labelled class", right, len(mix.Components))
	}
}
