package gmm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// A strict reader of the NumPy .npy arrays inside the .npz files WriteNPZ
// writes: little-endian float64 ('<f8') or int64 ('<i8') in C order. It
// reads nothing a header does not promise and checks every size before
// allocating, so corrupt input gives an error and never a panic.

// npyMagic opens every .npy array.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header dictionary (numpy writes 128 bytes or so).
const maxNPYHeader = 1 << 16

// npyHeader is the parsed header dictionary.
type npyHeader struct {
	descr   string // '<f8' or '<i8'
	fortran bool
	shape   []int
}

// readNPYHeader reads the magic, version, header length and dictionary.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return npyHeader{}, fmt.Errorf("npy preamble: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, fmt.Errorf("bad npy magic %q", pre[:6])
	}
	var n int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("npy header length: %w", err)
		}
		n = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("npy header length: %w", err)
		}
		u := binary.LittleEndian.Uint32(b[:])
		if u > maxNPYHeader {
			return npyHeader{}, fmt.Errorf("npy header of %d bytes (limit %d)", u, maxNPYHeader)
		}
		n = int(u)
	default:
		return npyHeader{}, fmt.Errorf("unsupported npy version %d.%d", major, pre[7])
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return npyHeader{}, fmt.Errorf("npy header: %w", err)
	}
	return parseNPYHeader(string(buf))
}

// parseNPYHeader parses the Python dictionary literal of a .npy header,
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }
//
// (keys in any order, each once, all three present).
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := npyLexer{s: strings.TrimRight(s, " \n\x00")}
	if !p.eat('{') {
		return h, errors.New("npy header is not a dictionary")
	}
	seen := make(map[string]bool)
	for !p.eat('}') {
		key, ok := p.str()
		if !ok || !p.eat(':') {
			return h, fmt.Errorf("npy header: malformed dictionary at byte %d", p.i)
		}
		if seen[key] {
			return h, fmt.Errorf("npy header: key %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.descr, ok = p.str(); !ok {
				return h, errors.New("npy header: descr is not a string")
			}
		case "fortran_order":
			switch {
			case p.word("False"):
			case p.word("True"):
				h.fortran = true
			default:
				return h, errors.New("npy header: fortran_order is not True or False")
			}
		case "shape":
			if h.shape, ok = p.tuple(); !ok {
				return h, errors.New("npy header: shape is not a tuple of non-negative integers")
			}
		default:
			return h, fmt.Errorf("npy header: unknown key %q", key)
		}
		if !p.eat(',') && !p.peek('}') {
			return h, fmt.Errorf("npy header: malformed dictionary at byte %d", p.i)
		}
	}
	if p.skip(); p.i != len(p.s) {
		return h, errors.New("npy header: trailing bytes after the dictionary")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return h, errors.New("npy header: want descr, fortran_order and shape")
	}
	return h, nil
}

// npyLexer reads the tokens of a header dictionary from s.
type npyLexer struct {
	s string
	i int
}

func (p *npyLexer) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *npyLexer) peek(c byte) bool {
	p.skip()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *npyLexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *npyLexer) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *npyLexer) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple reads "()", "(n,)" or "(n, m, …)" of non-negative integers.
func (p *npyLexer) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	for !p.eat(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(p.s[p.i:j], 10, 32)
		if err != nil || len(shape) == 32 {
			return nil, false
		}
		shape = append(shape, int(n))
		p.i = j
		if !p.eat(',') && !p.peek(')') {
			return nil, false
		}
	}
	return shape, true
}

// npyFloats reads n little-endian float64 values after a header (as bits,
// for int64 too), then checks that the array ends there. The caller bounds
// n; the data is read in chunks, so memory is the result's alone.
func npyFloats(r io.Reader, n int) ([]float64, error) {
	out := make([]float64, n)
	var buf [8 << 10]byte
	for i := 0; i < n; {
		k := min(n-i, len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return nil, fmt.Errorf("npy data: %d of %d values: %w", i, n, err)
		}
		for j := range k {
			out[i+j] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*j:]))
		}
		i += k
	}
	switch _, err := io.ReadFull(r, buf[:1]); err {
	case io.EOF:
		return out, nil
	case nil:
		return nil, fmt.Errorf("npy data: trailing bytes after %d values", n)
	default:
		return nil, fmt.Errorf("npy data: %w", err)
	}
}

// writeNPY writes one .npy array, version 1.0: a header with the shape
// stated in full (so an empty axis, q = 0, survives) and the values in C
// order, little-endian. descr is '<f8' (values as float64) or '<i8'
// (values converted to int64).
func writeNPY(w io.Writer, descr string, shape []int, values []float64) error {
	dims := make([]string, len(shape))
	n := 1
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
		n *= s
	}
	if n != len(values) {
		return fmt.Errorf("npy: %d values for shape %v", len(values), shape)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	// Magic, version, header length, dictionary and newline, padded with
	// spaces to a multiple of 64 bytes.
	pad := 64 - (len(npyMagic)+2+2+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	dict += strings.Repeat(" ", pad) + "\n"
	buf := make([]byte, 0, len(npyMagic)+4+len(dict)+8*n)
	buf = append(buf, npyMagic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(dict)))
	buf = append(buf, dict...)
	for _, v := range values {
		bits := math.Float64bits(v)
		if descr == "<i8" {
			bits = uint64(int64(v))
		}
		buf = binary.LittleEndian.AppendUint64(buf, bits)
	}
	_, err := w.Write(buf)
	return err
}
