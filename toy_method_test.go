package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/tui"
	"tweedie/tui/termcaps"
)

// toy is a method that lives in this file alone: it moves x̂0 by
// γ·Aᵀ(y − A·x̂0), a gradient step on the data fit, without the denoiser's
// Jacobian. Registering it must be all it takes to reach every front end.
type toy struct {
	op       operator.Linear
	y        []float64
	ax, back []float64
	gain     float64
}

func (g *toy) Guide(_ context.Context, st *method.State, out *method.Output) error {
	g.op.Apply(g.ax, st.X0Hat)
	n := 0.0
	for i := range g.ax {
		g.ax[i] = g.y[i] - g.ax[i]
		n += g.ax[i] * g.ax[i]
	}
	g.op.Adjoint(g.back, g.ax)
	for i, v := range g.back {
		out.ScoreY[i] = v
		out.Corr[i] = g.gain * v
	}
	out.Target, out.Residual = method.ToX0Hat, n
	return nil
}

// registerToy registers the toy method for the test.
func registerToy(t *testing.T) {
	t.Helper()
	method.Register(&method.Method{
		Name: "toy", Label: "Toy", Order: 25, Summary: "a data-fit step of the test",
		Params: []method.Param{{Name: "toy-gain", Symbol: "γ", Kind: method.Number, NonNegative: true, DefaultValue: "0.5",
			Help: "Toy's gain `γ`", Ladder: []float64{0.25, 0.5, 1}, Down: "y", Up: "Y", DownHelp: "γ down", UpHelp: "γ up", InLabel: true}},
		Needs: func(method.Values) method.Cap { return method.Linear },
		Cost:  method.OneEval,
		Bind: func(p *method.Problem, v method.Values) (method.Guide, error) {
			m, d := p.Op.OutLen(), p.Op.InShape().Len()
			return &toy{op: p.Op.(operator.Linear), y: p.Y, ax: make([]float64, m), back: make([]float64, d), gain: v.Float("toy-gain")}, nil
		},
		Formula: func(v method.Values, f method.Frame) [2]string {
			return [2]string{"Toy  x̂0 ← x̂0 + γ Aᵀ(y − A x̂0)   γ = " + method.Fmt(v.Float("toy-gain")), "    σ = " + method.Fmt(f.Sigma)}
		},
	})
	t.Cleanup(func() { method.Unregister("toy") })
}

func TestToyMethodReachesEveryFrontEnd(t *testing.T) {
	registerToy(t)

	// tweedie run --method toy, with its parameter's flag.
	code, stdout, stderr := runMain(t, "run", "--method", "toy", "--toy-gain", "1", "--steps", "20", "--json", "--no-exact")
	if code != 0 {
		t.Fatalf("run --method toy: exit %d: %s", code, stderr)
	}
	var sum struct {
		Method string            `json:"method"`
		Params map[string]string `json:"params"`
		Steps  int               `json:"steps_done"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Method != "toy" || sum.Params["toy-gain"] != "1" || sum.Steps != 20 {
		t.Errorf("run summary %+v (%v)", sum, err)
	}

	// -h of the explorer and of run.
	for _, args := range [][]string{{"-h"}, {"run", "-h"}} {
		_, out, _ := runMain(t, args...)
		if !regexp.MustCompile(`toy +Toy +a data-fit step of the test`).MatchString(out) {
			t.Errorf("%v lacks the toy method", args)
		}
	}
	// Its parameter, under it.
	for _, args := range [][]string{{"--method", "toy", "-h"}, {"run", "--method", "toy", "-h"}} {
		_, out, _ := runMain(t, args...)
		if !strings.Contains(out, "METHOD PARAMETERS · Toy") || !strings.Contains(out, "--toy-gain γ") {
			t.Errorf("%v lacks the toy's parameter", args)
		}
	}

	// The lab runs it, labelled with its parameter.
	code, stdout, stderr = runMain(t, "lab", "--prior", "gmm25:d=8", "--methods", "toy,pig", "--seeds", "2", "--steps", "10",
		"--projections", "4", "--json")
	if code != 0 {
		t.Fatalf("lab: exit %d: %s", code, stderr)
	}
	var rep struct {
		Results []struct{ Label, Method string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Results) != 2 || rep.Results[0].Label != "Toy γ=0.5 S=10" {
		t.Errorf("lab results %+v (%v)", rep.Results, err)
	}

	// The explorer: m cycles to it (Order 25: after DPS), its formula
	// panel shows, and its keys move its parameter.
	opts := explorerTestOptions(t)
	m, err := tui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	drainCmd(m, m.Init())
	drainCmd(m, pressKey(m, 'm'))
	drainCmd(m, pressKey(m, 'm'))
	if got := m.Settings().Method; got != "toy" {
		t.Fatalf("after m, m: method %q, want toy", got)
	}
	view := ansi.Strip(m.View().Content)
	if !strings.Contains(view, "Toy  x̂0 ← x̂0 + γ Aᵀ(y − A x̂0)   γ = 0.5") || !strings.Contains(view, "γ down") {
		t.Errorf("the explorer does not show the toy's formula or keys:\n%s", view)
	}
	drainCmd(m, pressKey(m, 'Y'))
	if got := m.Settings().Params["toy-gain"]; got != "1" {
		t.Errorf("Y set γ to %q, want 1", got)
	}
	if !strings.Contains(ansi.Strip(m.View().Content), "γ = 1") {
		t.Error("the formula panel does not follow γ")
	}
}

// explorerTestOptions are the explorer's options for the default problem
// in half-blocks, 40 steps.
func explorerTestOptions(t *testing.T) tui.Options {
	t.Helper()
	opts := noScreen(t)
	if code, _, stderr := runMain(t, "--steps", "40", "--graphics", "halfblock"); code != 0 {
		t.Fatalf("explorer options: %s", stderr)
	}
	o := *opts
	o.Profile = colorprofile.TrueColor
	o.Graphics = termcaps.Halfblock
	return o
}

func pressKey(m tea.Model, r rune) tea.Cmd {
	_, cmd := m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	return cmd
}

// drainCmd runs cmd and the commands it leads to, feeding their messages
// to the model; a command that does not return within a second (a
// timer) is dropped.
func drainCmd(m tea.Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(time.Second):
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if fmt.Sprintf("%T", msg) == "tea.sequenceMsg" {
				continue
			}
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}
