package operator

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"tweedie/core/img"
)

func TestParseRoundTrip(t *testing.T) {
	for _, c := range testCases() {
		op := mustParse(t, c)
		again, err := Parse(op.Name(), c.shape)
		if err != nil {
			t.Fatalf("%v: Parse(Name() = %q): %v", c, op.Name(), err)
		}
		if again.Name() != op.Name() || again.OutLen() != op.OutLen() || again.InShape() != c.shape {
			t.Errorf("%v: round trip gives %q (OutLen %d), want %q (OutLen %d)",
				c, again.Name(), again.OutLen(), op.Name(), op.OutLen())
		}
		x := testPoint(t, op, rand.New(rand.NewPCG(31, 32)))
		if !same(op.Apply(make([]float64, op.OutLen()), x), again.Apply(make([]float64, op.OutLen()), x)) {
			t.Errorf("%v: round-tripped operator gives a different A(x)", c)
		}
	}
}

func TestParseCanonical(t *testing.T) {
	for spec, want := range map[string]string{
		"identity":                          "identity",
		"inpaint-box":                       "inpaint-box:size=14",
		"inpaint-random":                    "inpaint-random:p=0.5,seed=1",
		"inpaint-random:seed=3":             "inpaint-random:p=0.5,seed=3",
		" inpaint-random : seed=3 , p=0.25": "inpaint-random:p=0.25,seed=3",
		"inpaint-half":                      "inpaint-half",
		"inpaint-half:":                     "inpaint-half",
		"sr":                                "sr:factor=2",
		"sr:factor=4":                       "sr:factor=4",
		"blur-gauss":                        "blur-gauss:size=7,std=1.5",
		"blur-gauss:std=2":                  "blur-gauss:size=7,std=2",
		"blur-gauss:std=1e-1":               "blur-gauss:size=7,std=0.1",
		"blur-motion":                       "blur-motion:size=7,seed=1",
		"phase":                             "phase:pad=2",
		"quantize":                          "quantize:levels=4",
	} {
		op, err := Parse(spec, shape28)
		if err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
			continue
		}
		if op.Name() != want {
			t.Errorf("Parse(%q).Name() = %q, want %q", spec, op.Name(), want)
		}
	}
}

func TestDefaults(t *testing.T) {
	d := Defaults()
	want := []string{"inpaint-box", "inpaint-random", "inpaint-half", "sr", "sr", "blur-gauss",
		"blur-motion", "identity", "phase", "quantize"}
	if len(d) != len(want) {
		t.Fatalf("Defaults() has %d specs, want %d", len(d), len(want))
	}
	for i, s := range d {
		op, err := Parse(s, shape28)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if op.Name() != s {
			t.Errorf("default %q is not canonical: Name() = %q", s, op.Name())
		}
		if Family(op) != want[i] {
			t.Errorf("Defaults()[%d] = %q, want family %q", i, s, want[i])
		}
	}
	if d[3] != "sr:factor=2" || d[4] != "sr:factor=4" {
		t.Errorf("sr defaults %q, %q", d[3], d[4])
	}
	d[0] = "changed"
	if Defaults()[0] == "changed" {
		t.Error("Defaults returns shared storage")
	}
	if len(Names()) != 10 {
		t.Errorf("Names() = %v", Names())
	}
}

