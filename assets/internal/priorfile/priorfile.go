// Package priorfile is the on-disk format of tweedie's embedded
// Gaussian-mixture prior (assets/mnist_prior.bin).
//
// All numbers are little-endian. The layout is
//
//	magic    [4]byte  "TWPR"
//	version  uint16   1
//	dtype    uint16   1 (float32)
//	H, W, C  uint32   image shape, d = H·W·C
//	K        uint32   number of components
//	q        [K]uint32 rank of each component
//	then for each component k:
//	  weight   float32        π_k
//	  resid    float32        s_k²
//	  eigen    [q_k]float32   λ_kj
//	  mean     [d]float32     μ_k
//	  basis    [q_k·d]float32 u_kj, one row per direction
//	crc      uint32   CRC-32 (IEEE) of every preceding byte
//
// Decoding converts to float64, renormalises the weights to sum to 1 and
// re-orthonormalises each basis with modified Gram–Schmidt, so the decoded
// U_k is orthonormal to rounding error in float64.
package priorfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"sync"

	"tweedie/core/gmm"
	"tweedie/core/img"
)

// Magic opens every prior file.
const Magic = "TWPR"

// Version is the only format version this package reads and writes.
const Version = 1

const dtypeFloat32 = 1

// MaxBytes bounds what Decode reads, so a corrupt length cannot make it
// allocate without limit.
const MaxBytes = 256 << 20

// ErrCorrupt is wrapped by every error Decode returns for malformed input.
var ErrCorrupt = errors.New("priorfile: corrupt prior file")

// orthoTol is how far from orthonormal a stored float32 basis may be before
// Decode calls the file corrupt rather than re-orthonormalising it.
const orthoTol = 1e-3

// Size returns the encoded size in bytes of a mixture over d-dimensional
// images whose components have the given ranks.
func Size(d int, ranks []int) int64 {
	n := int64(4 + 2 + 2 + 3*4 + 4 + 4*len(ranks) + 4)
	for _, q := range ranks {
		n += 4 * (2 + int64(q) + int64(d) + int64(q)*int64(d))
	}
	return n
}

// Encode writes m in the prior format. m must Validate and every value must
// be finite in float32.
func Encode(w io.Writer, m *gmm.Mixture) error {
	if m == nil {
		return errors.New("priorfile: nil mixture")
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("priorfile: %w", err)
	}
	d := m.Dim()
	ranks := make([]int, len(m.Components))
	for k := range m.Components {
		ranks[k] = m.Components[k].Rank()
	}
	buf := make([]byte, 0, Size(d, ranks))
	le := binary.LittleEndian
	buf = append(buf, Magic...)
	buf = le.AppendUint16(buf, Version)
	buf = le.AppendUint16(buf, dtypeFloat32)
	for _, v := range []int{m.Shape.H, m.Shape.W, m.Shape.C, len(m.Components)} {
		if v > math.MaxUint32 {
			return fmt.Errorf("priorfile: size %d does not fit the format", v)
		}
		buf = le.AppendUint32(buf, uint32(v))
	}
	for _, q := range ranks {
		buf = le.AppendUint32(buf, uint32(q))
	}
	var bad error
	put := func(k int, what string, vs ...float64) {
		for _, v := range vs {
			f := float32(v)
			if bad == nil && (math.IsInf(float64(f), 0) || math.IsNaN(float64(f))) {
				bad = fmt.Errorf("priorfile: component %d: %s value %v is not finite in float32", k, what, v)
			}
			buf = le.AppendUint32(buf, math.Float32bits(f))
		}
	}
	for k := range m.Components {
		c := &m.Components[k]
		put(k, "weight", c.Weight)
		put(k, "residual variance", c.Resid)
		put(k, "eigenvalue", c.Eigen...)
		put(k, "mean", c.Mean...)
		put(k, "basis", c.Basis...)
	}
	if bad != nil {
		return bad
	}
	buf = le.AppendUint32(buf, crc32.ChecksumIEEE(buf))
	_, err := w.Write(buf)
	return err
}

// Decode reads a prior written by Encode. Malformed input yields an error
// wrapping ErrCorrupt (and io.ErrUnexpectedEOF when it is truncated); Decode
// never panics.
func Decode(r io.Reader) (*gmm.Mixture, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("priorfile: reading: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrCorrupt, MaxBytes)
	}
	return DecodeBytes(data)
}

