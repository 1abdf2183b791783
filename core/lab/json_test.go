package lab

import (
	"encoding/json"
	"math"
	"testing"
)

// TestJSONNaNAsNull: NaN figures encode as null and the rest round-trip.
func TestJSONNaNAsNull(t *testing.T) {
	p := TimePoint{Step: 3, T: 700, AlphaBar: 0.25, TV: math.NaN(), NLL: 1.5, TVExactCI: Interval{0.1, math.Inf(1)},
		NLLExactCI: nanInterval(), TVExact: 0.2, NLLExact: -3}
	b, err := json.Marshal(struct {
		P TimePoint `json:"p"`
		B Band      `json:"b"`
	}{p, Band{1, Interval{math.NaN(), 2}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"p":{"step":3,"t":700,"alpha_bar":0.25,"tv":null,"nll":1.5,"tv_exact":0.2,"tv_exact_ci":{"lo":0.1,"hi":null},` +
		`"nll_exact":-3,"nll_exact_ci":{"lo":null,"hi":null}},"b":{"median":1,"lo":null,"hi":2}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
