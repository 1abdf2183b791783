package operator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"tweedie/core/img"
)

// Limits on what Parse builds, checked before anything is allocated.
const (
	// MaxSide bounds each of H, W and C of the image shape.
	MaxSide = 1 << 16
	// MaxLen bounds d = H·W·C.
	MaxLen = 1 << 24
	// MaxKernelSize bounds the size of a blur kernel (size² weights).
	MaxKernelSize = 1024
	// MaxLevels bounds quantize's levels.
	MaxLevels = 1 << 16
	// maxPhaseLen bounds phase's padded transform, pad·H × pad·W.
	maxPhaseLen = 1 << 22
	// maxSVDLen bounds svd's dense matrix, dy × d entries, and maxSVDWork
	// the dy²·d of building it (seconds at most).
	maxSVDLen  = 1 << 21
	maxSVDWork = 1 << 27
)

// family is one kind of operator with its parameters.
type family struct {
	name  string
	keys  []string // canonical order
	defs  []string // default values, parallel to keys
	zeta  float64  // DPS step size
	build func(shape img.Shape, v *values) (Operator, error)
}

var families = []family{
	{name: "identity", zeta: 0.3, build: func(s img.Shape, v *values) (Operator, error) {
		return newIdentity(s), nil
	}},
	{name: "inpaint-box", keys: []string{"size"}, defs: []string{"14"}, zeta: 0.5,
		build: func(s img.Shape, v *values) (Operator, error) {
			size := v.int("size")
			if v.err != nil {
				return nil, v.err
			}
			return newBoxMask(s, size)
		}},
	{name: "inpaint-random", keys: []string{"p", "seed"}, defs: []string{"0.5", "1"}, zeta: 0.5,
		build: func(s img.Shape, v *values) (Operator, error) {
			p, seed := v.float("p"), v.uint("seed")
			if v.err != nil {
				return nil, v.err
			}
			return newRandomMask(s, p, seed)
		}},
	{name: "inpaint-half", zeta: 0.5, build: func(s img.Shape, v *values) (Operator, error) {
		return newHalfMask(s), nil
	}},
	{name: "sr", keys: []string{"factor"}, defs: []string{"2"}, zeta: 0.3,
		build: func(s img.Shape, v *values) (Operator, error) {
			f := v.int("factor")
			if v.err != nil {
				return nil, v.err
			}
			return newPool(s, f)
		}},
	{name: "blur-gauss", keys: []string{"size", "std"}, defs: []string{"7", "1.5"}, zeta: 0.3,
		build: func(s img.Shape, v *values) (Operator, error) {
			size, std := v.int("size"), v.float("std")
			if v.err != nil {
				return nil, v.err
			}
			return newGaussBlur(s, size, std)
		}},
	{name: "blur-motion", keys: []string{"size", "seed"}, defs: []string{"7", "1"}, zeta: 0.3,
		build: func(s img.Shape, v *values) (Operator, error) {
			size, seed := v.int("size"), v.uint("seed")
			if v.err != nil {
				return nil, v.err
			}
			return newMotionBlur(s, size, seed)
		}},
	{name: "phase", keys: []string{"pad"}, defs: []string{"2"}, zeta: 1.0,
		build: func(s img.Shape, v *values) (Operator, error) {
			pad := v.int("pad")
			if v.err != nil {
				return nil, v.err
			}
			return newPhase(s, pad)
		}},
	{name: "quantize", keys: []string{"levels"}, defs: []string{"4"}, zeta: 0.3,
		build: func(s img.Shape, v *values) (Operator, error) {
			l := v.int("levels")
			if v.err != nil {
				return nil, v.err
			}
			return newQuantize(s, l)
		}},
	{name: "svd", keys: []string{"dy", "seed"}, defs: []string{"1", "1"}, zeta: 0.3,
		build: func(s img.Shape, v *values) (Operator, error) {
			dy, seed := v.int("dy"), v.uint("seed")
			if v.err != nil {
				return nil, v.err
			}
			return newSVD(s, dy, seed)
		}},
}

// defaultOrder is the cycling order of Defaults.
var defaultOrder = []string{
	"inpaint-box:size=14",
	"inpaint-random:p=0.5,seed=1",
	"inpaint-half",
	"sr:factor=2",
	"sr:factor=4",
	"blur-gauss:size=7,std=1.5",
	"blur-motion:size=7,seed=1",
	"identity",
	"phase:pad=2",
	"quantize:levels=4",
}

// Defaults returns one canonical spec per operator setting, in the order a
// "next operator" key cycles through: inpaint-box, inpaint-random,
// inpaint-half, sr×2, sr×4, blur-gauss, blur-motion, identity, phase,
// quantize. The slice is a fresh copy.
func Defaults() []string { return append([]string(nil), defaultOrder...) }