// DecodeBytes is Decode from a byte slice, which it does not retain.
func DecodeBytes(data []byte) (*gmm.Mixture, error) {
	p := parser{data: data}
	magic := p.bytes(4)
	if p.err != nil {
		return nil, p.err
	}
	if !bytes.Equal(magic, []byte(Magic)) {
		return nil, fmt.Errorf("%w: bad magic %q, want %q", ErrCorrupt, magic, Magic)
	}
	if v := p.u16(); p.err == nil && v != Version {
		return nil, fmt.Errorf("%w: unsupported version %d, want %d", ErrCorrupt, v, Version)
	}
	if t := p.u16(); p.err == nil && t != dtypeFloat32 {
		return nil, fmt.Errorf("%w: unsupported dtype %d", ErrCorrupt, t)
	}
	h, w, ch, nk := p.u32(), p.u32(), p.u32(), p.u32()
	if p.err != nil {
		return nil, p.err
	}
	const maxSide = 1 << 14
	if h == 0 || w == 0 || ch == 0 || h > maxSide || w > maxSide || ch > maxSide {
		return nil, fmt.Errorf("%w: bad shape %d×%d×%d", ErrCorrupt, h, w, ch)
	}
	d64 := int64(h) * int64(w) * int64(ch)
	if d64 > MaxBytes/4 {
		return nil, fmt.Errorf("%w: dimension %d too large", ErrCorrupt, d64)
	}
	d := int(d64)
	if nk == 0 {
		return nil, fmt.Errorf("%w: no components", ErrCorrupt)
	}
	if int64(nk)*4 > int64(len(data)) {
		return nil, fmt.Errorf("%w: %d components cannot fit in %d bytes: %w", ErrCorrupt, nk, len(data), io.ErrUnexpectedEOF)
	}
	ranks := make([]int, nk)
	for k := range ranks {
		q := p.u32()
		if p.err != nil {
			return nil, p.err
		}
		if q > uint32(d) {
			return nil, fmt.Errorf("%w: component %d: rank %d exceeds dimension %d", ErrCorrupt, k, q, d)
		}
		ranks[k] = int(q)
	}
	if want := Size(d, ranks); int64(len(data)) != want {
		if int64(len(data)) < want {
			return nil, fmt.Errorf("%w: %d bytes, want %d: %w", ErrCorrupt, len(data), want, io.ErrUnexpectedEOF)
		}
		return nil, fmt.Errorf("%w: %d bytes, want %d (trailing data)", ErrCorrupt, len(data), want)
	}
	body := data[:len(data)-4]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}

	m := &gmm.Mixture{
		Shape:      img.Shape{H: int(h), W: int(w), C: int(ch)},
		Components: make([]gmm.Component, nk),
		// The bases were stored in float32: the hot loops read them so.
		Float32Bases: true,
	}
	sum := 0.0
	for k := range m.Components {
		q := ranks[k]
		c := &m.Components[k]
		c.Weight = p.f32()
		c.Resid = p.f32()
		c.Eigen = p.f32s(q)
		c.Mean = p.f32s(d)
		c.Basis = p.f32s(q * d)
		if p.err != nil {
			return nil, p.err
		}
		if !(c.Weight > 0) {
			return nil, fmt.Errorf("%w: component %d: weight %v is not positive", ErrCorrupt, k, c.Weight)
		}
		if !(c.Resid > 0) {
			return nil, fmt.Errorf("%w: component %d: residual variance %v is not positive", ErrCorrupt, k, c.Resid)
		}
		for j, l := range c.Eigen {
			if !(l > 0) {
				return nil, fmt.Errorf("%w: component %d: eigenvalue %d is %v, not positive", ErrCorrupt, k, j, l)
			}
		}
		sum += c.Weight
	}
	for k := range m.Components {
		m.Components[k].Weight /= sum
	}
	// Re-orthonormalise, one component per goroutine (each writes only its
	// own basis, so the result does not depend on scheduling). This makes
	// the bases orthonormal to rounding error, far inside the 1e-6 that
	// Mixture.Validate checks, and all other conditions of Validate were
	// checked above, so the O(K·q²·d) Validate is not repeated here.
	errs := make([]error, nk)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), int(nk)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				c := &m.Components[k]
				if err := gmm.Orthonormalize(c.Basis, c.Rank(), d, orthoTol); err != nil {
					errs[k] = fmt.Errorf("%w: component %d: %w", ErrCorrupt, k, err)
				}
			}
		}()
	}
	for k := range m.Components {
		next <- k
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// parser reads little-endian values from data, recording the first error.
type parser struct {
	data []byte
	off  int
	err  error
}

func (p *parser) bytes(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n < 0 || len(p.data)-p.off < n {
		p.err = fmt.Errorf("%w: truncated at byte %d: %w", ErrCorrupt, len(p.data), io.ErrUnexpectedEOF)
		return nil
	}
	b := p.data[p.off : p.off+n]
	p.off += n
	return b
}

func (p *parser) u16() uint16 {
	b := p.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *parser) u32() uint32 {
	b := p.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// f32 reads one finite float32.
func (p *parser) f32() float64 {
	v := p.f32s(1)
	if v == nil {
		return 0
	}
	return v[0]
}

// f32s reads n finite float32 values.
func (p *parser) f32s(n int) []float64 {
	b := p.bytes(4 * n)
	if b == nil {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.err = fmt.Errorf("%w: non-finite value at byte %d", ErrCorrupt, p.off-4*n+4*i)
			return nil
		}
		out[i] = v
	}
	return out
}
