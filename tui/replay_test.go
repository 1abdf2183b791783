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

// TestParticleRunReplaysFromKeyframe: a particle method (MCGdiff) on a
// model large enough that its run keeps only some steps recomputes a step
// after a keyframe other than the first from that keyframe, with the
// particles restored, bit for bit — where it once failed with a notice
// blaming the model.
func TestParticleRunReplaysFromKeyframe(t *testing.T) {
	if testing.Short() {
		t.Skip("a model through a worker: not in -short")
	}
	old := keepBytes
	keepBytes = 16 * 32 * 32 * 3 * 15 // fewer rows than the 24 steps, with the particles' keyframes
	defer func() { keepBytes = old }()
	p, _ := fakePrior(t, "32x32x3")
	opts := workerOptions(p, "inpaint-box:size=8", 24)
	opts.Settings.Method, opts.Settings.Params = "mcgdiff", method.Values{"particles": "4"}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	drain(m, m.Init())
	s := m.shown()
	if s == nil || !s.done || s.err != nil || len(s.steps) != 24 {
		t.Fatalf("run: %+v", s)
	}
	// The first step after the second kept one, not kept itself.
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
	i := m.shownStep(s)
	if i != target || s.steps[i].Xt != nil {
		t.Fatalf("showing step %d (kept %v), want %d, not kept", i+1, kept, target+1)
	}
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
	old := keepBytes
	keepBytes = 16 * 32 * 32 * 3 * 10
	defer func() { keepBytes = old }()
	p, _ := fakePrior(t, "32x32x3")
	opts := workerOptions(p, "inpaint-box:size=8", 24)
	opts.Settings.Method = "forgetful"
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 400, Height: 50})
	drain(m, m.Init())
	keys := []string{"home"}
	for range 13 {
		keys = append(keys, "right")
	}
	drain(m, press(m, keys...))
	s := m.shown()
	if i := m.shownStep(s); i != 13 || s.steps[i].Xt != nil {
		t.Fatalf("showing step %d, kept %v", i+1, s.steps[i].Xt != nil)
	}
	out := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(m.render(), "")
	if want := "Forgetful keeps state between steps that its keyframes do not restore"; !strings.Contains(out, want) || strings.Contains(out, "not deterministic") {
		t.Errorf("the notice does not say %q:\n%s", want, out)
	}
}
