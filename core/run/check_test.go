package run

import (
	"math"
	"strings"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
)

// TestResidualDense: Problem.Residual is ‖y − A·x‖ with A as a dense
// matrix (A's columns are A applied to the unit vectors).
func TestResidualDense(t *testing.T) {
	shape := img.Shape{H: 3, W: 3, C: 1}
	prob := testProblem(t, shape, 2, 2, "svd:dy=4,seed=2", 0.3)
	d, m := shape.Len(), len(prob.Y)
	A := make([][]float64, m) // A[i][j]
	for i := range A {
		A[i] = make([]float64, d)
	}
	for j := range d {
		e := make([]float64, d)
		e[j] = 1
		col := prob.Op.Clone().Apply(make([]float64, m), e)
		for i := range m {
			A[i][j] = col[i]
		}
	}
	x := make([]float64, d)
	for j := range x {
		x[j] = math.Sin(float64(j) + 0.5)
	}
	want := 0.0
	for i := range m {
		ax := 0.0
		for j := range d {
			ax += A[i][j] * x[j]
		}
		want += (prob.Y[i] - ax) * (prob.Y[i] - ax)
	}
	want = math.Sqrt(want)
	if got := prob.Residual(x); math.Abs(got-want) > 1e-12*want {
		t.Errorf("Residual = %v, dense ‖y − A·x‖ = %v", got, want)
	}
	if got := prob.Residual(prob.Truth); got <= 0 || got > 10*0.3*math.Sqrt(float64(m)) {
		t.Errorf("residual of the truth %v, want about σ·√m = %v", got, 0.3*math.Sqrt(float64(m)))
	}
}

// TestSettingsCheck: Check canonicalises what it accepts and names the
// setting in what it refuses.
func TestSettingsCheck(t *testing.T) {
	mix := gmm.Random(img.Shape{H: 4, W: 4, C: 1}, 2, 2, 3)
	s := DefaultSettings()
	s.Op, s.Method, s.Params = "inpaint-box:size=2", "DPS", method.Values{"zeta": "1e0"}
	got, err := s.Check(mix)
	if err != nil {
		t.Fatal(err)
	}
	if got.Op != "inpaint-box:size=2" || got.Method != "dps" || got.Params["zeta"] != "1" {
		t.Errorf("canonical settings %+v", got)
	}
	T := mix.Schedule().T()
	for _, c := range []struct {
		change func(*Settings)
		want   string
	}{
		{func(s *Settings) { s.Op = "nope" }, "--op:"},
		{func(s *Settings) { s.Sigma = -1 }, "--sigma -1"},
		{func(s *Settings) { s.Sigma = math.NaN() }, "--sigma NaN"},
		{func(s *Settings) { s.Method = "nope" }, "--method:"},
		{func(s *Settings) { s.Params = method.Values{"zeta": "-1"} }, "--zeta"},
		{func(s *Settings) { s.Params = method.Values{"no-such": "1"} }, "--no-such: no method"},
		{func(s *Settings) { s.Steps = 0 }, "--steps 0"},
		{func(s *Settings) { s.Steps = T + 1 }, "--steps"},
		{func(s *Settings) { s.Eta = 1.5 }, "--eta 1.5"},
	} {
		bad := s
		c.change(&bad)
		if _, err := bad.Check(mix); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one starting %q", bad, err, c.want)
		}
	}
}