// Names returns the operator family names Parse knows, sorted.
func Names() []string {
	n := make([]string, len(families))
	for i, f := range families {
		n[i] = f.name
	}
	sort.Strings(n)
	return n
}

// Parse builds the operator a spec names for images of the given shape.
// A spec is
//
//	name
//	name:key=value,key=value
//
// Omitted keys take the defaults below (for 28×28 images).
// Name() of every operator is its canonical spec, with every key in the
// order listed here, so Parse(op.Name(), shape) gives an equal operator.
//
//		identity
//		inpaint-box:size=14              centre size×size box removed
//		inpaint-random:p=0.5,seed=1      fraction p of pixels removed, seeded
//		inpaint-half                     bottom half removed
//		sr:factor=2                      factor×factor average pooling
//		blur-gauss:size=7,std=1.5        circular Gaussian blur
//		blur-motion:size=7,seed=1        circular blur with a seeded motion kernel
//		phase:pad=2                      |FFT| of the image zero-padded pad times
//		quantize:levels=4                rounding to evenly spaced levels
//		svd:dy=1,seed=1                  dense random A with singular values ~ U(0,1)
//	                                      (the synthetic Gaussian-mixture benchmark)
//
// Errors (unknown name or key, repeated key, malformed or out-of-range
// value, parameters that do not fit the shape, a shape or size beyond the
// limits above, a degenerate operator such as a kernel that underflows)
// mention the spec and the parameter.
func Parse(spec string, shape img.Shape) (Operator, error) {
	op, err := parse(spec, shape)
	if err != nil {
		return nil, fmt.Errorf("operator: spec %q: %w", spec, err)
	}
	return op, nil
}

func parse(spec string, shape img.Shape) (Operator, error) {
	if !shape.Valid() {
		return nil, fmt.Errorf("invalid image shape %v", shape)
	}
	if shape.H > MaxSide || shape.W > MaxSide || shape.C > MaxSide || shape.H*shape.W > MaxLen/shape.C {
		return nil, fmt.Errorf("image shape %v beyond the limits (sides ≤ %d, H·W·C ≤ %d)", shape, MaxSide, MaxLen)
	}
	name, rest, hasArgs := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.TrimSpace(name)
	var f *family
	for i := range families {
		if families[i].name == name {
			f = &families[i]
		}
	}
	if f == nil {
		return nil, fmt.Errorf("unknown operator %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	v := &values{m: make(map[string]string)}
	for i, k := range f.keys {
		v.m[k] = f.defs[i]
	}
	if hasArgs && strings.TrimSpace(rest) != "" {
		seen := make(map[string]bool)
		for _, kv := range strings.Split(rest, ",") {
			k, val, ok := strings.Cut(kv, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			if !ok || k == "" || val == "" {
				return nil, fmt.Errorf("malformed parameter %q (want key=value)", kv)
			}
			if _, known := v.m[k]; !known {
				if len(f.keys) == 0 {
					return nil, fmt.Errorf("unknown key %q: %s takes no parameters", k, name)
				}
				return nil, fmt.Errorf("unknown key %q for %s (keys: %s)", k, name, strings.Join(f.keys, ", "))
			}
			if seen[k] {
				return nil, fmt.Errorf("key %q given twice", k)
			}
			seen[k] = true
			v.m[k] = val
		}
	}
	return f.build(shape, v)
}

// values reads typed parameters, keeping the first error.
type values struct {
	m   map[string]string
	err error
}

func (v *values) fail(key, val, want string) {
	if v.err == nil {
		v.err = fmt.Errorf("%s=%s: want %s", key, val, want)
	}
}

func (v *values) int(key string) int {
	s := v.m[key]
	n, err := strconv.Atoi(s)
	if err != nil {
		v.fail(key, s, "an integer")
	}
	return n
}

func (v *values) uint(key string) uint64 {
	s := v.m[key]
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		v.fail(key, s, "a non-negative integer")
	}
	return n
}

func (v *values) float(key string) float64 {
	s := v.m[key]
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		v.fail(key, s, "a finite number")
	}
	return x
}

// formatFloat formats x so that ParseFloat gives x back exactly.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Family returns the family name of an operator: its Name up to the first ':'.
func Family(op Operator) string {
	name, _, _ := strings.Cut(op.Name(), ":")
	return name
}

// DefaultZeta returns DPS's published step size ζ for the operator's family
// (official code, 256×256): 0.5 for inpainting, 1.0 for phase retrieval and
// 0.3 otherwise (super-resolution and blurs; also identity and quantize).
func DefaultZeta(op Operator) float64 {
	name := Family(op)
	for _, f := range families {
		if f.name == name {
			return f.zeta
		}
	}
	return 0.3
}
