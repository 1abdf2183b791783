package run

import (
	"context"
	"errors"
	"strings"
	"testing"

	"tweedie/core/img"
	"tweedie/core/method"
)

// forgetful is a guide that keeps state between steps — the number of
// steps it has made, which sets its correction — without declaring it
// (it is not method.Stateful): the mistake the conformance tests catch.
type forgetful struct{ steps int }

func (g *forgetful) Guide(_ context.Context, st *method.State, out *method.Output) error {
	g.steps++
	for j := range out.Corr {
		out.Corr[j] = 1e-3 * float64(g.steps)
		out.ScoreY[j] = 0
	}
	out.Target = method.ToX0Hat
	return nil
}

// TestReplayNamesTheCause: a step that a replay from a keyframe cannot
// make again is blamed on the method when a replay from x_T makes it (the
// method keeps state its keyframes do not restore), and on the denoiser
// when that differs too.
func TestReplayNamesTheCause(t *testing.T) {
	method.Register(&method.Method{Name: "forgetful", Label: "Forgetful", Summary: "a test's method with undeclared state",
		Needs: func(method.Values) method.Cap { return 0 }, Cost: method.OneEval,
		Bind:    func(*method.Problem, method.Values) (method.Guide, error) { return &forgetful{}, nil },
		Formula: func(method.Values, method.Frame) [2]string { return [2]string{} }})
	t.Cleanup(func() { method.Unregister("forgetful") })

	for _, c := range []struct {
		method string
		wobble bool
		state  bool
		want   string
	}{
		{"forgetful", false, true, "Forgetful keeps state between steps that its keyframes do not restore"},
		{"none", true, false, "the denoiser is not deterministic"},
	} {
		prob := shrinkProblem(t, img.Shape{H: 8, W: 8, C: 1}, c.wobble)
		cfg := pigConfig(prob, 30)
		cfg.Method = mustMethod(t, c.method)
		cfg.KeepBytes = 16 * 64 * 10
		tr, err := runAll(t, prob, cfg)
		if err != nil {
			t.Fatal(err)
		}
		k := tr.keyBefore(13)
		if k == nil || k.step == 0 || tr.Kept(13) {
			t.Fatalf("%s: no keyframe after the first before step 13 (every %d)", c.method, tr.every)
		}
		_, err = Replay(context.Background(), prob, cfg, tr, 13, 13, []uint64{tr.Sum(13)})
		var re *ReplayError
		if !errors.As(err, &re) || re.State != c.state || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a ReplayError (state %v) that says %q", c.method, err, c.state, c.want)
		}
	}
}
