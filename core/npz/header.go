package npz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// magic opens every .npy array.
const magic = "\x93NUMPY"

// maxHeader bounds the header dictionary (numpy writes 128 bytes or so),
// and maxRank the number of axes.
const (
	maxHeader = 1 << 16
	maxRank   = 32
)

// Header is a parsed .npy header.
type Header struct {
	DType   DType
	Fortran bool
	Shape   []int
}

// Len is the number of values the shape holds, or an error when it
// exceeds limit (checked axis by axis, so it never overflows).
func (h Header) Len(limit int) (int, error) {
	if slices.Contains(h.Shape, 0) {
		return 0, nil
	}
	n := 1
	for _, s := range h.Shape {
		if n > limit/s {
			return 0, fmt.Errorf("shape %v holds more than %d values", h.Shape, limit)
		}
		n *= s
	}
	if n > limit {
		return 0, fmt.Errorf("shape %v holds more than %d values", h.Shape, limit)
	}
	return n, nil
}

// ReadHeader reads the magic, version, header length and dictionary of a
// .npy array from r. The dtype must be one this package reads.
func ReadHeader(r io.Reader) (Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, fmt.Errorf("npy preamble: %w", err)
	}
	if string(pre[:6]) != magic {
		return Header{}, fmt.Errorf("not a .npy array (magic %q)", pre[:6])
	}
	var n int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("npy header length: %w", err)
		}
		n = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("npy header length: %w", err)
		}
		u := binary.LittleEndian.Uint32(b[:])
		if u > maxHeader {
			return Header{}, fmt.Errorf("npy header of %d bytes (limit %d)", u, maxHeader)
		}
		n = int(u)
	default:
		return Header{}, fmt.Errorf("unsupported npy version %d.%d", major, pre[7])
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, fmt.Errorf("npy header: %w", err)
	}
	return parseHeader(string(buf))
}

// parseHeader parses the Python dictionary literal of a .npy header (keys
// in any order, each once, all three present).
func parseHeader(s string) (Header, error) {
	var h Header
	p := lexer{s: strings.TrimRight(s, " \n\x00")}
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
			descr, ok := p.str()
			if !ok {
				return h, errors.New("npy header: descr is not a string")
			}
			if h.DType, ok = parseDType(descr); !ok {
				return h, fmt.Errorf("npy header: dtype %q is not one of %s", descr, dtypeNames())
			}
		case "fortran_order":
			switch {
			case p.word("False"):
			case p.word("True"):
				h.Fortran = true
			default:
				return h, errors.New("npy header: fortran_order is not True or False")
			}
		case "shape":
			if h.Shape, ok = p.tuple(); !ok {
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
	if h.Fortran && len(h.Shape) > 1 {
		return h, errors.New("npy header: Fortran order, want C order (numpy.ascontiguousarray before saving)")
	}
	return h, nil
}

// lexer reads the tokens of a header dictionary from s.
type lexer struct {
	s string
	i int
}

func (p *lexer) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *lexer) peek(c byte) bool {
	p.skip()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *lexer) eat(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *lexer) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *lexer) str() (string, bool) {
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

// tuple reads "()", "(n,)" or "(n, m, …)" of non-negative integers below
// 2³¹, at most maxRank of them.
func (p *lexer) tuple() ([]int, bool) {
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
		if err != nil || len(shape) == maxRank {
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

// formatHeader is the version 1.0 header of an array: magic, version,
// length and dictionary, padded with spaces to a multiple of 64 bytes.
func formatHeader(dt DType, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dt, tuple)
	pad := 64 - (len(magic)+2+2+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	dict += strings.Repeat(" ", pad) + "\n"
	buf := make([]byte, 0, len(magic)+4+len(dict))
	buf = append(buf, magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(dict)))
	return append(buf, dict...)
}
