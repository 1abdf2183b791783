package finite

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFloatNonFinite(t *testing.T) {
	b, err := json.Marshal(map[string]any{
		"a": Float(math.NaN()), "b": Float(math.Inf(1)), "c": Floats([]float64{1.5, math.Inf(-1)}), "d": Float(1e-7),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":null,"b":null,"c":[1.5,null],"d":1e-07}` {
		t.Errorf("got %s", b)
	}
}

type sample struct {
	A      float64 `json:"a"`
	B      float64 `json:"b,omitempty"`
	Skip   float64 `json:"-"`
	N      int
	S      []float64 `json:"s"`
	hidden float64
}

func (s sample) MarshalJSON() ([]byte, error) { return Struct(s) }

// TestStruct: float64 fields as Float, the others as encoding/json writes
// them, tags honoured.
func TestStruct(t *testing.T) {
	b, err := json.Marshal([]sample{{A: math.NaN(), B: 0, Skip: 1, N: 3, S: []float64{0.5}, hidden: 2}, {A: 2, B: math.Inf(-1)}})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"a":null,"N":3,"s":[0.5]},{"a":2,"b":null,"N":0,"s":null}]`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
