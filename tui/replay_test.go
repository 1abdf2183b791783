package tui

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"tweedie/core/method"
	"tweedie/core/run"
)

// keyframedModel is an explorer on a 32×32×3 model through the fake
// worker, 24 steps of a method whose run keeps only some, done; shown is
// the step after its second kept one (not kept itself).
func keyframedModel(t *testing.T, meth string, params method.Values, keep int64) (m *Model, s *slot, shown int) {
	t.Helper()
	if testing.Short() {
		t.Skip("a model through a worker: not in -short")
	}
	old := keepBytes
	keepBytes = keep
	t.Cleanup(func() { keepBytes = old })
	p, _ := fakePrior(t, "32x32x3")
	opts := workerOptions(p, "inpaint-box:size=8", 24)
	opts.Settings.Method, opts.Settings.Params = meth, params
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 400, Height: 50})
	drain(m, m.Init())
	s = m.shown()
	if s == nil || !s.done || s.err != nil || len(s.steps) != 24 {
		t.Fatalf("run: %+v", s)
	}
	var kept []int
	for i, sd := range s.steps {
		if sd.Xt != nil {
			kept = append(kept, i)
		}
	}
	if len(kept) < 3 || kept[1]+1 == kept[2] {
		t.Fatalf("steps kept: %v", kept)
	}
	target := kept[1] + 1
	keys := []string{"home"}
	for range target {
		keys = append(keys, "right")
	}
	drain(m, press(m, keys...))
	if i := m.shownStep(s); i != target || s.steps[i].Xt != nil {
		t.Fatalf("showing step %d (kept %v), want %d, not kept", i+1, kept, target+1)
	}
	return m, s, target
}

// TestParticleRunReplaysFromKeyframe: a particle method (MCGdiff) on a
// model large enough that its run keeps only some steps recomputes a step
// after a keyframe other than the first from that keyframe, with the
// particles restored, bit for bit — where it once failed with a notice
// blaming the model.
func TestParticleRunReplaysFromKeyframe(t *testing.T) {
	// Fewer rows than the 24 steps, with the particles' keyframes.
	m, s, i := keyframedModel(t, "mcgdiff", method.Values{"particles": "4"}, 16*32*32*3*15)
	if _, _, _, ok, why := s.rowsAt(i); !ok {
		t.Fatalf("step %d not recomputed: %q\n%s", i+1, why, m.render())
	}
	var re *run.ReplayError
	if errors.As(s.replay.err, &re) || strings.Contains(m.render(), "not deterministic") {
		t.Errorf("replay: %v\n%s", s.replay.err, m.render())
	}
}

// forgetful keeps state between steps (its step count sets its
// correction) without declaring it: not method.Stateful.
type forgetful struct{ steps int }

func (g *forgetful) Guide(_ context.Context, st *method.State, out *method.Output) error {
	g.steps++
	for j := range out.Corr {
		out.Corr[j], out.ScoreY[j] = 1e-3*float64(g.steps), 0
	}
	out.Target = method.ToX0Hat
	return nil
}

// TestReplayNoticeNamesTheMethod: when a step cannot be recomputed because
// the method keeps state its keyframes miss, the notice line says so,
// cause first, naming the method — not the model.
func TestReplayNoticeNamesTheMethod(t *testing.T) {
	method.Register(&method.Method{Name: "forgetful", Label: "Forgetful", Summary: "a test's method with undeclared state", Order: 1,
		Needs: func(method.Values) method.Cap { return 0 }, Cost: method.OneEval,
		Bind:    func(*method.Problem, method.Values) (method.Guide, error) { return &forgetful{}, nil },
		Formula: func(method.Values, method.Frame) [2]string { return [2]string{"Forgetful", ""} }})
	t.Cleanup(func() { method.Unregister("forgetful") })
	m, _, _ := keyframedModel(t, "forgetful", nil, 16*32*32*3*10)
	out := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(m.render(), "")
	if want := "Forgetful keeps state between steps that its keyframes do not restore"; !strings.Contains(out, want) || strings.Contains(out, "not deterministic") {
		t.Errorf("the notice does not say %q:\n%s", want, out)
	}
}
