package gauss

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"tweedie/core/img"
)

// Limits of a Config, checked before anything is allocated.
const (
	// MaxSide bounds H and W.
	MaxSide = 256
	// MaxAlpha bounds the spectral exponent α: beyond it Σ's eigenvalues
	// span more than float64 resolves well at the largest size.
	MaxAlpha = 4
	// maxSpecLen bounds the length of a spec the parser reads.
	maxSpecLen = 256
)

// Defaults of a spec.
const (
	DefaultAlpha = 2.0
	defaultSide  = 64
)

// Name is the prior's name in a spec.
const Name = "gauss"

// Config is what a spec gauss:size=HxWxC,alpha=α says.
type Config struct {
	Shape img.Shape
	// Alpha is the exponent α of the spectrum P(ω) = (f² + f0²)^(−α/2).
	Alpha float64
}

// DefaultConfig is the prior of the spec "gauss": 64×64×3, α = 2.
func DefaultConfig() Config {
	return Config{Shape: img.Shape{H: defaultSide, W: defaultSide, C: 3}, Alpha: DefaultAlpha}
}

// Validate checks the limits: 1 ≤ H, W ≤ MaxSide, C ∈ {1, 3}, 0 ≤ α ≤
// MaxAlpha.
func (c Config) Validate() error {
	s := c.Shape
	switch {
	case s.H < 1 || s.W < 1 || s.H > MaxSide || s.W > MaxSide:
		return fmt.Errorf("gauss: size %d×%d, want H and W from 1 to %d", s.H, s.W, MaxSide)
	case s.C != 1 && s.C != 3:
		return fmt.Errorf("gauss: %d channels, want 1 (grey) or 3 (RGB)", s.C)
	case !(c.Alpha >= 0 && c.Alpha <= MaxAlpha):
		return fmt.Errorf("gauss: alpha=%v, want 0 to %d", c.Alpha, MaxAlpha)
	}
	return nil
}

// String is the canonical spec: Parse(c.String()) == c.
func (c Config) String() string {
	return fmt.Sprintf("%s:size=%dx%dx%d,alpha=%s", Name, c.Shape.H, c.Shape.W, c.Shape.C,
		strconv.FormatFloat(c.Alpha, 'g', -1, 64))
}

// Parse reads a spec
//
//	gauss[:size=HxWxC][,alpha=α]
//
// (defaults 64x64x3 and α = 2; "×" may stand for "x"; each key at most
// once) and checks it against the limits before anything is allocated.
func Parse(spec string) (Config, error) {
	if len(spec) > maxSpecLen {
		return Config{}, fmt.Errorf("gauss: spec of %d bytes, at most %d", len(spec), maxSpecLen)
	}
	name, args, _ := strings.Cut(strings.TrimSpace(spec), ":")
	if !strings.EqualFold(strings.TrimSpace(name), Name) {
		return Config{}, fmt.Errorf("gauss: spec %q does not name the %s prior", spec, Name)
	}
	cfg := DefaultConfig()
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(args, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" && args == "" {
			break
		}
		key, val, ok := strings.Cut(kv, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || key == "" || val == "" {
			return Config{}, fmt.Errorf("gauss: option %q, want key=value (size=HxWxC, alpha=α)", kv)
		}
		if seen[key] {
			return Config{}, fmt.Errorf("gauss: %s given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "size":
			cfg.Shape, err = parseSize(val)
		case "alpha":
			cfg.Alpha, err = strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(cfg.Alpha) || math.IsInf(cfg.Alpha, 0) {
				err = fmt.Errorf("gauss: alpha=%q is not a number", val)
			}
		default:
			err = fmt.Errorf("gauss: unknown option %q (size=HxWxC, alpha=α)", key)
		}
		if err != nil {
			return Config{}, err
		}
	}
	return cfg, cfg.Validate()
}

// parseSize reads HxWxC.
func parseSize(val string) (img.Shape, error) {
	parts := strings.Split(strings.ReplaceAll(strings.ToLower(val), "×", "x"), "x")
	if len(parts) != 3 {
		return img.Shape{}, fmt.Errorf("gauss: size=%q, want HxWxC (e.g. 128x128x3)", val)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return img.Shape{}, fmt.Errorf("gauss: size=%q: %q is not a whole number", val, p)
		}
		n[i] = v
	}
	return img.Shape{H: n[0], W: n[1], C: n[2]}, nil
}
