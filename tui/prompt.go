package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/tui/tour"
)

// The prompt (key :) takes a typed command, for a lecture:
//
//	120, step 120   go to step 120 (also step first, step last, step 50%)
//	t 500           go to the step nearest t = 500
//	digit 7, class 7  the next ground truth of that class (label)
//	image 42        ground truth number 42 (what --image takes)
//	σ 0.1, sigma 0.1  set σ (0 to maxTypedSigma)
//	r 0.3, ζ 1, zeta 1, r auto, …  set a method parameter, by symbol or name
//	method dps      show a method (one that serves the problem)
//	op sr:factor=4  another operator (as --op takes it)
//
// enter runs it, esc leaves it; the notice line shows it as it is typed,
// edited as bubbles' textinput edits (cursor keys, ctrl+a/e, ctrl+w, paste).

// maxTypedSigma bounds a typed σ: the measurements live in [−1, 1], and
// maxPromptRunes what the prompt takes.
const (
	maxTypedSigma  = 10
	maxPromptRunes = 64
)

// newPrompt is the closed prompt: ":" and a steady cursor.
func newPrompt() textinput.Model {
	p := textinput.New()
	p.Prompt = ":"
	p.CharLimit = maxPromptRunes
	// ctrl+v would read this machine's clipboard, which for a served
	// session is the server's: pastes come from the terminal instead.
	p.KeyMap.Paste.SetEnabled(false)
	return p
}

// openPrompt opens the prompt (key :).
func (m *Model) openPrompt() tea.Cmd {
	m.prompt.Reset()
	return m.prompt.Focus()
}

// prompting reports whether the prompt is open.
func (m *Model) prompting() bool { return m.prompt.Focused() }

// promptUpdate handles a key or a paste while the prompt is open.
func (m *Model) promptUpdate(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc", "ctrl+c":
			m.prompt.Blur()
			return nil
		case "enter":
			line := m.prompt.Value()
			m.prompt.Blur()
			cmd, err := m.runPrompt(line)
			if err != nil {
				m.notice = err.Error()
			}
			return cmd
		}
	}
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	return cmd
}

// promptView is the open prompt, styled as the status line's values.
func (m *Model) promptView() string {
	st := m.Styles
	m.prompt.SetStyles(textinput.Styles{
		Focused: textinput.StyleState{Text: st.Value, Prompt: st.Value},
		Blurred: textinput.StyleState{Text: st.Value, Prompt: st.Value},
	})
	return m.prompt.View()
}

// runPrompt runs a typed command.
func (m *Model) runPrompt(line string) (tea.Cmd, error) {
	if name, spec, ok := strings.Cut(strings.TrimSpace(line), " "); ok && (name == "op" || name == "operator") {
		return m.promptOperator(strings.TrimSpace(spec)) // a spec has '=' of its own
	}
	f := strings.Fields(strings.ReplaceAll(line, "=", " "))
	switch {
	case len(f) == 0:
		return nil, nil
	case len(f) == 1:
		f = []string{"step", f[0]}
	case len(f) > 2:
		return nil, fmt.Errorf("%q: want NAME VALUE, e.g. step 120, t 500, σ 0.1, ζ 1", line)
	}
	name, val := strings.ToLower(f[0]), f[1]
	num := func() (float64, error) {
		x, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%s %q: want a number", name, val)
		}
		return x, nil
	}
	switch name {
	case "step", "s":
		if val == "first" || val == "last" || strings.HasSuffix(val, "%") {
			i, err := tour.ParseStep(val, m.total())
			if err != nil {
				return nil, err
			}
			m.moveTo(i)
			return nil, nil
		}
		x, err := num()
		if err != nil {
			return nil, err
		}
		if x < 1 || x > float64(m.total()) {
			return nil, fmt.Errorf("step %s: want 1 to %d", val, m.total())
		}
		m.moveTo(int(x) - 1)
		return nil, nil
	case "t":
		x, err := num()
		if err != nil {
			return nil, err
		}
		s := m.shown()
		if s == nil || len(s.steps) == 0 {
			return nil, fmt.Errorf("t %s: no steps yet", val)
		}
		best := 0
		for i, sd := range s.steps {
			if math.Abs(float64(sd.Rec.T)-x) < math.Abs(float64(s.steps[best].Rec.T)-x) {
				best = i
			}
		}
		m.moveTo(best)
		return nil, nil
	case "digit", "class", "label":
		n := len(m.opts.Images)
		for k := 1; k <= n; k++ {
			if j := (m.image + k) % n; m.opts.Images[j].Label == val {
				m.image = j
				return m.recompute(), nil
			}
		}
		return nil, fmt.Errorf("%s %s: no ground truth of that class", name, val)
	case "image", "#":
		x, err := num()
		if err != nil {
			return nil, err
		}
		if x < 0 || int(x) >= len(m.opts.Images) || x != math.Trunc(x) {
			return nil, fmt.Errorf("image %s: want 0 to %d", val, len(m.opts.Images)-1)
		}
		m.image = int(x)
		return m.recompute(), nil
	case "σ", "sigma":
		x, err := num()
		if err != nil {
			return nil, err
		}
		if x < 0 || x > maxTypedSigma {
			return nil, fmt.Errorf("σ %s: want 0 to %d", val, maxTypedSigma)
		}
		if x == m.set.Sigma {
			return nil, nil
		}
		m.set.Sigma = x
		return m.recompute(), nil
	case "method":
		meth, err := method.Lookup(val)
		if err != nil {
			return nil, err
		}
		if m.prob != nil {
			if err := meth.Serves(m.prob.Offer, m.values(meth)); err != nil {
				return nil, fmt.Errorf("method %s: %w", meth.Name, err)
			}
		}
		m.chosen = meth.Name
		if meth.Name == m.set.Method {
			return nil, nil
		}
		m.set.Method = meth.Name
		return m.schedule(), nil
	}
	for _, p := range method.Params() {
		if name != strings.ToLower(p.Name) && name != strings.ToLower(p.Symbol) {
			continue
		}
		v, err := p.Parse(val)
		if err != nil {
			return nil, err
		}
		if old, ok := m.set.Params[p.Name]; ok && old == v {
			return nil, nil // unchanged: the runs stand
		}
		m.set.Params = m.set.Params.With(p.Name, v)
		m.runs.cancel(methodNames(method.Having(p.Name))...)
		m.lab.Stop()
		return m.schedule(), nil
	}
	return nil, fmt.Errorf("%q: no such value; type step, t, σ, digit, image, method, op or a parameter (%s)", name, paramNames())
}

// promptOperator shows the problem of an operator spec, as --op takes it.
func (m *Model) promptOperator(spec string) (tea.Cmd, error) {
	op, err := operator.Parse(spec, m.shape)
	if err != nil {
		return nil, err
	}
	if m.prob != nil && op.Name() == m.prob.Op.Name() {
		return nil, nil
	}
	return m.setOperator(op.Name()), nil
}

func paramNames() string {
	var n []string
	for _, p := range method.Params() {
		if p.Symbol != "" {
			n = append(n, p.Symbol)
		}
	}
	return strings.Join(n, ", ")
}