func TestParseErrors(t *testing.T) {
	for spec, frag := range map[string]string{
		"":                             "unknown operator",
		"nope":                         "unknown operator",
		"Identity":                     "unknown operator",
		"identity:x=1":                 "takes no parameters",
		"inpaint-half:size=3":          "takes no parameters",
		"sr:factor=0":                  "must be positive",
		"sr:factor=-2":                 "must be positive",
		"sr:factor=3":                  "does not divide",
		"sr:factor=x":                  "integer",
		"sr:factor=2.5":                "integer",
		"sr:factor":                    "key=value",
		"sr:=2":                        "key=value",
		"sr:factor=":                   "key=value",
		"sr:foo=1":                     "unknown key",
		"sr:factor=2,factor=2":         "twice",
		"sr:factor=2,":                 "key=value",
		"inpaint-box:size=29":          "larger than image",
		"inpaint-box:size=28":          "every pixel",
		"inpaint-box:size=0":           "must be positive",
		"inpaint-box:size=-3":          "must be positive",
		"inpaint-random:p=1":           "outside [0, 1)",
		"inpaint-random:p=-0.1":        "outside [0, 1)",
		"inpaint-random:p=NaN":         "finite number",
		"inpaint-random:p=Inf":         "finite number",
		"inpaint-random:seed=-1":       "non-negative integer",
		"inpaint-random:seed=1.5":      "non-negative integer",
		"blur-gauss:std=0":             "must be positive",
		"blur-gauss:std=-1":            "must be positive",
		"blur-gauss:std=nan":           "finite number",
		"blur-gauss:size=0":            "must be positive",
		"blur-gauss:size=-7":           "must be positive",
		"blur-gauss:size=1000":         "larger than",
		"blur-motion:size=0":           "must be positive",
		"blur-motion:seed=x":           "non-negative integer",
		"phase:pad=0":                  "must be positive",
		"phase:pad=100":                "larger than 16",
		"quantize:levels=1":            "at least 2",
		"quantize:levels=four":         "integer",
		"blur-gauss:size=7,sdt=1.5":    "unknown key \"sdt\"",
		"inpaint-random:p=0.5;seed=1":  "finite number",
		"inpaint-random:p=0.5,seed=1x": "non-negative integer",
	} {
		op, err := Parse(spec, shape28)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", spec, op.Name())
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"`+spec+`"`) || !strings.Contains(msg, frag) {
			t.Errorf("Parse(%q) error %q: want the spec and %q", spec, msg, frag)
		}
	}
	if _, err := Parse("identity", img.Shape{H: 0, W: 28, C: 1}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("invalid shape: error %v", err)
	}
}

func TestDefaultZeta(t *testing.T) {
	for spec, want := range map[string]float64{
		"inpaint-box": 0.5, "inpaint-random": 0.5, "inpaint-half": 0.5,
		"sr:factor=2": 0.3, "sr:factor=4": 0.3, "blur-gauss": 0.3, "blur-motion": 0.3,
		"identity": 0.3, "quantize": 0.3, "phase": 1.0,
	} {
		op := mustParse(t, testCase{spec, shape28})
		if got := DefaultZeta(op); got != want {
			t.Errorf("DefaultZeta(%s) = %v, want %v", spec, got, want)
		}
		if lin, ok := op.(Linear); ok {
			if got := DefaultZeta(WithCG(lin, 0, 0)); got != want {
				t.Errorf("DefaultZeta(WithCG(%s)) = %v, want %v", spec, got, want)
			}
		}
	}
}

// TestParseLimits: degenerate parameters and sizes beyond the limits are
// refused, naming the parameter, before anything large is allocated.
func TestParseLimits(t *testing.T) {
	line := img.Shape{H: 1, W: 4096, C: 1}
	big := img.Shape{H: 256, W: 256, C: 3}
	for _, c := range []struct {
		spec  string
		shape img.Shape
		frag  string
	}{
		{"blur-gauss:size=2,std=1e-300", shape28, "std=1e-300"},
		{"blur-gauss:size=8,std=1e-200", shape28, "std too small"},
		{"blur-gauss:size=2000", line, "larger than 1024"},
		{"blur-motion:size=4000", line, "larger than 1024"},
		{"phase:pad=16", big, "pad=16"},
		{"svd:dy=600", line, "dy=600"},
		{"svd:dy=200", line, "dy²·d ≤ 134217728"},
		{"quantize:levels=65537", shape28, "levels=65537"},
		{"quantize:levels=9223372036854775807", shape28, "levels="},
		{"identity", img.Shape{H: 1 << 17, W: 1, C: 1}, "beyond the limits"},
		{"identity", img.Shape{H: 1 << 16, W: 1 << 16, C: 1 << 16}, "beyond the limits"},
		{"svd", img.Shape{H: 1 << 31, W: 1 << 31, C: 4}, "beyond the limits"},
	} {
		op, err := Parse(c.spec, c.shape)
		if err == nil {
			t.Errorf("Parse(%q, %v) = %q, want an error", c.spec, c.shape, op.Name())
			continue
		}
		if !strings.Contains(err.Error(), c.frag) {
			t.Errorf("Parse(%q, %v): error %q, want %q in it", c.spec, c.shape, err, c.frag)
		}
	}
	// A vanishing std with a centre cell is the identity kernel, finite.
	for _, spec := range []string{"blur-gauss:size=1,std=1e-300", "blur-gauss:size=3,std=5e-324"} {
		op, err := Parse(spec, shape28)
		if err != nil {
			t.Fatalf("Parse(%q): %v", spec, err)
		}
		k := op.(Kerneler).Kernel().Pix
		if k[len(k)/2] != 1 || checkKernel(k) != nil {
			t.Errorf("Parse(%q): kernel %v, want a delta", spec, k)
		}
	}
}

// FuzzParse checks that Parse never panics and that every operator it
// accepts is sound: its Name parses back to the same operator, A(x) is
// finite for x in [-1, 1], a blur kernel is finite and sums to 1, and a
// linear A satisfies ⟨Ax, v⟩ = ⟨x, Aᵀv⟩.
func FuzzParse(f *testing.F) {
	for _, s := range append(Defaults(), "svd:dy=3,seed=2", "blur-gauss:size=1,std=1e-300",
		"blur-gauss:size=2,std=1e-300", "blur-gauss:size=4,std=1e300", "sr:factor=3",
		"inpaint-random:p=0.999999", "quantize:levels=65536", "phase:pad=16", "blur-motion:size=45,seed=18446744073709551615",
		"inpaint-box:size=5", " sr : factor = 2 ", "identity:", "blur-gauss:std=1,std=2", "svd:dy=9223372036854775807") {
		f.Add(s, uint8(5), uint8(6), uint8(1))
	}
	f.Fuzz(func(t *testing.T, spec string, h, w, c uint8) {
		shape := img.Shape{H: 1 + int(h%12), W: 1 + int(w%12), C: 1 + int(c%3)}
		op, err := Parse(spec, shape)
		if err != nil {
			if op != nil || !strings.Contains(err.Error(), "operator: spec") {
				t.Fatalf("Parse(%q): error %v with operator %v", spec, err, op != nil)
			}
			return
		}
		again, err := Parse(op.Name(), shape)
		if err != nil || again.Name() != op.Name() || again.OutLen() != op.OutLen() || again.InShape() != shape {
			t.Fatalf("Parse(%q) = %q does not round-trip: %v", spec, op.Name(), err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		x := randVec(rng, shape.Len())
		y := op.Apply(make([]float64, op.OutLen()), x)
		if !allFinite(y) {
			t.Fatalf("%s: A(x) is not finite", op.Name())
		}
		if k, ok := op.(Kerneler); ok {
			if err := checkKernel(k.Kernel().Pix); err != nil {
				t.Fatalf("%s: %v", op.Name(), err)
			}
		}
		if lin, ok := op.(Linear); ok {
			v := randVec(rng, op.OutLen())
			atv := lin.Adjoint(make([]float64, shape.Len()), v)
			if l, r := dot(y, v), dot(x, atv); math.Abs(l-r) > 1e-9*(1+math.Abs(l)) {
				t.Fatalf("%s: ⟨Ax, v⟩ = %v, ⟨x, Aᵀv⟩ = %v", op.Name(), l, r)
			}
		}
	})
}
