package lab

import (
	"math"
	"strings"
	"testing"
)

func TestParseSweep(t *testing.T) {
	sw, err := ParseSweep("zeta=0.01:10:log:4")
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.01, 0.1, 1, 10}
	for i, v := range want {
		if math.Abs(sw.Values[i]-v) > 1e-12*v {
			t.Errorf("log grid %v, want %v", sw.Values, want)
			break
		}
	}
	if sw.Param != "zeta" || !sw.Log || strings.Join(sw.Text, ",") != "0.01,0.1,1,10" {
		t.Errorf("parsed %+v", sw)
	}
	sw, err = ParseSweep("steps=10:1000:log:9")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sw.Text, ",") != "10,18,32,56,100,178,316,562,1000" {
		t.Errorf("steps grid %v", sw.Text)
	}
	sw, err = ParseSweep("r=0:1:lin:3")
	if err != nil || strings.Join(sw.Text, ",") != "0,0.5,1" {
		t.Errorf("lin grid %+v, %v", sw, err)
	}
	if sw, err := ParseSweep("steps=1:3:lin:9"); err != nil || len(sw.Values) != 3 {
		t.Errorf("rounded steps %+v, %v (repeats must be dropped)", sw, err)
	}
	for _, bad := range []string{
		"", "zeta", "zeta=", "zeta=1:2:log", "zeta=1:2:log:3:4", "zeta=2:1:log:3", "zeta=0:1:log:3",
		"zeta=1:2:exp:3", "zeta=1:2:lin:1", "zeta=1:2:lin:65", "zeta=1:2:lin:x", "zeta=NaN:2:lin:3",
		"zeta=1:Inf:lin:3", "nope=1:2:lin:3", "dps-form=1:2:lin:3", "zeta=-1:2:lin:3", "eta=0:2:lin:3",
		" zeta=1:2:lin:3", "zeta=1:2:lin:3 ", "steps=0.1:0.4:lin:2", "steps=1:1.2:lin:3",
		"zeta=1:2:lin:3" + strings.Repeat("0", 300),
	} {
		if sw, err := ParseSweep(bad); err == nil {
			t.Errorf("%q accepted: %+v", bad, sw)
		}
	}
}

// FuzzParseSweep: any input either fails with a message naming --sweep or
// gives a grid within the limits, increasing, of finite values.
func FuzzParseSweep(f *testing.F) {
	for _, s := range []string{"zeta=0.01:10:log:9", "steps=10:1000:log:5", "r=0:1:lin:3", "eta=0:1:lin:2", "x=:::", "=1:2:lin:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sw, err := ParseSweep(spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--sweep ") {
				t.Errorf("error %q does not name --sweep", err)
			}
			return
		}
		if len(sw.Values) < 2 || len(sw.Values) > MaxSweepPoints || len(sw.Text) != len(sw.Values) {
			t.Fatalf("%q: %d values", spec, len(sw.Values))
		}
		for i, v := range sw.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && !(v > sw.Values[i-1])) {
				t.Fatalf("%q: values %v", spec, sw.Values)
			}
		}
	})
}
