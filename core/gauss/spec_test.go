package gauss

import (
	"runtime"
	"strings"
	"testing"

	"tweedie/core/img"
)

func TestParse(t *testing.T) {
	for spec, want := range map[string]Config{
		"gauss":                            DefaultConfig(),
		"gauss:":                           DefaultConfig(),
		" GAUSS : size=128x128x3 ":         {Shape: img.Shape{H: 128, W: 128, C: 3}, Alpha: 2},
		"gauss:size=6x5x1,alpha=1.5":       {Shape: img.Shape{H: 6, W: 5, C: 1}, Alpha: 1.5},
		"gauss:alpha=0,size=256×256×3":     {Shape: img.Shape{H: 256, W: 256, C: 3}, Alpha: 0},
		"gauss:size=1x1x1,alpha=4":         {Shape: img.Shape{H: 1, W: 1, C: 1}, Alpha: 4},
		"gauss:Size = 4X4X3 , ALPHA = 2.5": {Shape: img.Shape{H: 4, W: 4, C: 3}, Alpha: 2.5},
	} {
		got, err := Parse(spec)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", spec, got, err, want)
			continue
		}
		if again, err := Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q) = %+v, %v: not the config %+v", got.String(), again, err, got)
		}
	}
	for _, spec := range []string{
		"gmm25", "gauss:size=257x4x3", "gauss:size=4x0x3", "gauss:size=4x4x2", "gauss:size=4x4", "gauss:size=4x4x3x1",
		"gauss:size=-4x4x3", "gauss:size=axbxc", "gauss:size=99999999999999999999x4x3", "gauss:alpha=4.1",
		"gauss:alpha=-1", "gauss:alpha=NaN", "gauss:alpha=inf", "gauss:alpha=", "gauss:size", "gauss:seed=1",
		"gauss:alpha=1,alpha=2", "gauss:size=4x4x3,", "gauss:,", "gauss:" + strings.Repeat("x", 300),
	} {
		if cfg, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", spec, cfg)
		}
	}
}

// TestLimitBeforeAllocating checks that a shape beyond the limits is
// refused without allocating its images: New of a 65536×65536×3 config
// (d·8 = 100 GB) allocates less than a kilobyte.
func TestLimitBeforeAllocating(t *testing.T) {
	huge := Config{Shape: img.Shape{H: 1 << 16, W: 1 << 16, C: 3}, Alpha: 2}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := New(huge)
	runtime.ReadMemStats(&after)
	if err == nil || p != nil {
		t.Fatal("a 65536×65536×3 prior was built")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1024 {
		t.Errorf("refusing it allocated %d bytes", grew)
	}
	if _, err := New(Config{Shape: img.Shape{H: MaxSide, W: MaxSide + 1, C: 3}, Alpha: 2}); err == nil {
		t.Errorf("side %d accepted", MaxSide+1)
	}
}

// FuzzParse checks that Parse never panics, and that what it accepts is
// within the limits and prints back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"gauss", "gauss:size=128x128x3", "gauss:size=6x5x1,alpha=1.5", "gauss:alpha=2,size=4×4×3", "gauss:size=1x1x1,alpha=4,", "x:y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		cfg, err := Parse(spec)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted an invalid config: %v", spec, err)
		}
		if again, err := Parse(cfg.String()); err != nil || again != cfg {
			t.Fatalf("Parse(%q) = %+v does not print back (%+v, %v)", spec, cfg, again, err)
		}
	})
}
